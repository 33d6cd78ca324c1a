"""The matching engine: blocking helpers, Splink's scores with their evidence in words, decisions
with the safety rules above the model.

Thresholds here are the defaults in settings, as match probabilities (ADR 0012); ``decide`` takes
them as arguments. Scores come from the starting model (version 0).
"""

import math
from dataclasses import replace
from datetime import date

import pytest

from schools_feed import linkage
from schools_feed import matching as m
from schools_feed.matching import MatchRecord

AUTO_LINK, REVIEW = 0.92, 0.55

THOMAS = MatchRecord(
    key="child-1",
    upn="H801200001001",
    forenames="Thomas James",
    surname="Smith",
    date_of_birth=date(2015, 3, 12),
    sex="M",
    postcode="BN1 2AB",
)


def incoming(**changes) -> MatchRecord:
    """A school's return about Thomas, with no UPN unless given, and the changes asked for."""
    return replace(THOMAS, **{"key": None, "upn": "", **changes})


def outcome(record: MatchRecord, *candidates: MatchRecord) -> m.MatchDecision:
    ranked = m.best_candidates(record, candidates)
    return m.decide(ranked, auto_link=AUTO_LINK, review=REVIEW)


def scored(score: float) -> m.MatchScore:
    return m.MatchScore(score=score, evidence=())


# --- Normalisation and blocking helpers ---------------------------------------------------------


def test_normalise_name_drops_accents_and_apostrophes_and_splits_hyphens():
    assert m.normalise_name("  Zoë  O’Brien-Smith ") == "zoe obrien smith"
    assert m.normalise_name("D'Souza") == m.normalise_name("DSouza") == "dsouza"


def test_name_block_key_is_first_word_of_surname_and_of_forenames():
    assert m.name_block_key("Smith-Jones", "Thomas James") == "smith|thomas"


def test_name_block_keys_find_the_stored_key_through_each_part_of_a_double_barrelled_surname():
    keys = m.name_block_keys(incoming(surname="Jones-Smith"))
    assert m.name_block_key("Smith", "Thomas") in keys
    assert m.name_block_key("Jones", "Thomas") in keys


def test_name_block_keys_find_the_stored_key_when_forename_and_surname_are_swapped():
    keys = m.name_block_keys(incoming(forenames="Smith", surname="Thomas"))
    assert m.name_block_key(THOMAS.surname, THOMAS.forenames) in keys


def test_name_block_keys_find_the_stored_key_through_a_known_short_form():
    assert m.name_block_key("Smith", "Thomas") in m.name_block_keys(incoming(forenames="Tom"))


def test_name_block_keys_cover_former_surnames_and_the_preferred_forename():
    record = incoming(other_surnames=("Brown",), preferred_forename="Jamie")
    keys = m.name_block_keys(record)
    assert {"brown|thomas", "smith|jamie"} <= keys


def test_date_of_birth_block_adds_the_day_month_swap_when_it_is_a_real_date():
    assert m.date_of_birth_block(date(2015, 3, 12)) == {date(2015, 3, 12), date(2015, 12, 3)}


@pytest.mark.parametrize("dob", [date(2015, 3, 13), date(2015, 5, 5)])
def test_date_of_birth_block_is_just_the_date_when_a_swap_is_impossible_or_the_same(dob):
    assert m.date_of_birth_block(dob) == {dob}


def test_date_of_birth_block_is_empty_without_a_date():
    assert m.date_of_birth_block(None) == set()


# --- Scores for the errors schools make ---------------------------------------------------------


def has(result, words: str) -> bool:
    """The evidence holds a line starting with ``words`` (the field, the level, the values)."""
    return any(line.startswith(words) for line in result.evidence)


def test_identical_return_with_the_same_upn_links_and_says_so_in_words():
    result = m.score(replace(THOMAS, key=None), THOMAS)
    assert result.score > 0.999
    assert result.evidence[0] == "UPN: the same UPN, very strong evidence"
    assert result.upn_identical
    assert outcome(replace(THOMAS, key=None), THOMAS).outcome == m.LINK


def test_identical_names_date_of_birth_and_postcode_link_without_a_upn():
    result = m.score(incoming(), THOMAS)
    assert result.score >= AUTO_LINK
    assert "UPN: not compared (missing on one side)" in result.evidence
    assert outcome(incoming(), THOMAS).outcome == m.LINK


def test_nickname_and_day_month_swap_still_links():
    record = incoming(forenames="Tom", date_of_birth=date(2015, 12, 3))
    result = m.score(record, THOMAS)
    assert has(
        result, "forename: a known short form, another spelling or a preferred name (tom / thomas)"
    )
    assert has(result, "date of birth: day and month swapped (2015-12-03 / 2015-03-12), strong")
    assert outcome(record, THOMAS).outcome == m.LINK


@pytest.mark.parametrize(
    ("short", "full"),
    [("Alfie", "Alfred"), ("Maddie", "Madison"), ("Gracie", "Grace"), ("Poppy", "Penelope")],
)
def test_british_short_form_missing_from_the_nicknames_data_is_known(short, full):
    child = replace(THOMAS, forenames=full)
    result = m.score(incoming(forenames=short), child)
    assert has(
        result,
        "forename: a known short form, another spelling or a preferred name "
        f"({short.lower()} / {full.lower()})",
    )


def test_another_spelling_of_the_same_forename_is_found_and_linked_not_taken_for_a_twin():
    """A school's "Muhammad" for "Mohammed" differs by more than a letter: without
    ``linkage.SPELLINGS`` it read as a wholly different forename, and a return alike in all else
    went to review as "twin or the same child?"."""
    mohammed = replace(THOMAS, forenames="Mohammed", surname="Khan")
    record = incoming(forenames="Muhammad", surname="Khan")

    assert m.name_block_key("Khan", "Mohammed") in m.name_block_keys(record)
    result = m.score(record, mohammed)
    assert has(result, "forename: a known short form, another spelling or a preferred name")
    assert outcome(record, mohammed).outcome == m.LINK


def test_hyphenated_surname_shortened_to_one_part_still_links():
    record = incoming(surname="Smith")
    child = replace(THOMAS, surname="Smith-Jones")
    result = m.score(record, child)
    assert has(result, "surname: matches a former surname or part of a double-barrelled surname")
    assert outcome(record, child).outcome == m.LINK


def test_double_barrelled_surname_without_its_hyphen_is_identical():
    result = m.score(incoming(surname="Smith Jones"), replace(THOMAS, surname="Smith-Jones"))
    assert has(result, "surname: the same, strong evidence")


def test_forename_and_surname_swapped_still_links():
    record = incoming(forenames="Smith", surname="Thomas")
    result = m.score(record, THOMAS)
    assert has(result, "forename: swapped with the surname")
    assert outcome(record, THOMAS).outcome == m.LINK


@pytest.mark.parametrize(
    ("register", "swapped"),
    [
        (("Mary Ann", "McDonald"), ("McDonald", "Mary Ann")),  # a forename of two words
        (("Tom", "Smith-Jones"), ("Smith-Jones", "Tom")),  # a double-barrelled surname
    ],
)
def test_names_of_more_than_one_word_swapped_are_still_seen_as_swapped(register, swapped):
    child = replace(THOMAS, forenames=register[0], surname=register[1])
    record = incoming(forenames=swapped[0], surname=swapped[1])
    result = m.score(record, child)
    assert has(result, "forename: swapped with the surname")
    assert has(result, "surname: swapped with the forename")
    assert outcome(record, child).outcome == m.LINK


@pytest.mark.parametrize(("forename", "surname"), [("Smyth", "Thomas"), ("Smith", "Tomas")])
def test_names_swapped_and_mistyped_as_well_are_still_seen_as_swapped(forename, surname):
    record = incoming(forenames=forename, surname=surname)
    result = m.score(record, THOMAS)
    assert has(result, "forename: swapped with the surname")
    assert outcome(record, THOMAS).outcome == m.LINK


def test_names_swapped_with_the_forename_shortened_as_well_are_still_seen_as_swapped():
    # "Smith / Tom" about Thomas Smith: the surname box holds a known short form of his forename.
    record = incoming(forenames="Smith", surname="Tom")
    result = m.score(record, THOMAS)
    assert has(result, "forename: swapped with the surname")
    assert has(result, "surname: swapped with the forename")
    assert outcome(record, THOMAS).outcome == m.LINK


def test_a_forename_keyed_in_the_surname_box_with_the_other_name_wrong_goes_to_a_person():
    # "Smith / Liam" about Thomas Smith: the surname is in the forename box and "Liam" is no name
    # of his. Found, never linked automatically, never a new child.
    record = incoming(forenames="Smith", surname="Liam")
    result = m.score(record, THOMAS)
    assert has(result, "forename: is the other record's surname (names in the wrong boxes)")
    decision = outcome(record, THOMAS)
    assert (decision.outcome, decision.candidate) == (m.REVIEW, THOMAS)
    assert m.DECISION_NAME_DIFFERS in decision.evidence


def test_a_child_whose_forename_is_their_surname_is_not_read_as_names_in_the_wrong_boxes():
    # Oliver Oliver's twin Harper: the same surname, so "oliver" in both boxes is no slip.
    oliver = replace(THOMAS, forenames="Oliver", surname="Oliver")
    record = incoming(forenames="Harper", surname="Oliver", upn=THOMAS.upn)
    assert has(m.score(record, oliver), "forename: wholly different")
    decision = outcome(record, oliver)
    assert decision.outcome == m.REVIEW
    assert m.DECISION_TWIN in decision.evidence


def test_a_forename_run_together_is_a_known_form_of_the_two_words():
    mary_ann = replace(THOMAS, forenames="Mary Ann", sex="F")
    result = m.score(incoming(forenames="Maryann", sex="F"), mary_ann)
    assert has(result, "forename: a known short form, another spelling or a preferred name")
    assert outcome(incoming(forenames="Maryann", sex="F"), mary_ann).outcome == m.LINK


@pytest.mark.parametrize(
    ("keyed", "level"),
    [
        ("28 Dinnisonc Ircuit", "address: the same first line"),  # a space moved
        ("Dinnison Circuit", "address: a similar first line"),  # the house number missing
        ("82 Dinnison Circuit", "address: a similar first line"),  # the number mistyped
        ("28", "address: not compared"),  # a bare number says nothing
    ],
)
def test_an_address_keyed_with_spaces_moved_or_the_house_number_wrong_still_agrees(keyed, level):
    child = replace(THOMAS, address="28 Dinnison Circuit")
    assert has(m.score(incoming(address=keyed), child), level)


def test_a_postcode_one_character_out_is_evidence_for_not_against():
    result = m.score(incoming(postcode="BN2 2AB"), THOMAS)
    assert has(result, "postcode: one character different or two swapped (BN22AB / BN12AB)")
    assert next(c for c in result.weights if c[0] == "postcode")[2] > 0


@pytest.mark.parametrize("surname", ["Smyth", "Smtih"])
def test_a_surname_typo_or_transposed_letters_still_link(surname):
    result = m.score(incoming(surname=surname), THOMAS)
    assert has(result, f"surname: spelt a little differently ({surname.lower()} / smith)")
    assert outcome(incoming(surname=surname), THOMAS).outcome == m.LINK


def test_forename_typo_links_when_the_upn_confirms_it():
    assert outcome(incoming(forenames="Thomsa", upn=THOMAS.upn), THOMAS).outcome == m.LINK


@pytest.mark.parametrize("forename", ["Thomsa", "Tohmas", "Thomass"])
def test_a_forename_typo_without_a_upn_is_found_linked_or_reviewed_never_new(forename):
    result = m.score(incoming(forenames=forename), THOMAS)
    assert has(result, f"forename: spelt a little differently ({forename.lower()} / thomas)")
    assert outcome(incoming(forenames=forename), THOMAS).outcome in (m.LINK, m.REVIEW)


def test_date_of_birth_with_one_digit_wrong_still_links_when_the_rest_agrees():
    record = incoming(date_of_birth=date(2015, 3, 13))
    result = m.score(record, THOMAS)
    assert has(result, "date of birth: one digit different (2015-03-13 / 2015-03-12)")
    assert outcome(record, THOMAS).outcome == m.LINK


def test_date_of_birth_a_few_weeks_out_is_found():
    record = incoming(date_of_birth=date(2015, 4, 2))
    assert has(m.score(record, THOMAS), "date of birth: within a month")
    assert outcome(record, THOMAS).outcome in (m.LINK, m.REVIEW)


def test_mistyped_upn_is_recognised_as_one_character_out():
    result = m.score(incoming(upn="H801200001002"), THOMAS)
    assert has(result, "UPN: one character different")
    assert result.score >= AUTO_LINK


def test_preferred_forename_on_the_register_matches_the_name_the_school_uses():
    child = replace(THOMAS, forenames="Alfred", preferred_forename="Alfie")
    result = m.score(incoming(forenames="Alfie"), child)
    assert has(result, "forename: a known short form, another spelling or a preferred name")
    assert result.score >= AUTO_LINK


def test_former_surname_on_the_register_matches():
    child = replace(THOMAS, other_surnames=("Brown",))
    result = m.score(incoming(surname="Brown"), child)
    assert has(result, "surname: matches a former surname or part of a double-barrelled surname")
    assert outcome(incoming(surname="Brown"), child).outcome == m.LINK


def test_school_using_the_middle_name_matches_it():
    child = replace(THOMAS, forenames="Thomas James")
    result = m.score(incoming(forenames="James"), child)
    assert has(result, "forename: matches a middle name (james / thomas)")


def test_accents_and_apostrophes_do_not_stop_a_match():
    child = replace(THOMAS, forenames="Zoe", surname="OBrien", sex="F")
    result = m.score(incoming(forenames="Zoë", surname="O’Brien", sex="F"), child)
    assert has(result, "forename: the same")
    assert has(result, "surname: the same")


def test_family_that_moved_within_the_area_is_reported_and_still_links():
    result = m.score(incoming(postcode="BN1 9ZZ"), THOMAS)
    assert has(result, "postcode: the same district (BN19ZZ / BN12AB)")
    assert result.score >= AUTO_LINK


def test_a_missing_postcode_is_not_compared_and_still_links():
    result = m.score(incoming(postcode=""), THOMAS)
    assert "postcode: not compared (missing on one side)" in result.evidence
    assert outcome(incoming(postcode=""), THOMAS).outcome == m.LINK


def test_blank_sex_is_not_compared():
    result = m.score(incoming(sex=""), THOMAS)
    assert "sex: not compared (missing on one side)" in result.evidence
    assert result.score >= AUTO_LINK


def test_unknown_upn_placeholders_are_not_treated_as_identical():
    result = m.score(incoming(upn="UN1"), replace(THOMAS, upn="UN1"))
    assert not result.upn_identical
    assert "UPN: not compared (missing on one side)" in result.evidence


def test_every_comparison_is_explained_with_its_strength():
    result = m.score(incoming(forenames="Tom", date_of_birth=date(2015, 12, 3)), THOMAS)
    fields = [line.split(":")[0] for line in result.evidence]
    assert sorted(fields) == sorted(
        [
            "UPN",
            "forename",
            "middle names",
            "surname",
            "date of birth",
            "postcode",
            "address",
            "sex",
        ]
    )
    for line in result.evidence:
        assert "evidence" in line or "not compared" in line


# --- Look-alikes that must not link -------------------------------------------------------------


@pytest.mark.parametrize(
    ("forename", "sex"),
    [
        ("Oliver", "M"),
        ("Oliver James", "M"),  # twins often share a middle name
        ("Olivia", "F"),
        ("Emma", "F"),  # the nicknames data calls Emma a short form of Emily
    ],
)
def test_a_twin_is_never_linked_automatically_and_goes_to_review_as_twin_or_same_child(
    forename, sex
):
    twin = replace(THOMAS, forenames="Emily" if forename == "Emma" else "Thomas James", sex=sex)
    result = outcome(incoming(forenames=forename, sex=sex), twin)
    assert result.outcome == m.REVIEW
    assert m.DECISION_TWIN in result.evidence
    assert has(m.score(incoming(forenames=forename, sex=sex), twin), "forename: wholly different")


def test_a_twin_with_their_own_valid_upn_is_a_new_child():
    record = incoming(forenames="Oliver", upn="B801200005001")
    assert outcome(record, THOMAS).outcome == m.NEW


def test_twin_carrying_the_other_twins_upn_goes_to_review_not_link():
    record = incoming(forenames="Oliver", upn=THOMAS.upn)
    result = outcome(record, THOMAS)
    assert result.outcome == m.REVIEW
    assert m.DECISION_TWIN in result.evidence
    assert has(m.score(record, THOMAS), "forename: wholly different (oliver / thomas)")


def test_a_twin_with_their_own_valid_upn_is_a_new_child_even_at_the_lowest_review_threshold(
    settings,
):
    # Everything but the forename agrees, so the model's probability stays above the review
    # threshold in use; the two UPNs and the forename together say two children.
    record = incoming(forenames="Oliver", upn="B801200005001")
    ranked = m.best_candidates(record, [THOMAS])
    assert ranked[0][1].score >= settings.MATCH_REVIEW_THRESHOLD
    decision = m.decide(
        ranked,
        auto_link=settings.MATCH_AUTO_LINK_THRESHOLD,
        review=settings.MATCH_REVIEW_THRESHOLD,
    )
    assert decision.outcome == m.NEW


def test_a_boy_and_a_girl_born_together_with_names_alike_go_to_review_as_twin_or_same_child():
    abbie = replace(THOMAS, forenames="Abbie", sex="F")
    record = incoming(forenames="Alfie", sex="M")
    assert has(m.score(record, abbie), "forename: spelt quite differently")
    result = outcome(record, abbie)
    assert result.outcome == m.REVIEW
    assert result.reason == m.DECISION_TWIN


@pytest.mark.parametrize(
    ("registered", "returned"),
    [
        ("Lily Esme", "Ivy"),  # twins' names often rhyme: "spelt quite differently"
        ("Ava Jane", "Rosie Ava"),  # each has a name the other lacks
    ],
)
def test_twins_whose_names_rhyme_or_share_a_middle_name_go_to_review_not_linked(
    registered, returned
):
    twin = replace(THOMAS, forenames=registered, sex="F")
    result = outcome(incoming(forenames=returned, sex="F"), twin)
    assert result.outcome == m.REVIEW
    assert result.reason == m.DECISION_TWIN


def test_a_forename_given_as_an_initial_goes_to_review_saying_so_not_as_a_twin():
    """ "O Smith" for "Oliver Smith": everything else agrees, so it is very likely the child, but
    an initial cannot tell him from a brother "Oscar" the register does not hold yet."""
    oliver = replace(THOMAS, forenames="Oliver")
    result = outcome(incoming(forenames="O."), oliver)
    assert (result.outcome, result.reason) == (m.REVIEW, m.DECISION_INITIAL)
    assert has(
        m.score(incoming(forenames="O."), oliver), "forename: given as an initial (o / oliver)"
    )


def test_a_forename_given_as_an_initial_links_on_the_same_upn():
    oliver = replace(THOMAS, forenames="Oliver")
    assert outcome(incoming(forenames="O", upn=THOMAS.upn), oliver).outcome == m.LINK


def test_an_initial_of_another_forename_is_still_wholly_different():
    result = m.score(incoming(forenames="K"), replace(THOMAS, forenames="Oliver"))
    assert has(result, "forename: wholly different")


def test_names_in_the_wrong_boxes_do_not_count_a_surname_part_as_a_middle_name_against():
    """ "Smith-Jones / Mary Ann" for "Mary Ann / Smith-Jones": the return's "middle name" is
    half the child's surname, not a middle name the child lacks."""
    mary = replace(THOMAS, forenames="Mary Ann", surname="Smith-Jones", sex="F")
    swapped = incoming(forenames="Smith-Jones", surname="Mary Ann", sex="F", postcode="RH10 1AA")

    result = m.score(swapped, mary)

    assert "middle names: not compared (part of the other record's surname)" in result.evidence
    assert result.score > 0.8


def test_a_middle_name_still_counts_when_forename_and_surname_are_swapped():
    elliot = replace(THOMAS, forenames="Elliot Leigh", surname="Harper")
    result = m.score(incoming(forenames="Harper Leigh", surname="Elliot"), elliot)
    assert has(result, "middle names: a middle name in common")


def test_a_child_known_by_their_middle_name_still_links():
    registered = replace(THOMAS, forenames="Ava", middle_names="Jane", sex="F")
    result = outcome(incoming(forenames="Jane", sex="F"), registered)
    assert result.outcome == m.LINK


def test_the_same_upn_does_not_link_a_return_whose_forename_and_surname_both_differ():
    # A school keyed the child's sister's UPN on his row.
    sister = replace(THOMAS, forenames="Eva", surname="Fox", sex="F")
    record = incoming(forenames="Harry", surname="Preston", upn=THOMAS.upn)
    result = outcome(record, replace(sister, upn=THOMAS.upn))
    assert result.outcome == m.REVIEW
    assert result.reason == m.DECISION_UPN_CONFLICT


def test_the_right_twin_is_linked_when_both_twins_are_on_the_register():
    oliver = replace(THOMAS, key="child-2", forenames="Oliver", upn="B801200005001")
    record = incoming(forenames="Oliver")
    result = outcome(record, THOMAS, oliver)
    assert (result.outcome, result.candidate) == (m.LINK, oliver)


def test_same_forename_with_a_different_date_of_birth_is_not_linked():
    record = incoming(forenames="Thomas", date_of_birth=date(2012, 7, 1))
    assert m.score(record, THOMAS).score < AUTO_LINK
    assert outcome(record, THOMAS).outcome != m.LINK
    moved = incoming(date_of_birth=date(2012, 7, 1), postcode="RH10 1AA")
    assert outcome(moved, THOMAS).outcome == m.NEW


def test_a_middle_name_in_common_counts_and_a_different_one_counts_against():
    """Compared only when both records have middle names."""
    both = m.score(incoming(date_of_birth=date(2012, 7, 1)), THOMAS)
    other = m.score(incoming(forenames="Thomas Edward", date_of_birth=date(2012, 7, 1)), THOMAS)
    neither = m.score(incoming(forenames="Thomas", date_of_birth=date(2012, 7, 1)), THOMAS)

    assert has(both, "middle names: a middle name in common (james / james)")
    assert has(other, "middle names: none in common (edward / james)")
    assert has(neither, "middle names: not compared (missing on one side)")
    assert other.score < neither.score < both.score


def test_a_sister_given_the_familys_middle_name_is_not_linked_on_it():
    """A sister, "Alice Sophie Hill", born two years to the day before "Freya Sophie Hill", at the
    same home: the year one digit out, the middle name shared. The model alone links them (families
    hand middle names down, which it cannot know); the rule sends them to a person, unless the
    UPN says it is this child."""
    freya = replace(
        THOMAS, forenames="Freya Sophie", surname="Hill", sex="F", upn="", postcode="BN12 8AW"
    )
    alice = incoming(
        forenames="Alice Sophie",
        surname="Hill",
        sex="F",
        postcode="BN12 8AW",
        date_of_birth=THOMAS.date_of_birth.replace(year=2013),
    )
    model = linkage.Model(
        0, linkage.default_settings(register_size=20_000), FREQUENCIES, register_size=20_000
    )

    [(_child, scored)] = m.best_candidates(alice, [freya], model=model)
    decision = m.decide([(freya, scored)], auto_link=AUTO_LINK, review=REVIEW)

    assert scored.score >= AUTO_LINK  # the model alone would link them
    assert (decision.outcome, decision.reason) == (m.REVIEW, m.DECISION_FAMILY_MIDDLE_NAME)


def test_a_sister_sharing_the_familys_middle_name_is_no_rival_for_the_child_herself():
    """A return about "Alice Sophie Hill" links to her record: her sister "Freya Sophie Hill",
    born two years to the day later at the same home, scores high on the middle name, but she
    could never be linked herself (safety rule 6), so she makes no near tie."""
    alice = replace(
        THOMAS,
        key="alice",
        forenames="Alice Sophie",
        surname="Hill",
        sex="F",
        upn="",
        postcode="BN12 8AW",
        date_of_birth=date(2013, 3, 12),
    )
    freya = replace(alice, key="freya", forenames="Freya Sophie", date_of_birth=date(2015, 3, 12))
    model = linkage.Model(
        0, linkage.default_settings(register_size=20_000), FREQUENCIES, register_size=20_000
    )

    ranked = m.best_candidates(replace(alice, key=None), [alice, freya], model=model)
    decision = m.decide(ranked, auto_link=AUTO_LINK, review=REVIEW)

    assert ranked[1][1].family_middle_name
    assert ranked[1][1].score > ranked[0][1].score - m.DEFAULT_MARGIN  # once, a near tie
    assert (decision.outcome, decision.candidate.key) == (m.LINK, "alice")


def test_a_middle_name_in_common_lifts_a_mistyped_birthday_at_a_new_home_into_review():
    """A girl, "Olivia Rose Taylor", a digit out and moved: without her middle name she was a new
    child (a duplicate record); with it, a person sees the two."""
    olivia = replace(
        THOMAS, forenames="Olivia Rose", surname="Taylor", sex="F", upn="", postcode="BN1 2AB"
    )
    record = incoming(
        forenames="Olivia Rose",
        surname="Taylor",
        sex="F",
        date_of_birth=date(2015, 4, 12),
        postcode="RH10 1AA",
    )

    assert outcome(record, olivia).outcome == m.REVIEW
    assert outcome(replace(record, forenames="Olivia"), olivia).outcome == m.NEW
    different = m.score(replace(record, forenames="Olivia Grace"), olivia)
    assert has(different, "middle names: none in common (grace / rose)")


@pytest.mark.parametrize(
    "changes",
    [{}, {"forenames": "Tom"}, {"postcode": ""}, {"date_of_birth": date(2015, 12, 3)}],
)
def test_two_different_valid_upns_are_never_linked_automatically(changes):
    record = incoming(upn="B801200005001", **changes)
    result = m.score(record, THOMAS)
    assert has(result, "UPN: two different UPNs")
    assert result.upn_conflict
    decision = outcome(record, THOMAS)
    assert decision.outcome != m.LINK
    if decision.outcome == m.REVIEW:
        assert m.DECISION_UPNS_DIFFER in decision.evidence


def test_two_different_valid_upns_are_strong_evidence_against_a_twin():
    twin = m.score(incoming(forenames="Oliver James", upn="B801200005001"), THOMAS)
    assert twin.weight < m.score(incoming(forenames="Oliver James"), THOMAS).weight - 7
    assert has(twin, "UPN: two different UPNs, strong evidence against")


def test_a_temporary_upn_that_differs_is_only_weak_evidence():
    assert m.score(incoming(upn="G80120000101A"), THOMAS).score >= AUTO_LINK


def test_sibling_of_a_different_age_is_not_linked():
    record = incoming(forenames="Jack", date_of_birth=date(2017, 6, 30))
    assert outcome(record, THOMAS).outcome == m.NEW


# --- best_candidates ----------------------------------------------------------------------------


def test_best_candidates_are_sorted_best_first_and_limited():
    others = [
        replace(THOMAS, key=f"other-{n}", forenames=name, upn="")
        for n, name in enumerate(["Oliver", "Tom", "George", "Harry"])
    ]
    ranked = m.best_candidates(incoming(), [*others, THOMAS], limit=3)
    assert len(ranked) == 3
    assert ranked[0][0] == THOMAS
    weights = [result.weight for _, result in ranked]
    assert weights == sorted(weights, reverse=True)


def test_best_candidates_keep_the_upn_holder_even_when_it_scores_low():
    holder = MatchRecord(key="holder", upn=THOMAS.upn, forenames="Zara", surname="Quinn")
    strangers = [replace(THOMAS, key=f"s-{n}", upn="", postcode="") for n in range(5)]
    ranked = m.best_candidates(replace(THOMAS, key=None), [*strangers, holder], limit=3)
    assert ranked[-1][0] is holder
    assert ranked[-1][1].upn_identical


def test_best_candidates_accept_any_iterable():
    ranked = m.best_candidates(incoming(), (child for child in [THOMAS]))
    assert ranked[0][0] == THOMAS


def test_best_candidates_of_nobody_is_empty_and_decided_new():
    assert m.best_candidates(incoming(), []) == []
    assert m.decide([], auto_link=AUTO_LINK, review=REVIEW).outcome == m.NEW


def test_rank_many_scores_each_return_as_best_candidates_does():
    jobs = [(incoming(), [THOMAS]), (incoming(forenames="Tom"), [THOMAS])]
    many = m.rank_many(jobs)
    for (record, candidates), ranked in zip(jobs, many, strict=True):
        assert ranked == m.best_candidates(record, candidates)


def test_every_score_records_the_model_version_that_made_it():
    assert m.score(incoming(), THOMAS).model_version == 0
    assert outcome(incoming(), THOMAS).model_version == 0


# --- decide -------------------------------------------------------------------------------------


def test_decide_links_a_clear_winner():
    other = replace(THOMAS, key="child-2")
    result = m.decide([(THOMAS, scored(0.99)), (other, scored(0.40))], auto_link=0.92, review=0.55)
    assert (result.outcome, result.candidate, result.score) == (m.LINK, THOMAS, 0.99)


def test_decide_sends_two_near_equal_candidates_to_review():
    other = replace(THOMAS, key="child-2")
    result = m.decide([(THOMAS, scored(0.97)), (other, scored(0.95))], auto_link=0.92, review=0.55)
    assert result.outcome == m.REVIEW
    assert m.DECISION_NEAR_TIE.format(runner_up=0.95) in result.evidence


def test_a_sibling_with_another_surname_at_the_same_address_is_no_tie_for_the_named_child():
    """Same birth date and address saturate the probability for a sibling too; one whose surname
    differs outright could never be linked itself, so it does not hold back the child who agrees."""
    sibling = replace(THOMAS, key="child-2")
    ranked = [(THOMAS, scored(1.0)), (sibling, replace(scored(0.99), name_differs=True))]

    assert m.decide(ranked, auto_link=0.92, review=0.55).outcome == m.LINK


def test_a_child_who_moved_is_not_counted_against_twice():
    """A new postcode and a new first line are one move: the postcode counts it, the line is not
    compared. Counted twice, "Tom" at his new home went to a person."""
    child = replace(THOMAS, upn="", address="12 Station Road")
    record = incoming(forenames="Tom", postcode="RH10 1AA", address="4 Oak Close")

    result = m.score(record, child)
    assert has(result, "address: not compared (a move: the postcode counts it)")
    assert outcome(record, child).outcome == m.LINK
    same_line = m.score(replace(record, address="12 Station Road"), child)
    assert has(same_line, "address: the same first line")  # a postcode mistyped or recoded
    nearby = m.score(replace(record, postcode="BN1 7XY"), child)  # the same district
    assert has(nearby, "address: not compared (a move: the postcode counts it)")
    one_slip = m.score(replace(record, postcode="BN1 2AD"), child)  # a slip, not a move
    assert has(one_slip, "address: a different first line")


ISLA_AT_HOME = MatchRecord(
    key="isla",
    forenames="Isla",
    surname="Rahman",
    date_of_birth=date(2015, 1, 24),
    sex="F",
    postcode="BN18 1BT",
    address="93 Mill Street",
)
HER_SISTER = replace(ISLA_AT_HOME, key="esme", forenames="Esme", date_of_birth=date(2012, 10, 1))


def test_a_sister_at_the_same_home_new_to_the_register_is_a_new_child_not_a_review():
    """Home and surname shared, forename and birthday not: a sister, however strongly the home
    scores. Two such slips in one return are far rarer than a sister."""
    record = replace(HER_SISTER, key=None)
    ranked = m.best_candidates(record, [ISLA_AT_HOME])
    assert ranked[0][1].score >= 0.10  # the model alone would ask a person (settings' threshold)

    assert m.decide(ranked, auto_link=AUTO_LINK, review=0.10).outcome == m.NEW


def test_a_sister_keyed_with_her_sisters_upn_is_put_to_a_person_not_linked():
    record = replace(HER_SISTER, key=None, upn=THOMAS.upn)
    result = outcome(record, replace(ISLA_AT_HOME, upn=THOMAS.upn))
    assert (result.outcome, result.reason) == (m.REVIEW, m.DECISION_UPN_CONFLICT)


def test_a_brother_born_another_day_is_no_tie_for_the_named_child():
    """Home and surname shared lift "Sam Griffiths", born five years later, to 0.995 against a
    return about "Kai Griffiths"; born another day, he could never be linked automatically
    himself (safety rule 5), so he does not hold back the child who agrees."""
    brother = replace(THOMAS, key="child-2")
    ranked = [(THOMAS, scored(1.0)), (brother, replace(scored(0.995), born_another_day=True))]

    assert m.decide(ranked, auto_link=0.92, review=0.55).outcome == m.LINK
    also_born_another_day = [(THOMAS, replace(scored(1.0), born_another_day=True)), ranked[1]]
    assert m.decide(also_born_another_day, auto_link=0.92, review=0.55).outcome == m.REVIEW


def test_a_death_return_links_automatically_only_on_the_same_upn():
    """A death recorded on the wrong child cannot be undone by unlinking: a person confirms it
    unless the UPN is the same (docs/rules/registration.md §2)."""
    by_details = [(THOMAS, scored(0.99))]
    by_upn = [(THOMAS, replace(scored(0.99), upn_identical=True))]

    held = m.decide(by_details, auto_link=0.92, review=0.55, only_on_the_same_upn=True)
    assert (held.outcome, held.evidence[-1]) == (m.REVIEW, m.DECISION_DEATH)
    assert (
        m.decide(by_upn, auto_link=0.92, review=0.55, only_on_the_same_upn=True).outcome == m.LINK
    )
    assert m.decide(by_details, auto_link=0.92, review=0.55).outcome == m.LINK


def test_decide_margin_can_be_changed():
    other = replace(THOMAS, key="child-2")
    ranked = [(THOMAS, scored(0.97)), (other, scored(0.90))]
    assert m.decide(ranked, auto_link=0.92, review=0.55).outcome == m.REVIEW
    assert m.decide(ranked, auto_link=0.92, review=0.55, margin=0.05).outcome == m.LINK


@pytest.mark.parametrize(
    ("top", "expected"), [(0.92, m.LINK), (0.91, m.REVIEW), (0.55, m.REVIEW), (0.54, m.NEW)]
)
def test_decide_compares_the_top_score_with_both_thresholds(top, expected):
    assert m.decide([(THOMAS, scored(top))], auto_link=0.92, review=0.55).outcome == expected


def test_decide_reviews_the_upn_holder_when_everything_else_disagrees():
    record = MatchRecord(upn=THOMAS.upn, forenames="Zara", surname="Quinn")
    result = outcome(record, THOMAS)
    assert (result.outcome, result.candidate) == (m.REVIEW, THOMAS)
    assert m.DECISION_UPN_CONFLICT in result.evidence


def test_decide_does_not_link_when_another_candidate_holds_the_incoming_upn():
    clear_winner = (THOMAS, scored(0.99))
    holder = (replace(THOMAS, key="child-2"), m.MatchScore(0.30, (), upn_identical=True))
    result = m.decide([clear_winner, holder], auto_link=0.92, review=0.55)
    assert (result.outcome, result.candidate) == (m.REVIEW, THOMAS)
    assert m.DECISION_UPN_ELSEWHERE in result.evidence


def test_decide_never_links_two_different_valid_upns_whatever_the_score():
    conflict = m.MatchScore(0.9999, (), upn_conflict=True)
    result = m.decide([(THOMAS, conflict)], auto_link=0.92, review=0.55)
    assert result.outcome == m.REVIEW
    assert m.DECISION_UPNS_DIFFER in result.evidence


def test_decide_never_links_a_possible_twin_whatever_the_score():
    twin = m.MatchScore(0.9999, (), twin_or_same=True)
    result = m.decide([(THOMAS, twin)], auto_link=0.92, review=0.55)
    assert (result.outcome, result.evidence) == (m.REVIEW, (m.DECISION_TWIN,))
    assert result.reason == m.DECISION_TWIN


@pytest.mark.parametrize(
    ("scored", "reason"),
    [
        (m.MatchScore(0.7, ()), m.DECISION_BETWEEN),
        (m.MatchScore(0.7, (), upn_conflict=True), m.DECISION_UPNS_DIFFER),
        (m.MatchScore(0.99, (), name_differs=True), m.DECISION_NAME_DIFFERS),
        (m.MatchScore(0.01, (), upn_identical=True), m.DECISION_UPN_CONFLICT),
        (m.MatchScore(0.99, (), family_middle_name=True), m.DECISION_FAMILY_MIDDLE_NAME),
        (m.MatchScore(0.99, (), forename_initial=True), m.DECISION_INITIAL),
    ],
)
def test_every_review_says_why_a_person_decides(scored, reason):
    result = m.decide([(THOMAS, scored)], auto_link=0.92, review=0.55)
    assert (result.outcome, result.reason) == (m.REVIEW, reason)


def test_a_link_or_a_new_child_gives_no_reason_for_review():
    assert m.decide([(THOMAS, m.MatchScore(0.99, ()))], auto_link=0.92, review=0.55).reason == ""
    assert m.decide([(THOMAS, m.MatchScore(0.01, ()))], auto_link=0.92, review=0.55).reason == ""


# --- The model itself ---------------------------------------------------------------------------


def test_each_comparison_of_the_starting_model_gives_m_and_u_distributions():
    for comparison in linkage.default_settings()["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        assert sum(lv["m_probability"] for lv in levels) == pytest.approx(1.0, abs=0.02)
        assert sum(lv["u_probability"] for lv in levels) == pytest.approx(1.0, abs=0.02)


def test_names_have_a_term_frequency_adjustment_so_a_rare_surname_counts_for_more():
    model = linkage.Model(
        version=7,
        settings=linkage.default_settings(),
        term_frequencies={"surname": {"smith": 0.02}, "forename": {}},
        register_size=100_000,
    )
    rare = replace(THOMAS, surname="Zablocki")
    common = m.score(incoming(postcode=""), replace(THOMAS, postcode=""), model=model)
    uncommon = m.score(
        replace(rare, key=None, upn="", postcode=""), replace(rare, postcode=""), model=model
    )
    # A surname a fiftieth of the register share counts as that share; one seen once or never, as
    # the floor (linkage.TF_MINIMUM_U), so a rare name cannot outweigh a different birth date.
    assert uncommon.weight - common.weight == pytest.approx(
        math.log2(0.02 / linkage.TF_MINIMUM_U), abs=0.01
    )
    assert common.model_version == 7


def _postcode_weight(score: m.MatchScore) -> float:
    return next(w for column, _level, w in score.weights if column == "postcode")


def test_a_postcode_many_children_share_counts_for_less_and_a_familys_for_no_more_than_usual():
    # A register of 1,000: 300 children keyed at one placeholder postcode, the rest two to a
    # postcode (a brother or sister at the same home).
    placeholder = "ZZ99 3VZ"
    terms = [("Amy", f"Surname{n}", placeholder) for n in range(300)]
    terms += [
        ("Amy", f"Surname{n}", f"CB{n % 9 + 1} {n // 9 % 9 + 1}Q{chr(65 + n // 81)}")
        for n in range(700)
    ]
    settings, frequencies, size = linkage.starting_model_fitted(terms)
    assert set(frequencies["postcode"]) == {"ZZ993VZ"}  # a family's postcode is not stored
    model = linkage.Model(1, settings, frequencies, register_size=size)
    crowded = m.score(
        incoming(postcode=placeholder), replace(THOMAS, postcode=placeholder), model=model
    )
    quiet = m.score(incoming(), THOMAS, model=model)
    exact = linkage.exact_level(settings, "postcode")
    usual = math.log2(exact["m_probability"] / exact["u_probability"])
    assert _postcode_weight(quiet) == pytest.approx(usual, abs=0.01)
    assert _postcode_weight(crowded) == pytest.approx(
        math.log2(exact["m_probability"] / 0.3), abs=0.01
    )
    assert crowded.score < quiet.score


def test_every_score_is_a_probability():
    for record in [incoming(), incoming(forenames="Jack", date_of_birth=date(2001, 1, 1))]:
        assert 0.0 <= m.score(record, THOMAS).score <= 1.0


# A child on the register at a known home, for the surname rule (ADR 0012, safety rule 3).
TOM_AT_HOME = MatchRecord(
    key=1,
    forenames="Tom",
    surname="Smith",
    date_of_birth=date(2015, 3, 14),
    postcode="CB7 9QT",
    address="12 Mill Lane, Ely",
)


def test_a_surname_that_differs_outright_goes_to_review_unless_the_upn_confirms_it():
    """The same postcode, but the first lines of the address say another home."""
    register = replace(TOM_AT_HOME, sex="M")
    incoming = replace(register, key=None, surname="Jones", address="3 Station Road, Ely")
    decision = m.decide(m.best_candidates(incoming, [register]), auto_link=0.92, review=0.55)
    assert decision.outcome == "review"
    assert m.DECISION_NAME_DIFFERS in decision.evidence
    with_upn = m.decide(
        m.best_candidates(
            replace(incoming, upn="H801200001001"),
            [replace(register, upn="H801200001001")],
        ),
        auto_link=0.92,
        review=0.55,
    )
    assert with_upn.outcome == "link"


def test_a_surname_changed_at_the_same_home_links_but_not_when_the_address_differs():
    """A new surname with the same forename, date of birth, postcode and first line of the
    address is the same child renamed (a parent's marriage); at another address it is a
    person's decision (ADR 0012)."""
    register = TOM_AT_HOME
    renamed = replace(register, key=None, surname="Okonkwo")
    moved = replace(renamed, address="3 Station Road, Ely")

    at_home = m.decide(m.best_candidates(renamed, [register]), auto_link=0.92, review=0.10)
    elsewhere = m.decide(m.best_candidates(moved, [register]), auto_link=0.92, review=0.10)

    assert at_home.outcome == "link"
    assert "surname: wholly different" in " ".join(at_home.evidence)
    assert elsewhere.outcome == "review"


def test_a_surname_changed_at_the_same_home_links_when_the_postcode_is_keyed_one_slip_off():
    """A renamed child whose return also carries a postcode slip ("CB7 9QR" for "CB7 9QT"),
    as FEBRL's duplicates do, is still the child at the same first line of the address; with
    the first line different as well it is not linked."""
    register = TOM_AT_HOME
    renamed = replace(register, key=None, surname="Okonkwo", postcode="CB7 9QR")
    moved = replace(renamed, address="3 Station Road, Ely")

    at_home = m.decide(m.best_candidates(renamed, [register]), auto_link=0.92, review=0.10)
    elsewhere = m.decide(m.best_candidates(moved, [register]), auto_link=0.92, review=0.10)

    assert (at_home.outcome, at_home.candidate.key) == ("link", 1)
    assert elsewhere.outcome != "link"


def test_a_surname_changed_links_on_the_same_postcode_when_a_record_has_no_first_line():
    """Most returns carry a postcode but no first line of the address: a renamed child with the
    same forename, date of birth and postcode exactly is linked; one postcode slip away, with
    nothing else to place the home, it is a person's decision (ADR 0012, safety rule 3)."""
    register = replace(TOM_AT_HOME, address="")
    renamed = replace(register, key=None, surname="Okonkwo")
    slipped = replace(renamed, postcode="CB7 9QR")

    at_home = m.decide(m.best_candidates(renamed, [register]), auto_link=0.92, review=0.10)
    nearby = m.decide(m.best_candidates(slipped, [register]), auto_link=0.92, review=0.10)

    assert (at_home.outcome, at_home.candidate.key) == ("link", 1)
    assert nearby.outcome != "link"


def test_a_batch_with_no_upn_sex_postcode_or_address_anywhere_is_still_scored():
    """A column empty in every row of a batch still has a type for Splink's SQL."""
    bare = MatchRecord(forenames="Tom", surname="Smith", date_of_birth=date(2014, 3, 17))
    result = m.score(bare, replace(bare, key="child-9"))
    assert result.score > REVIEW
    assert "postcode: not compared (missing on one side)" in result.evidence


FREQUENCIES = {"surname": {"smith": 0.01}, "forename": {"thomas": 0.01}}


def test_a_brother_with_a_short_form_of_the_name_born_years_apart_at_home_goes_to_review():
    """The generator's one wrong link once the prior was fitted to its register: "Ricky Page",
    born 2013, linked to his brother "Frederick George Page", born 2017, at the same postcode."""
    model = linkage.Model(  # fitted to a register of 20,000 where "Page" is rare
        0, linkage.default_settings(register_size=20_000), FREQUENCIES, register_size=20_000
    )
    frederick = replace(THOMAS, forenames="Frederick George", surname="Page", upn="P938207622003")
    # His middle name left out: "Abdul" against "George" now counts against the link itself.
    ricky = incoming(forenames="Ricky", surname="Page", date_of_birth=date(2013, 11, 14))
    frederick = replace(frederick, date_of_birth=date(2017, 3, 4))

    ranked = m.best_candidates(ricky, [frederick], model=model)
    decision = m.decide(ranked, auto_link=AUTO_LINK, review=REVIEW)

    assert ranked[0][1].score >= AUTO_LINK  # the model alone would link them
    assert (decision.outcome, decision.reason) == (m.REVIEW, m.DECISION_BORN_ANOTHER_DAY)


def test_the_same_forename_with_a_date_of_birth_keyed_wrong_still_links():
    model = linkage.Model(
        0, linkage.default_settings(register_size=20_000), FREQUENCIES, register_size=20_000
    )
    thomas = replace(THOMAS, upn="")
    record = incoming(date_of_birth=date(2012, 8, 30))

    decision = m.decide(
        m.best_candidates(record, [thomas], model=model), auto_link=AUTO_LINK, review=REVIEW
    )

    assert decision.outcome == m.LINK


def test_returns_are_ranked_on_their_upn_then_on_the_near_blocks_then_on_every_block():
    """``rank_widening``: a return agreeing exactly with the holder of its UPN reads nothing
    more; one that does not is ranked on the near blocks; one those do not link, on every
    block. What a later step finds is ranked with what was found before."""
    identified = incoming(upn=THOMAS.upn)
    misspelt = incoming(upn=THOMAS.upn, surname="Smyth")
    # Names keyed badly, a new home and no UPN: only "born the same day" finds Thomas.
    unsettled = incoming(forenames="Tomos", surname="Smtih", postcode="BN9 9ZZ")
    asked = []

    def find(records, reach):
        asked.append(([r.surname for r in records], reach))
        near = reach != m.REACH_UPN
        return [
            [THOMAS] if reach == m.REACH_ALL or r.upn or (near and r is misspelt) else []
            for r in records
        ]

    def links(_position, ranked):
        return m.decide(ranked, auto_link=AUTO_LINK, review=REVIEW).outcome == m.LINK

    ranked = m.rank_widening([identified, misspelt, unsettled], find, links)

    assert asked == [
        (["Smith", "Smyth"], m.REACH_UPN),
        (["Smyth", "Smtih"], m.REACH_NEAR),
        (["Smtih"], m.REACH_ALL),
    ]
    assert [[child.key for child, _score in found] for found in ranked] == [["child-1"]] * 3


def test_a_record_of_the_child_without_the_upn_does_not_hold_back_a_return_the_upn_confirms():
    """Agreeing exactly on the UPN, both names and the date of birth settles a return on the
    UPN's holder: a record of the same child without the UPN, which the near blocks would find
    as a near tie, is left to the duplicates check."""
    recorded_again = replace(THOMAS, key="child-2", upn="")
    record = incoming(upn=THOMAS.upn)

    def find(records, reach):
        return [[THOMAS] if reach == m.REACH_UPN else [THOMAS, recorded_again] for _r in records]

    def links(_position, ranked):
        return m.decide(ranked, auto_link=AUTO_LINK, review=REVIEW).outcome == m.LINK

    [ranked] = m.rank_widening([record], find, links)
    decision = m.decide(ranked, auto_link=AUTO_LINK, review=REVIEW)

    assert (decision.outcome, decision.candidate.key) == (m.LINK, "child-1")
    # Without the UPN step the two records tie.
    [both] = m.rank_many([(record, [THOMAS, recorded_again])])
    assert m.decide(both, auto_link=AUTO_LINK, review=REVIEW).outcome == m.REVIEW
