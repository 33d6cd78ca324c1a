"""What an officer may type in the register search's postcode field, and which stored postcodes
it covers. Pure functions, no database.

Stored postcodes are upper case with one space before the inward code ("RH10 6AB"; see
``services.children.normalise_postcode``), so a whole postcode, its district (the outward code,
"RH10") and its sector ("RH10 6") are each a fixed prefix of the stored value.
"""

import re
from dataclasses import dataclass

POSTCODE_SEARCH_HINT = (
    "A full postcode (RH10 6AB), the first half (RH10) or the first half and the next digit "
    "(RH10 6). Finds children with any address there, current or past"
)
POSTCODE_SEARCH_INVALID = (
    "Enter a full postcode like RH10 6AB, the first half like RH10, or the first half and the "
    "next digit like RH10 6"
)

_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_FULL = re.compile(rf"^({_OUTWARD})([0-9][A-Z]{{2}})$")
_DISTRICT = re.compile(rf"^{_OUTWARD}$")
_SECTOR = re.compile(rf"^({_OUTWARD}) ([0-9])$")


@dataclass(frozen=True)
class PostcodeSearch:
    """``exact`` is a whole postcode; otherwise ``prefix`` starts every postcode in the district
    or sector (the district's own prefix ends in a space, so "RH1" never finds "RH10 6AB")."""

    exact: str = ""
    prefix: str = ""


def postcode_search_parse(text: str) -> PostcodeSearch | None:
    """ "rh106ab", "RH10 6AB", "rh10", "RH10 6" are understood; anything else gives None."""
    spaced = " ".join((text or "").upper().split())
    compact = spaced.replace(" ", "")
    if full := _FULL.match(compact):
        return PostcodeSearch(exact=f"{full[1]} {full[2]}")
    if _DISTRICT.match(spaced):
        return PostcodeSearch(prefix=f"{spaced} ")
    if sector := _SECTOR.match(spaced):
        return PostcodeSearch(prefix=f"{sector[1]} {sector[2]}")
    return None
