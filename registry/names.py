"""How the register normalises a person's name for matching. Pure functions, no database.

One rule, used both when a child's ``name_key`` is stored and when a return's names are looked
up, so the two can never drift apart (ADR 0005).
"""

import re

from unidecode import unidecode

_APOSTROPHES = str.maketrans("", "", "'`")  # O'Brien -> obrien (Unidecode turns ’ into ')
_NOT_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]+")
NAME_KEY_LENGTH = 120


def normalise_name(text: str | None) -> str:
    """ASCII, lower case, apostrophes removed, hyphens and other punctuation made spaces."""
    ascii_lower = unidecode(text or "").lower().translate(_APOSTROPHES)
    return _NOT_LETTER_OR_DIGIT.sub(" ", ascii_lower).strip()


def first_name_word(text: str | None) -> str:
    return normalise_name(text).partition(" ")[0]


def name_key(surname: str, forenames: str) -> str:
    """The key stored on each child (``Child.name_key``): first word of the surname | first word
    of the forenames. It finds a child by name when a return's date of birth is wrong."""
    return f"{first_name_word(surname)}|{first_name_word(forenames)}"[:NAME_KEY_LENGTH]
