"""Dates written into sentences, GOV.UK style."""

from datetime import UTC, date, datetime

from registry.census import long_date
from registry.dates import date_words


def test_a_date_is_written_without_a_leading_zero_and_with_the_month_in_full():
    assert date_words(date(2026, 12, 5)) == "5 December 2026"
    assert date_words(date(2026, 10, 16)) == "16 October 2026"


def test_a_short_month_is_written_as_its_three_letters():
    assert date_words(date(2026, 12, 5), short_month=True) == "5 Dec 2026"


def test_a_moment_is_read_in_london_time_so_a_summer_night_falls_on_the_right_day():
    # 23:30 UTC on 4 June is 00:30 on 5 June in London (BST).
    moment = datetime(2026, 6, 4, 23, 30, tzinfo=UTC)
    assert date_words(moment) == "5 June 2026"
    assert date_words(moment, short_month=True, time=True) == "5 Jun 2026 at 00:30"


def test_a_census_day_is_written_with_its_weekday_and_no_leading_zero():
    assert long_date(date(2025, 10, 2)) == "Thursday 2 October 2025"
