"""Reviewing off-rolling alerts: status, owner, due date and notes
(docs/rules/offrolling.md §1, ADR 0007).

Every change writes an AlertEvent (the review as rows people can query) and, when the alert
itself changes, saves it with history stamped "offrolling_review". The alert row is locked for
the change, so two reviewers acting at once cannot both move it from the same status.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.access import Capability, user_can
from registry.dates import date_words
from registry.models import User
from registry.services.history import ChangeReason, save_with_history
from schools_feed.models import (
    AlertEvent,
    AlertEventType,
    AlertOutcome,
    AlertStatus,
    OffRollingAlert,
)

# The review's path: new → under review → raised with the school → school responded → closed.
# Any open status may close; a closed alert may reopen to "under review", with a note.
ALERT_TRANSITIONS = {
    AlertStatus.NEW: {AlertStatus.UNDER_REVIEW, AlertStatus.CLOSED},
    AlertStatus.UNDER_REVIEW: {AlertStatus.RAISED_WITH_SCHOOL, AlertStatus.CLOSED},
    AlertStatus.RAISED_WITH_SCHOOL: {AlertStatus.SCHOOL_RESPONDED, AlertStatus.CLOSED},
    AlertStatus.SCHOOL_RESPONDED: {AlertStatus.CLOSED},
    AlertStatus.CLOSED: {AlertStatus.UNDER_REVIEW},
}

TRANSITION_NOT_ALLOWED = "The alert cannot move to that status from its current status."
STATUS_UNCHANGED = "The alert already has that status."
OUTCOME_REQUIRED = "Choose the outcome to close the alert."
OUTCOME_ONLY_WHEN_CLOSING = "Choose an outcome only when closing the alert."
REOPEN_NEEDS_NOTE = "Say why you are reopening the alert."
NOTE_REQUIRED = "Enter the note."
OWNER_NOT_A_REVIEWER = "An alert can only be owned by an inclusion lead or an administrator."


def alert_next_statuses(alert: OffRollingAlert) -> list[str]:
    """The statuses the alert may move to next, in the order of the review."""
    allowed = ALERT_TRANSITIONS.get(alert.status, set())
    return [value for value in AlertStatus.values if value in allowed]


def _locked(alert: OffRollingAlert) -> OffRollingAlert:
    return OffRollingAlert.objects.select_for_update().get(pk=alert.pk)


def _refresh(alert: OffRollingAlert, saved: OffRollingAlert) -> OffRollingAlert:
    """Bring the caller's instance up to date with what was saved."""
    for name in ("status", "outcome", "owner_id", "due_date"):
        setattr(alert, name, getattr(saved, name))
    return alert


def _event(alert, event_type, *, by, note="", from_status="", to_status="", in_briefing=False):
    return AlertEvent.objects.create(
        alert=alert,
        event_type=event_type,
        from_status=from_status,
        to_status=to_status,
        note=note,
        in_briefing=in_briefing,
        by=by,
        at=timezone.now(),
    )


def alert_status_change(
    *, alert: OffRollingAlert, to_status: str, outcome: str = "", note: str = "", by: User
) -> OffRollingAlert:
    """Move an alert along its review. Closing needs an outcome; reopening needs a note."""
    note = note.strip()
    with transaction.atomic():
        locked = _locked(alert)
        from_status = locked.status
        if to_status == from_status:
            raise ValidationError(STATUS_UNCHANGED)
        if to_status not in ALERT_TRANSITIONS.get(from_status, set()):
            raise ValidationError(TRANSITION_NOT_ALLOWED)
        closing = to_status == AlertStatus.CLOSED
        if closing and outcome not in AlertOutcome.values:
            raise ValidationError(OUTCOME_REQUIRED)
        if not closing and outcome:
            raise ValidationError(OUTCOME_ONLY_WHEN_CLOSING)
        if from_status == AlertStatus.CLOSED and not note:
            raise ValidationError(REOPEN_NEEDS_NOTE)
        locked.status = to_status
        locked.outcome = outcome if closing else ""
        save_with_history(locked, by=by, reason=ChangeReason.OFFROLLING_REVIEW, detail=note)
        words = f"Outcome: {AlertOutcome(outcome).label}." if closing else ""
        _event(
            locked,
            AlertEventType.STATUS_CHANGED,
            by=by,
            from_status=from_status,
            to_status=to_status,
            note=" ".join(part for part in (words, note) if part),
        )
    return _refresh(alert, locked)


def alert_assign(*, alert: OffRollingAlert, owner: User | None, by: User) -> OffRollingAlert:
    """Give the alert an owner (an inclusion lead or administrator), or none. No change, no row."""
    if owner is not None and not user_can(owner, Capability.REVIEW_OFFROLLING):
        raise ValidationError(OWNER_NOT_A_REVIEWER)
    with transaction.atomic():
        locked = _locked(alert)
        owner_id = owner.pk if owner else None
        if locked.owner_id == owner_id:
            return _refresh(alert, locked)
        locked.owner = owner
        save_with_history(locked, by=by, reason=ChangeReason.OFFROLLING_REVIEW)
        _event(
            locked,
            AlertEventType.ASSIGNED,
            by=by,
            note=f"Owner: {owner}." if owner else "No owner.",
        )
    return _refresh(alert, locked)


def alert_due_date_set(
    *, alert: OffRollingAlert, due_date: date | None, by: User
) -> OffRollingAlert:
    """Set (or clear) the date the review is due. No change, no row."""
    with transaction.atomic():
        locked = _locked(alert)
        if locked.due_date == due_date:
            return _refresh(alert, locked)
        before = locked.due_date
        locked.due_date = due_date
        save_with_history(locked, by=by, reason=ChangeReason.OFFROLLING_REVIEW)
        _event(
            locked,
            AlertEventType.DUE_DATE,
            by=by,
            note=f"Due {_day(due_date)} (was {_day(before)}).",
        )
    return _refresh(alert, locked)


def _day(value: date | None) -> str:
    return date_words(value) if value else "no date"


def alert_note_add(
    *, alert: OffRollingAlert, note: str, in_briefing: bool = False, by: User
) -> AlertEvent:
    """A note on the review. ``in_briefing`` notes (about the conversation with the school) go
    in the school's briefing; others stay internal. The alert itself does not change, so no
    history row is written for it: the event is the record."""
    note = note.strip()
    if not note:
        raise ValidationError(NOTE_REQUIRED)
    return _event(alert, AlertEventType.NOTE, by=by, note=note, in_briefing=in_briefing)
