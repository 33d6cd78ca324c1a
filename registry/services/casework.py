"""Writes on the child's file: contacts, actions and management decisions."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import Action, ActionStatus, Child, Contact, Decision, User
from registry.services.history import ChangeReason, save_with_history


@dataclass(frozen=True)
class CaseworkErrors:
    DATE_IN_FUTURE = "The date must be today or in the past"
    FOLLOW_UP_BEFORE_CONTACT = "The follow-up date must be after the contact date"
    EPISODE_OF_ANOTHER_CHILD = "That episode belongs to another child"
    ACTION_NOT_OPEN = "This action is already finished"


def _check_episode(child: Child, episode) -> dict:
    if episode is None:
        return {}
    if episode.child_id != child.pk:
        raise ValidationError(CaseworkErrors.EPISODE_OF_ANOTHER_CHILD)
    return {f"{episode.kind}_episode": episode}


def contact_log(
    *,
    child: Child,
    by: User,
    contact_date: date,
    method: str,
    with_whom: str,
    summary: str,
    outcome: str,
    follow_up: str = "",
    follow_up_date: date | None = None,
    episode=None,
    reason: str = ChangeReason.MANUAL_EDIT,
) -> Contact:
    if contact_date > timezone.localdate():
        raise ValidationError({"contact_date": [CaseworkErrors.DATE_IN_FUTURE]})
    if follow_up_date and follow_up_date < contact_date:
        raise ValidationError({"follow_up_date": [CaseworkErrors.FOLLOW_UP_BEFORE_CONTACT]})
    contact = Contact(
        child=child,
        contact_date=contact_date,
        method=method,
        with_whom=with_whom,
        summary=summary,
        outcome=outcome,
        follow_up=follow_up,
        follow_up_date=follow_up_date,
        recorded_by=by,
        **_check_episode(child, episode),
    )
    save_with_history(contact, by=by, reason=reason)
    return contact


def action_create(
    *,
    child: Child,
    by: User,
    description: str,
    owner: User,
    due_date: date,
    episode=None,
    reason: str = ChangeReason.MANUAL_EDIT,
) -> Action:
    action = Action(
        child=child,
        description=description,
        owner=owner,
        due_date=due_date,
        created_by=by,
        **_check_episode(child, episode),
    )
    save_with_history(action, by=by, reason=reason)
    return action


@transaction.atomic
def action_complete(
    *,
    action: Action,
    by: User,
    note: str = "",
    cancelled: bool = False,
    completed_on: date | None = None,
) -> Action:
    action = Action.objects.select_for_update().get(pk=action.pk)
    if action.status != ActionStatus.OPEN:
        raise ValidationError(CaseworkErrors.ACTION_NOT_OPEN)
    action.status = ActionStatus.CANCELLED if cancelled else ActionStatus.DONE
    action.completed_on = completed_on or timezone.localdate()
    action.completion_note = note
    save_with_history(action, by=by, reason=ChangeReason.MANUAL_EDIT, detail=note)
    return action


def decision_record(
    *,
    child: Child,
    by: User,
    decision_type: str,
    decision: str,
    reason: str,
    decided_on: date | None = None,
    episode=None,
    change_reason: str = ChangeReason.MANUAL_EDIT,
) -> Decision:
    decided_on = decided_on or timezone.localdate()
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": [CaseworkErrors.DATE_IN_FUTURE]})
    record = Decision(
        child=child,
        decision_type=decision_type,
        decision=decision,
        reason=reason,
        decided_on=decided_on,
        decided_by=by,
        **_check_episode(child, episode),
    )
    save_with_history(record, by=by, reason=change_reason)
    return record
