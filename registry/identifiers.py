"""UPN, ULN and NHS number checks (docs/rules/formats.md §1, §2).

Pure functions returning message constants.
"""

import re

UPN_MISSING = "UPN missing"
UPN_WRONG_LENGTH = "UPN invalid (must be 13 characters)"
UPN_CHECK_LETTER = "UPN invalid (wrong check letter at character 1)"
UPN_LA_CODE = "UPN invalid (characters 2-4 not a recognised LA code)"
UPN_NOT_NUMERIC = "UPN invalid (characters 5-12 not all numeric)"
UPN_CHAR_13 = "UPN invalid (character 13 not a recognised value)"

ULN_WRONG_FORMAT = "ULN invalid (must be 10 digits, not starting with 0)"
ULN_CHECK_DIGIT = "ULN invalid (wrong check digit)"

NHS_NUMBER_WRONG_FORMAT = "NHS number invalid (must be 10 digits)"
NHS_NUMBER_CHECK_DIGIT = "NHS number invalid (wrong check digit)"

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _la_codes(spec: str) -> frozenset[str]:
    codes: set[str] = set()
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        codes.update(f"{n:03d}" for n in range(int(first), int(last or first) + 1))
    return frozenset(codes)


# CIN rule 1530 list (docs/rules/formats.md §1.3) plus 942 and 943, which replaced 909
# Cumbria in 2023.
DEFAULT_UPN_LA_CODES = _la_codes(
    "1-5, 201-213, 301-320, 330-336, 340-344, 350-359, 370-373, 380-384, 390-394, 420, 660-681,"
    " 701-708, 800-803, 805-808, 810-813, 815, 816, 820-823, 825, 826, 830, 831, 835-837, 838-839,"
    " 840, 841, 845, 846, 850-852, 855-857, 860, 861, 865-896, 908, 909, 916, 919, 921, 925, 926,"
    " 928, 929, 931, 933, 935-938, 940-943"
)
UNKNOWN_UPN_PLACEHOLDER = re.compile(r"^UN[1-5]$")


def normalise_upn(value: str) -> str:
    return (value or "").strip().upper()


def is_unknown_upn_placeholder(value: str) -> bool:
    """UN1–UN5: the codes LA returns use when a UPN is unknown (docs/rules/formats.md §1.3)."""
    return bool(UNKNOWN_UPN_PLACEHOLDER.match(normalise_upn(value)))


# Each character's value in the check-letter sum: a digit is itself, a letter its place in
# CHECK_LETTERS (a lookup, not a search: a large file checks hundreds of thousands of UPNs).
_CHARACTER_VALUES = {str(digit): digit for digit in range(10)} | {
    letter: place for place, letter in enumerate(CHECK_LETTERS)
}


def _character_value(character: str) -> int:
    return _CHARACTER_VALUES[character]


def upn_check_letter(body: str) -> str:
    """The check letter for characters 2–13 of a UPN: weights 2..13, modulo 23."""
    total = sum(weight * _character_value(ch) for weight, ch in enumerate(body, start=2))
    return CHECK_LETTERS[total % 23]


def upn_errors(value: str, *, allowed_la_codes: frozenset[str] | None = None) -> list[str]:
    upn = normalise_upn(value)
    if not upn:
        return [UPN_MISSING]
    if len(upn) != 13:
        return [UPN_WRONG_LENGTH]
    if not upn[1:12].isdigit():
        return [UPN_NOT_NUMERIC]
    if not (upn[12].isdigit() or upn[12] in CHECK_LETTERS):
        return [UPN_CHAR_13]
    errors = []
    if upn[0] != upn_check_letter(upn[1:]):
        errors.append(UPN_CHECK_LETTER)
    if upn[1:4] not in (allowed_la_codes or DEFAULT_UPN_LA_CODES):
        errors.append(UPN_LA_CODE)
    return errors


def is_valid_upn(value: str, **kwargs) -> bool:
    return not upn_errors(value, **kwargs)


def uln_errors(value: str) -> list[str]:
    """Weights 10..1 over the ten digits; the sum mod 11 must be 10 (docs/rules/formats.md §2.1).
    The ILR's temporary 9999999999 fails this check and is treated as invalid here: it names
    nobody."""
    uln = (value or "").strip()
    if not re.fullmatch(r"[1-9]\d{9}", uln):
        return [ULN_WRONG_FORMAT]
    total = sum(weight * int(digit) for weight, digit in zip(range(10, 0, -1), uln, strict=True))
    return [] if total % 11 == 10 else [ULN_CHECK_DIGIT]


def is_valid_uln(value: str) -> bool:
    return not uln_errors(value)


def normalise_nhs_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def nhs_number_errors(value: str) -> list[str]:
    """Modulus 11: weights 10..2 over the first nine digits; 11 - remainder is the check digit
    (11 means 0; 10 means the number is invalid)."""
    number = normalise_nhs_number(value)
    if not re.fullmatch(r"\d{10}", number):
        return [NHS_NUMBER_WRONG_FORMAT]
    total = sum(
        weight * int(digit) for weight, digit in zip(range(10, 1, -1), number[:9], strict=True)
    )
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return [] if check != 10 and check == int(number[9]) else [NHS_NUMBER_CHECK_DIGIT]


def is_valid_nhs_number(value: str) -> bool:
    return not nhs_number_errors(value)
