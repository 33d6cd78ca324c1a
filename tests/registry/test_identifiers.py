"""UPN, ULN and NHS number checks against the public test vectors
(docs/rules/formats.md §1.4, §2.1)."""

import pytest

from registry import identifiers as ids


@pytest.mark.parametrize(
    "upn", ["H801200001001", "G80120000101A", " g80120000101a ", "B801200005001", "C838299919012"]
)
def test_valid_permanent_and_temporary_upns_are_accepted(upn):
    assert ids.upn_errors(upn) == []


@pytest.mark.parametrize("upn", ["A950000178301", "H243278544154"])
def test_upn_with_right_check_letter_but_unknown_la_fails_only_the_la_check(upn):
    assert ids.upn_errors(upn) == [ids.UPN_LA_CODE]


@pytest.mark.parametrize(
    "upn", ["Z801200001001", "A801200005001", "R247962919251", "X428558133462"]
)
def test_upn_with_wrong_check_letter_is_rejected(upn):
    assert ids.UPN_CHECK_LETTER in ids.upn_errors(upn)


@pytest.mark.parametrize("upn", ["R900400001001", "E000200005001"])
def test_upn_with_unrecognised_la_code_is_rejected(upn):
    assert ids.upn_errors(upn) == [ids.UPN_LA_CODE]


@pytest.mark.parametrize(
    "upn", ["H813E00000121", "H8131-0000121", "H81311 000121", "H813111E00121", "H8131111111E1"]
)
def test_upn_with_non_numeric_characters_5_to_12_is_rejected(upn):
    assert ids.upn_errors(upn) == [ids.UPN_NOT_NUMERIC]


@pytest.mark.parametrize("upn", ["G80120000101S", "G80120000101I", "G80120000101O"])
def test_upn_with_i_o_or_s_at_character_13_is_rejected(upn):
    assert ids.upn_errors(upn) == [ids.UPN_CHAR_13]


def test_upn_of_wrong_length_and_missing_upn_are_rejected():
    assert ids.upn_errors("BADCODE") == [ids.UPN_WRONG_LENGTH]
    assert ids.upn_errors("  ") == [ids.UPN_MISSING]


def test_check_letter_follows_the_worked_examples():
    assert ids.upn_check_letter("801200001001") == "H"
    assert ids.upn_check_letter("80120000101A") == "G"


def test_la_codes_942_and_943_created_in_2023_are_accepted():
    assert ids.is_valid_upn(ids.upn_check_letter("942123425001") + "942123425001")


def test_unknown_upn_placeholders_are_recognised_but_are_not_upns():
    assert ids.is_unknown_upn_placeholder("un3")
    assert not ids.is_unknown_upn_placeholder("UN6")
    assert not ids.is_valid_upn("UN1")


@pytest.mark.parametrize("uln", ["9276308686", "1000000043", "9999375358"])
def test_valid_ulns_are_accepted(uln):
    assert ids.uln_errors(uln) == []


@pytest.mark.parametrize(
    ("uln", "message"),
    [
        ("1000000063", ids.ULN_CHECK_DIGIT),
        ("0123456789", ids.ULN_WRONG_FORMAT),
        ("12345", ids.ULN_WRONG_FORMAT),
        ("9999999999", ids.ULN_CHECK_DIGIT),
    ],
)
def test_invalid_ulns_are_rejected_with_the_reason(uln, message):
    assert ids.uln_errors(uln) == [message]


def test_nhs_numbers_are_checked_with_modulus_11_after_removing_spaces():
    assert ids.is_valid_nhs_number("9434765919")
    assert ids.is_valid_nhs_number("943 476 5919")
    assert ids.nhs_number_errors("9434765918") == [ids.NHS_NUMBER_CHECK_DIGIT]
    assert ids.nhs_number_errors("94347659") == [ids.NHS_NUMBER_WRONG_FORMAT]
