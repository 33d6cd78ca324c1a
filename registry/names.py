"""How the register normalises a person's name for matching. Pure functions, no database.

One rule, used both when a child's ``name_key`` is stored and when a return's names are looked
up, so the two can never drift apart (ADR 0005).
"""

import re
from datetime import date
from functools import lru_cache

from jellyfish import soundex
from unidecode import unidecode

_APOSTROPHES = str.maketrans("", "", "'`")  # O'Brien -> obrien (Unidecode turns ’ into ')
_NOT_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]+")
NAME_KEY_LENGTH = 120
ADDRESS_KEY_LENGTH = 200


def _normalised(text: str | None) -> str:
    ascii_lower = unidecode(text or "").lower().translate(_APOSTROPHES)
    return _NOT_LETTER_OR_DIGIT.sub(" ", ascii_lower).strip()


# Names repeat across a register (a county has a few thousand distinct surnames and forenames),
# and matching a large file normalises each of them many times: each is worked out once.
# Addresses are nearly all distinct, so they are normalised without the cache (they would push
# the names out of it).
@lru_cache(maxsize=65536)
def normalise_name(text: str | None) -> str:
    """ASCII, lower case, apostrophes removed, hyphens and other punctuation made spaces."""
    return _normalised(text)


def first_name_word(text: str | None) -> str:
    return normalise_name(text).partition(" ")[0]


def name_key(surname: str, forenames: str) -> str:
    """The key stored on each child (``Child.name_key``): first word of the surname | first word
    of the forenames. It finds a child by name when a return's date of birth is wrong."""
    return f"{first_name_word(surname)}|{first_name_word(forenames)}"[:NAME_KEY_LENGTH]


def sound_key(surname: str, forenames: str, date_of_birth: date | None) -> str:
    """The key stored on each child (``Child.sound_key``): the Soundex code of the surname (its
    words run together) | of the first forename | the year of birth, or "" without all three.
    "Smyth / Tomas" and "Smith / Thomas", both born in 2015, share it: it finds a child whose
    surname is mistyped when the day or month of birth and the postcode are wrong too, which
    neither ``name_key`` nor those blocks can (ADR 0012). The year keeps the block small: names
    that sound alike are common across a county, within one year of birth they are few."""
    surname_letters = normalise_name(surname).replace(" ", "")
    forename = first_name_word(forenames)
    if not (surname_letters and forename and date_of_birth):
        return ""
    return f"{soundex(surname_letters)}|{soundex(forename)}|{date_of_birth.year}"


def address_line(text: str | None) -> str:
    """The first line of an address as matching compares it: the part before any comma,
    normalised like a name; "" when it has no letters (a bare house number says nothing)."""
    line = _normalised((text or "").partition(",")[0])
    return line if any(c.isalpha() for c in line) else ""


def address_key(text: str | None) -> str:
    """The key stored on each address (``Address.line_key``): ``address_line`` without its
    spaces ("28 Dinnisonc Ircuit" and "28 Dinnison-Circuit" give "28dinnisoncircuit"). It finds
    the children at an address when a return's postcode is wrong."""
    return address_line(text).replace(" ", "")[:ADDRESS_KEY_LENGTH]
