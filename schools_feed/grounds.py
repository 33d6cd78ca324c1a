"""Deletion grounds: reg 9(1) of the 2024 Regulations and reg 8(1) of the 2006 Regulations.

A letter means different things under each set (8(1)(d) was home education; 9(1)(d) is an SAO
amended), so a ground is always stored with its legal basis (docs/rules/registration.md §1, §2).
The set that applies follows the deletion date.
"""

from datetime import date

from django.db import models

REGULATIONS_2024_IN_FORCE = date(2024, 8, 19)


class LegalBasis(models.TextChoices):
    REGS_2024 = "2024", "2024 Regulations, reg 9(1)"
    REGS_2006 = "2006", "2006 Regulations, reg 8(1)"


GROUNDS_2024 = {
    "a": "Registered at another school",
    "b": "Did not continue after completing nursery education",
    "c": "Also registered at other schools, which agreed the deletion",
    "d": "School attendance order changed to name another school",
    "e": "School attendance order revoked",
    "f": "Parent notified the school in writing of education otherwise than at school",
    "g": "No longer normally lives a reasonable distance from the school",
    "h": "Has not returned following a leave of absence",
    "i": "Continuously absent for 20 school days",
    "j": "Detained under a sentence of detention",
    "k": "Has died",
    "l": "Will be over compulsory school age and not continuing to the sixth form",
    "m": "Boarder whose boarding fees have not been paid",
    "n": "Ceased to be a pupil at an independent or non-maintained special school",
    "o": "Permanently excluded",
}

GROUNDS_2006 = {
    "a": "School attendance order substituted or revoked",
    "b": "Registered at another school",
    "c": "Dual registered, ceased to attend, other school consents",
    "d": "Parent notified in writing of education otherwise than at school",
    "e": "Ceased to attend and no longer lives a reasonable distance away",
    "f": "Did not return within 10 school days of a leave of absence",
    "g": "Certified unlikely to be fit to attend before leaving age",
    "h": "Continuously absent for 20 school days, whereabouts unknown",
    "i": "Detained for four months or more",
    "j": "Has died",
    "k": "Will cease to be of compulsory school age and not continuing",
    "l": "Ceased to be a pupil at a school other than a maintained school or academy",
    "m": "Permanently excluded",
    # The nursery ground (docs/rules/registration.md §2.2). The boarding-fees ground added in 2011
    # has no letter the sources agree on, so it is not a 2006 ground here.
    "n": "Nursery pupil not transferring to reception",
}

GROUNDS = {LegalBasis.REGS_2024: GROUNDS_2024, LegalBasis.REGS_2006: GROUNDS_2006}

# What each ground means for routing, whichever the legal basis.
HOME_EDUCATION_GROUNDS = {(LegalBasis.REGS_2024, "f"), (LegalBasis.REGS_2006, "d")}
CME_RISK_GROUNDS = {(LegalBasis.REGS_2024, letter) for letter in ("g", "h", "i", "n")} | {
    (LegalBasis.REGS_2006, letter) for letter in ("e", "f", "h", "l")
}
PERMANENT_EXCLUSION_GROUNDS = {(LegalBasis.REGS_2024, "o"), (LegalBasis.REGS_2006, "m")}
# "Has died": the death is recorded on the child (registry.services.deaths), not a case opened.
DEATH_GROUNDS = {(LegalBasis.REGS_2024, "k"), (LegalBasis.REGS_2006, "j")}
# Each 2006 ground's nearest 2024 ground (docs/rules/registration.md §2.2); 8(1)(a) is either
# 9(1)(d) or (e), and 8(1)(g) has none.
GROUND_2024_FOR_2006 = {
    "a": "d",
    "b": "a",
    "c": "c",
    "d": "f",
    "e": "g",
    "f": "h",
    "h": "i",
    "i": "j",
    "j": "k",
    "k": "l",
    "l": "n",
    "m": "o",
    "n": "b",
}


def legal_basis_on(deletion_date: date) -> str:
    return (
        LegalBasis.REGS_2024 if deletion_date >= REGULATIONS_2024_IN_FORCE else LegalBasis.REGS_2006
    )


def ground_label(legal_basis: str, letter: str) -> str:
    regulation = "9(1)" if legal_basis == LegalBasis.REGS_2024 else "8(1)"
    description = GROUNDS.get(legal_basis, {}).get(letter, "Unknown ground")
    return f"{regulation}({letter}) {description}"
