"""Expected NC year and compulsory school age at their boundaries
(docs/rules/statistics.md §3.3)."""

from datetime import date

import pytest

from registry import school_age


def test_birthdays_on_31_august_and_1_september_fall_in_different_year_groups():
    on = date(2025, 10, 2)
    # Born 2014/15: Reception in September 2019, so Year 6 in 2025/26.
    assert school_age.expected_nc_year(date(2015, 8, 31), on) == "6"
    assert school_age.expected_nc_year(date(2015, 9, 1), on) == "5"


def test_year_group_moves_up_on_1_september_not_before():
    child = date(2013, 3, 14)
    assert school_age.expected_nc_year(child, date(2025, 8, 31)) == "7"
    assert school_age.expected_nc_year(child, date(2025, 9, 1)) == "8"


def test_reception_and_nursery_years_are_labelled():
    on = date(2024, 9, 2)
    assert school_age.expected_nc_year(date(2019, 9, 1), on) == "R"
    assert school_age.expected_nc_year(date(2020, 8, 31), on) == "R"
    assert school_age.expected_nc_year(date(2020, 9, 1), on) == "N2"
    assert school_age.nc_year_label("R") == "Reception"
    assert school_age.nc_year_label("10") == "Year 10"


@pytest.mark.parametrize(
    ("birthday", "starts"),
    [
        (date(2019, 12, 31), date(2024, 12, 31)),
        (date(2020, 1, 1), date(2025, 3, 31)),
        (date(2020, 3, 31), date(2025, 3, 31)),
        (date(2020, 4, 1), date(2025, 8, 31)),
        (date(2020, 8, 31), date(2025, 8, 31)),
        (date(2020, 9, 1), date(2025, 12, 31)),
    ],
)
def test_compulsory_school_age_starts_on_the_prescribed_day_after_the_fifth_birthday(
    birthday, starts
):
    assert school_age.compulsory_school_age_start(birthday) == starts


def test_compulsory_school_age_ends_on_the_last_friday_of_june_of_the_year_they_turn_16():
    # Turns 16 on 31 Aug 2026: school year 2025/26 → last Friday in June 2026 is 26 June.
    assert school_age.compulsory_school_age_end(date(2010, 8, 31)) == date(2026, 6, 26)
    # Turns 16 on 1 Sep 2026: school year 2026/27 → 25 June 2027.
    assert school_age.compulsory_school_age_end(date(2010, 9, 1)) == date(2027, 6, 25)


def test_compulsory_school_age_covers_the_days_between_start_and_end_only():
    child = date(2010, 8, 31)
    assert school_age.is_compulsory_school_age(child, date(2026, 6, 26))
    assert not school_age.is_compulsory_school_age(child, date(2026, 6, 27))
    assert not school_age.is_compulsory_school_age(date(2020, 9, 1), date(2025, 12, 30))


def test_a_29_february_birthday_is_handled_in_common_years():
    assert school_age.compulsory_school_age_start(date(2016, 2, 29)) == date(2021, 3, 31)


def test_date_of_birth_range_for_a_year_group_is_one_cohort():
    assert school_age.date_of_birth_range_for_nc_year("7", date(2025, 10, 2)) == (
        date(2013, 9, 1),
        date(2014, 8, 31),
    )
