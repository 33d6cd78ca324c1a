"""School census days and terms (docs/rules/statistics.md §2): the DfE EHE/CME census, the
DCS pack and the off-rolling window use them.

The school census falls on a Thursday: the first in October, the third in January and the third in
May. DfE confirms the dates each year; SCHOOL_CENSUS_DATES in settings replaces a computed date
in the same month when a year's dates differ.
"""

from datetime import date, timedelta

from django.conf import settings

from registry.dates import date_words
from registry.school_age import academic_year_start

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


def is_census_day(day: date) -> bool:
    return day in census_days(academic_year_start(day)).values()


def latest_census_on_or_before(day: date, term: str | None = None) -> date:
    """The latest census day (of ``term``, if given) on or before ``day``."""
    year = academic_year_start(day)
    return max(
        census
        for academic_year in (year - 1, year)
        for name, census in census_days(academic_year).items()
        if census <= day and (term is None or name == term)
    )


def term_of(day: date) -> str:
    """The term a date falls in. Without school calendars the terms follow the months: autumn
    September–December, spring January–March, summer April–August (ADR 0007); each census day
    falls in its own term."""
    if day.month >= 9:
        return "autumn"
    return "spring" if day.month <= 3 else "summer"


def long_date(day: date) -> str:
    """ "Thursday 2 October 2025", as messages and titles give a census day."""
    return f"{day:%A} {date_words(day)}"


def census_days_description(day: date, *, describe=long_date) -> str:
    """The census days of ``day``'s academic year, in words, for messages."""
    days = [describe(census) for census in census_days(academic_year_start(day)).values()]
    return f"{', '.join(days[:-1])} and {days[-1]}"
