"""Expected NC year and compulsory school age (docs/rules/statistics.md §3.3). Pure functions."""

from datetime import date, timedelta

RECEPTION_OFFSET_YEARS = 5  # born Sep Y .. Aug Y+1 -> Reception in the year starting Sep Y+5 - 1


def academic_year_start(on: date) -> int:
    return on.year if on.month >= 9 else on.year - 1


def academic_year_label(start_year: int) -> str:
    """ "2025/26" for the academic year starting in September 2025."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _cohort_start_year(date_of_birth: date) -> int:
    """The calendar year in which the child's birth cohort (1 Sep to 31 Aug) began."""
    return academic_year_start(date_of_birth)


def expected_nc_year(date_of_birth: date, on: date) -> str:
    reception_year = _cohort_start_year(date_of_birth) + 5
    offset = academic_year_start(on) - reception_year
    if offset == -2:
        return "N1"
    if offset == -1:
        return "N2"
    if offset == 0:
        return "R"
    if 1 <= offset <= 14:
        return str(offset)
    return ""


def date_of_birth_range_for_nc_year(nc_year: str, on: date) -> tuple[date, date]:
    labels = {"N1": -2, "N2": -1, "R": 0}
    offset = labels[nc_year] if nc_year in labels else int(nc_year)
    cohort_start = academic_year_start(on) - 5 - offset
    return date(cohort_start, 9, 1), date(cohort_start + 1, 8, 31)


def is_compulsory_school_age(date_of_birth: date, on: date) -> bool:
    return (
        compulsory_school_age_start(date_of_birth) <= on <= compulsory_school_age_end(date_of_birth)
    )


def compulsory_school_age_start(date_of_birth: date) -> date:
    fifth = _birthday(date_of_birth, date_of_birth.year + 5)
    for prescribed in (date(fifth.year, 3, 31), date(fifth.year, 8, 31), date(fifth.year, 12, 31)):
        if prescribed >= fifth:
            return prescribed
    raise AssertionError("unreachable")


def compulsory_school_age_end(date_of_birth: date) -> date:
    sixteenth = _birthday(date_of_birth, date_of_birth.year + 16)
    june = date(academic_year_start(sixteenth) + 1, 6, 30)
    return june - timedelta(days=(june.weekday() - 4) % 7)


def _birthday(date_of_birth: date, year: int) -> date:
    try:
        return date_of_birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def nc_year_label(code: str) -> str:
    return {"R": "Reception", "N1": "Nursery 1", "N2": "Nursery 2", "": "Not of school age"}.get(
        code, f"Year {code}"
    )
