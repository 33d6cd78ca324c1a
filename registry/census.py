"""School census days (domain.md §4.1): the DfE EHE/CME census and the off-rolling window use them.

The school census falls on a Thursday: the first in October, the third in January and the third in
May. DfE confirms the dates each year; SCHOOL_CENSUS_DATES in settings replaces a computed date
in the same month when a year's dates differ.
"""

from datetime import date, timedelta

from django.conf import settings

THURSDAY = 3


def _nth_thursday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(THURSDAY - first.weekday()) % 7 + 7 * (nth - 1))


def _configured(year: int, month: int) -> date | None:
    for text in settings.SCHOOL_CENSUS_DATES:
        configured = date.fromisoformat(text)
        if (configured.year, configured.month) == (year, month):
            return configured
    return None


def census_day(year: int, month: int, nth: int) -> date:
    return _configured(year, month) or _nth_thursday(year, month, nth)


def census_days(academic_year: int) -> dict[str, date]:
    """The autumn, spring and summer census days of the academic year starting in September of
    ``academic_year``."""
    return {
        "autumn": census_day(academic_year, 10, 1),
        "spring": census_day(academic_year + 1, 1, 3),
        "summer": census_day(academic_year + 1, 5, 3),
    }


def january_census_day(academic_year: int) -> date:
    return census_days(academic_year)["spring"]
