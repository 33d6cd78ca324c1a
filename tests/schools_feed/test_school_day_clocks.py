"""The clocks routing and intake set from schools' returns, counted as the law counts them
(docs/rules/registration.md §4, §5.3, §7)."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from registry.models import Action, ChildFlag, ClosureDay, FlagType, School, Term
from registry.services.calendar import calendar_import_terms
from schools_feed.intake.messages import RowMessages
from schools_feed.intake.rows import RowContext, parse_row
from schools_feed.models import Channel, Notification, NotificationKind
from schools_feed.offrolling.method import periods
from schools_feed.services import intake
from schools_feed.services.offrolling import (
    _calendar_term_starts,
    _exit_counts,
    parameters_current,
)
from schools_feed.services.routing import SIXTH_DAY_ACTION, SIXTH_DAY_FROM_DELETION
from tests.factories import SchoolFactory
from tests.schools_feed.offrolling_data import deletions

TERMS_FILE = Path(__file__).parents[1] / "registry" / "data" / "calendar_terms.csv"

TODAY = timezone.localdate()
# A Thursday three weeks or more ago: the exclusion's first day.
THURSDAY = TODAY - timedelta(days=(TODAY.weekday() - 3) % 7 + 21)


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", is_local=True)


@pytest.fixture
def calendar(school):
    """A term around the exclusion; the school's INSET day on the Tuesday after it, and another
    school's on the Wednesday."""
    Term.objects.create(
        name="This term",
        first_day=THURSDAY - timedelta(days=30),
        last_day=THURSDAY + timedelta(days=60),
    )
    ClosureDay.objects.create(school=school, date=THURSDAY + timedelta(days=5))
    ClosureDay.objects.create(school=SchoolFactory(), date=THURSDAY + timedelta(days=6))


def send(school, kind, **values) -> Notification:
    pupil = {
        "upn": "H801200001001",
        "legal_surname": "Hartley",
        "legal_forenames": "Amelia",
        "date_of_birth": "2013-03-14",
        "sex": "F",
        "address_line_1": "14 Willow Crescent",
        "postcode": "CB7 9QT",
        "parent_1_name": "Claire Hartley",
        "parent_1_phone": "07700900231",
    }
    submission, _ = intake.notification_submit(
        school=school,
        by=None,
        channel=Channel.WEB_FORM,
        return_type=kind,
        values={**pupil, **values},
    )
    return submission.notifications.get()


def sixth_day_action(notification: Notification) -> Action:
    return Action.objects.get(child=notification.child, description__startswith=SIXTH_DAY_ACTION)


def test_the_s19_action_falls_on_the_sixth_school_day_of_the_exclusion(school, calendar):
    """s.19, docs/rules/registration.md §7: the sixth school day of a permanent exclusion that
    starts on a Thursday, across the weekend and the school's INSET day (another school's INSET
    day does not count), is the Friday of the next week."""
    notification = send(
        school,
        NotificationKind.EXCLUSION,
        exclusion_type="permanent",
        exclusion_start_date=THURSDAY.isoformat(),
    )

    action = sixth_day_action(notification)
    assert action.due_date == THURSDAY + timedelta(days=8)
    assert action.description == SIXTH_DAY_ACTION


def test_without_a_calendar_the_s19_action_counts_weekdays(school):
    """docs/rules/registration.md §5.3 and §7: with no terms loaded, every weekday counts."""
    notification = send(
        school,
        NotificationKind.EXCLUSION,
        exclusion_type="permanent",
        exclusion_start_date=THURSDAY.isoformat(),
    )

    assert sixth_day_action(notification).due_date == THURSDAY + timedelta(days=7)


def test_a_deletion_for_permanent_exclusion_is_dated_from_the_exclusion_not_the_deletion(
    school, calendar
):
    """docs/rules/registration.md §7: the deletion follows the exclusion by days or weeks; the
    s.19 clock runs from the exclusion."""
    notification = send(
        school,
        NotificationKind.DELETION,
        ground="o",
        deletion_date=(TODAY - timedelta(days=1)).isoformat(),
        exclusion_start_date=THURSDAY.isoformat(),
    )

    action = sixth_day_action(notification)
    assert action.due_date == THURSDAY + timedelta(days=8)
    assert SIXTH_DAY_FROM_DELETION not in action.description
    flag = ChildFlag.objects.get(child=notification.child, flag_type=FlagType.PERMANENTLY_EXCLUDED)
    assert flag.valid_from == THURSDAY


def test_a_deletion_for_permanent_exclusion_without_its_date_is_counted_from_the_deletion(
    school, calendar
):
    """docs/rules/registration.md §7: with no exclusion date on the return, the clock runs from
    the deletion date and the action says so."""
    notification = send(
        school,
        NotificationKind.DELETION,
        ground="o",
        deletion_date=THURSDAY.isoformat(),
    )

    action = sixth_day_action(notification)
    assert action.due_date == THURSDAY + timedelta(days=8)
    assert action.description.endswith(SIXTH_DAY_FROM_DELETION)


def test_the_s19_clock_reads_the_rulebook(school, settings):
    """docs/rules/registration.md §7: the sixth school day is the rulebook's
    s19_provision_from_school_day."""
    settings.STATUTORY_RULES = '{"s19_provision_from_school_day": 1}'
    notification = send(
        school,
        NotificationKind.EXCLUSION,
        exclusion_type="permanent",
        exclusion_start_date=THURSDAY.isoformat(),
    )

    assert sixth_day_action(notification).due_date == THURSDAY


NEW_PUPIL = {
    "legal_surname": "Smith",
    "legal_forenames": "Tom",
    "date_of_birth": "14/03/2015",
    "sex": "M",
    "address_line_1": "1 High Street",
    "postcode": "cb7 9qt",
    "parent_1_name": "Jane Smith",
    "parent_1_phone": "07700 900123",
    "starting_date": "10/11/2026",
}


def parse_new_pupil(received_on: date):
    context = RowContext(received_on=received_on, future_margin_days=7)
    return parse_row(NEW_PUPIL, row=2, kind=NotificationKind.NEW_PUPIL, context=context)


def test_a_new_pupil_return_is_late_after_the_rulebooks_fifth_calendar_day():
    """2024 reg 13(1), docs/rules/registration.md §4: due by the end of the fifth day after
    entry, in calendar days."""
    assert not parse_new_pupil(date(2026, 11, 15)).values["is_late"]
    late = parse_new_pupil(date(2026, 11, 16))
    assert late.values["is_late"]
    warnings = [problem.message for problem in late.problems]
    assert RowMessages.NEW_PUPIL_RETURN_LATE.format(due="15/11/2026") in warnings


def test_the_new_pupil_return_deadline_reads_the_rulebook(settings):
    """docs/rules/registration.md §4: the days are the rulebook's new_pupil_return_days."""
    settings.STATUTORY_RULES = '{"new_pupil_return_days": 7}'

    assert not parse_new_pupil(date(2026, 11, 17)).values["is_late"]
    assert parse_new_pupil(date(2026, 11, 18)).values["is_late"]


# --- Terms for off-rolling from the calendar ------------------------------------------------------

EASTER_HOLIDAY = date(2026, 4, 2)  # between Spring 2 (to 27 March) and Summer 1 (from 13 April)


def exit_terms(school, as_of: date) -> tuple[list, list[str]]:
    parameters = parameters_current()
    found = periods(as_of, parameters.academic_years, _calendar_term_starts(as_of, parameters))
    exits = _exit_counts(
        schools=School.objects.filter(pk=school.pk), found=found, as_of=as_of, one_school=True
    )
    return found, [row.term for row in exits]


def test_an_exit_in_the_easter_holiday_counts_in_the_calendars_spring_term(school):
    """docs/rules/registration.md §5.3: with a calendar loaded the off-rolling terms start on the
    LA's spring and summer terms, so the Easter holiday belongs to the spring term."""
    calendar_import_terms(data=TERMS_FILE.read_bytes(), by=None)
    deletions(school, count=1, ground="f", nc_year="10", first=EASTER_HOLIDAY)

    found, terms = exit_terms(school, date(2026, 6, 1))

    spring = next(p for p in found if p.label == "Spring 2025/26")
    assert (spring.start, spring.end) == (date(2026, 1, 5), date(2026, 4, 12))
    assert terms == ["spring"]


def test_without_a_calendar_the_off_rolling_terms_follow_the_months(school):
    """docs/rules/registration.md §5.3: the month rule (ADR 0007) where no calendar is loaded."""
    deletions(school, count=1, ground="f", nc_year="10", first=EASTER_HOLIDAY)

    found, terms = exit_terms(school, date(2026, 6, 1))

    spring = next(p for p in found if p.label == "Spring 2025/26")
    assert (spring.start, spring.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert terms == ["summer"]
