"""The keys the register stores for matching to look children up by (ADR 0012): pure rules, one
place (``registry.names``), used when a key is stored and when a return is looked up."""

from datetime import date

import pytest

from registry.names import address_key, address_line, normalise_name, sound_key

BORN = date(2015, 3, 12)


@pytest.mark.parametrize(
    ("surname", "forenames"),
    [("Smyth", "Tomas"), ("Smith", "Thomas James"), ("SMITH", "thomas"), ("Smiht", "Thomas")],
)
def test_names_that_sound_alike_born_in_the_same_year_share_a_sound_key(surname, forenames):
    another_day = date(2015, 8, 30)
    assert sound_key(surname, forenames, another_day) == sound_key("Smith", "Thomas", BORN)
    assert sound_key("Smith", "Thomas", BORN) == "S530|T520|2015"


def test_names_that_sound_alike_born_in_other_years_do_not_share_a_sound_key():
    assert sound_key("Smith", "Thomas", date(2016, 3, 12)) != sound_key("Smith", "Thomas", BORN)


def test_a_double_barrelled_surname_sounds_as_its_words_run_together():
    assert sound_key("Smith-Jones", "Ava", BORN) == sound_key("Smith Jones", "Ava", BORN)


@pytest.mark.parametrize(
    ("surname", "forenames", "born"),
    [("Smith", "", BORN), ("", "Thomas", BORN), ("-", "Tom", BORN), ("Smith", "Tom", None)],
)
def test_without_both_names_and_a_date_of_birth_there_is_no_sound_key(surname, forenames, born):
    assert sound_key(surname, forenames, born) == ""


@pytest.mark.parametrize(
    "keyed",
    [
        "28 Dinnison Circuit",
        "28 Dinnisonc Ircuit",
        "28 DINNISON CIRCUIT, Ely",
        "28 Dinnison-Circuit",
    ],
)
def test_a_first_line_keyed_with_spaces_case_or_punctuation_moved_has_one_key(keyed):
    assert address_key(keyed) == "28dinnisoncircuit"


@pytest.mark.parametrize("keyed", ["28", "", None, " , High Street"])
def test_a_bare_house_number_or_an_empty_first_line_has_no_key(keyed):
    assert address_key(keyed) == ""


def test_addresses_are_normalised_without_pushing_names_out_of_the_name_cache():
    normalise_name.cache_clear()
    normalise_name("O'Brien")

    address_key("28 Dinnison-Circuit, Leeds")
    address_line("4 Orchard Way")

    assert normalise_name.cache_info().currsize == 1
    assert address_key("28 Dinnison-Circuit, Leeds") == "28dinnisoncircuit"
