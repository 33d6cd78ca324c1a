"""Reviewing off-rolling alerts (services.offrolling_review): the allowed path, the refusals with
their messages, an event row for every change and a history row with the review's reason."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from registry.models import Role
from registry.services.history import ChangeReason
from schools_feed.models import AlertEvent, AlertEventType, AlertStatus
from schools_feed.services import offrolling_review as review
from tests.factories import OffRollingAlertFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW, UNDER_REVIEW, RAISED, RESPONDED, CLOSED = (
    AlertStatus.NEW,
    AlertStatus.UNDER_REVIEW,
    AlertStatus.RAISED_WITH_SCHOOL,
    AlertStatus.SCHOOL_RESPONDED,
    AlertStatus.CLOSED,
)
OPEN_STATUSES = [NEW, UNDER_REVIEW, RAISED, RESPONDED]


@pytest.fixture
def lead():
    return UserFactory(role=Role.INCLUSION_LEAD, username="review-lead")


def _alert_at(status, **kwargs):
    outcome = "explained" if status == CLOSED else ""
    return OffRollingAlertFactory(status=status, outcome=outcome, **kwargs)


def _messages(raised: pytest.ExceptionInfo) -> list[str]:
    return raised.value.messages


def test_an_alert_goes_from_new_to_closed_along_the_review_with_an_event_for_each_step(lead):
    alert = OffRollingAlertFactory()

    for status in (UNDER_REVIEW, RAISED, RESPONDED):
        review.alert_status_change(alert=alert, to_status=status, by=lead)
    review.alert_status_change(
        alert=alert, to_status=CLOSED, outcome="explained", note="House move", by=lead
    )

    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (CLOSED, "explained")
    steps = list(
        alert.events.filter(event_type=AlertEventType.STATUS_CHANGED).values_list(
            "from_status", "to_status"
        )
    )
    assert steps == [
        (NEW, UNDER_REVIEW),
        (UNDER_REVIEW, RAISED),
        (RAISED, RESPONDED),
        (RESPONDED, CLOSED),
    ]
    closing = alert.events.get(to_status=CLOSED)
    assert (closing.note, closing.by) == ("Outcome: Explained. House move", lead)


def test_each_status_change_writes_a_history_row_with_the_reviewer_and_the_reason(lead):
    alert = OffRollingAlertFactory()

    review.alert_status_change(alert=alert, to_status=UNDER_REVIEW, note="Looking", by=lead)

    latest = alert.history.latest()
    assert latest.status == UNDER_REVIEW
    assert latest.history_user == lead
    assert latest.history_change_reason == f"{ChangeReason.OFFROLLING_REVIEW}: Looking"


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_any_open_alert_may_close_with_an_outcome(lead, status):
    alert = _alert_at(status)

    review.alert_status_change(alert=alert, to_status=CLOSED, outcome="nfa", by=lead)

    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (CLOSED, "nfa")


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (NEW, RAISED),
        (NEW, RESPONDED),
        (UNDER_REVIEW, RESPONDED),
        (UNDER_REVIEW, NEW),
        (RAISED, UNDER_REVIEW),
        (RESPONDED, RAISED),
        (CLOSED, RAISED),
        (CLOSED, NEW),
        (NEW, "lost"),
    ],
)
def test_a_move_off_the_review_path_is_refused_and_nothing_is_written(lead, start, to):
    alert = _alert_at(start)
    history_rows = alert.history.count()

    with pytest.raises(ValidationError) as raised:
        review.alert_status_change(alert=alert, to_status=to, note="Because", by=lead)

    alert.refresh_from_db()
    assert _messages(raised) == [review.TRANSITION_NOT_ALLOWED]
    assert alert.status == start
    assert not AlertEvent.objects.filter(alert=alert).exists()
    assert alert.history.count() == history_rows


def test_moving_an_alert_to_the_status_it_has_is_refused(lead):
    alert = _alert_at(UNDER_REVIEW)

    with pytest.raises(ValidationError) as raised:
        review.alert_status_change(alert=alert, to_status=UNDER_REVIEW, by=lead)

    assert _messages(raised) == [review.STATUS_UNCHANGED]


@pytest.mark.parametrize("outcome", ["", "cleared"])
def test_closing_an_alert_needs_one_of_the_outcomes(lead, outcome):
    alert = OffRollingAlertFactory()

    with pytest.raises(ValidationError) as raised:
        review.alert_status_change(alert=alert, to_status=CLOSED, outcome=outcome, by=lead)

    alert.refresh_from_db()
    assert _messages(raised) == [review.OUTCOME_REQUIRED]
    assert alert.status == NEW


def test_an_outcome_is_refused_when_the_alert_is_not_closing(lead):
    alert = OffRollingAlertFactory()

    with pytest.raises(ValidationError) as raised:
        review.alert_status_change(
            alert=alert, to_status=UNDER_REVIEW, outcome="explained", by=lead
        )

    assert _messages(raised) == [review.OUTCOME_ONLY_WHEN_CLOSING]


def test_reopening_a_closed_alert_needs_a_note(lead):
    alert = _alert_at(CLOSED)

    with pytest.raises(ValidationError) as raised:
        review.alert_status_change(alert=alert, to_status=UNDER_REVIEW, note="  ", by=lead)

    alert.refresh_from_db()
    assert _messages(raised) == [review.REOPEN_NEEDS_NOTE]
    assert alert.status == CLOSED


def test_a_closed_alert_reopens_to_under_review_with_a_note_and_loses_its_outcome(lead):
    alert = _alert_at(CLOSED)

    review.alert_status_change(
        alert=alert, to_status=UNDER_REVIEW, note="More exits this term", by=lead
    )

    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (UNDER_REVIEW, "")
    event = alert.events.get()
    assert (event.from_status, event.to_status, event.note) == (
        CLOSED,
        UNDER_REVIEW,
        "More exits this term",
    )


def test_the_callers_alert_shows_the_new_status_after_a_change(lead):
    alert = OffRollingAlertFactory()

    review.alert_status_change(alert=alert, to_status=UNDER_REVIEW, by=lead)

    assert alert.status == UNDER_REVIEW


def test_the_next_statuses_offered_follow_the_review_path():
    assert review.alert_next_statuses(_alert_at(NEW)) == [UNDER_REVIEW, CLOSED]
    assert review.alert_next_statuses(_alert_at(RESPONDED)) == [CLOSED]
    assert review.alert_next_statuses(_alert_at(CLOSED)) == [UNDER_REVIEW]


# --- Owner, due date and notes ------------------------------------------------------------------


def test_assigning_an_owner_writes_an_event_and_a_history_row(lead):
    alert = OffRollingAlertFactory()
    owner = UserFactory(role=Role.ADMINISTRATOR, first_name="Ada", last_name="Okafor")

    review.alert_assign(alert=alert, owner=owner, by=lead)

    alert.refresh_from_db()
    assert alert.owner == owner
    event = alert.events.get()
    assert (event.event_type, event.note, event.by) == (
        AlertEventType.ASSIGNED,
        "Owner: Ada Okafor.",
        lead,
    )
    latest = alert.history.latest()
    assert (latest.owner_id, latest.history_change_reason) == (
        owner.pk,
        ChangeReason.OFFROLLING_REVIEW,
    )


@pytest.mark.parametrize("role", [Role.SCHOOL_USER, Role.EHE_OFFICER, Role.DCS])
def test_an_alert_can_only_be_owned_by_an_inclusion_lead_or_an_administrator(lead, role):
    alert = OffRollingAlertFactory()

    with pytest.raises(ValidationError) as raised:
        review.alert_assign(alert=alert, owner=UserFactory(role=role), by=lead)

    assert _messages(raised) == [review.OWNER_NOT_A_REVIEWER]
    assert not alert.events.exists()


def test_assigning_the_owner_an_alert_already_has_writes_nothing(lead):
    alert = OffRollingAlertFactory(owner=lead)
    history_rows = alert.history.count()

    review.alert_assign(alert=alert, owner=lead, by=lead)

    assert not alert.events.exists()
    assert alert.history.count() == history_rows


def test_an_owner_can_be_removed(lead):
    alert = OffRollingAlertFactory(owner=lead)

    review.alert_assign(alert=alert, owner=None, by=lead)

    alert.refresh_from_db()
    assert alert.owner is None
    assert alert.events.get().note == "No owner."


def test_setting_the_due_date_writes_an_event_with_the_old_and_new_dates(lead):
    alert = OffRollingAlertFactory(due_date=date(2026, 7, 28))

    review.alert_due_date_set(alert=alert, due_date=date(2026, 9, 14), by=lead)

    alert.refresh_from_db()
    assert alert.due_date == date(2026, 9, 14)
    event = alert.events.get()
    assert (event.event_type, event.note) == (
        AlertEventType.DUE_DATE,
        "Due 14 September 2026 (was 28 July 2026).",
    )
    assert alert.history.latest().history_change_reason == ChangeReason.OFFROLLING_REVIEW


@pytest.mark.parametrize("in_briefing", [True, False])
def test_a_note_is_an_event_marked_for_the_briefing_or_not(lead, in_briefing):
    alert = OffRollingAlertFactory()
    history_rows = alert.history.count()

    review.alert_note_add(alert=alert, note=" Spoke to the head ", in_briefing=in_briefing, by=lead)

    event = alert.events.get()
    assert (event.event_type, event.note, event.in_briefing, event.by) == (
        AlertEventType.NOTE,
        "Spoke to the head",
        in_briefing,
        lead,
    )
    assert alert.history.count() == history_rows  # the alert itself did not change


def test_an_empty_note_is_refused(lead):
    alert = OffRollingAlertFactory()

    with pytest.raises(ValidationError) as raised:
        review.alert_note_add(alert=alert, note="   ", in_briefing=True, by=lead)

    assert _messages(raised) == [review.NOTE_REQUIRED]
    assert not alert.events.exists()
