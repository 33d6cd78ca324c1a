"""Writes on the child's file: contacts, actions and management decisions."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from registry.models import Action, ActionStatus, Child, Contact, Decision, User
from registry.services.history import ChangeReason, save_with_history


@dataclass(frozen=True)
class CaseworkErrors:
    DATE_IN_FUTURE = "The date must be today or in the past"
    FOLLOW_UP_BEFORE_CONTACT = "The follow-up date must be after the contact date"
    EPISODE_OF_ANOTHER_CHILD = "That episode belongs to another child"
    ACTION_NOT_OPEN = "This action is already finished"
    CHILD_DIED = (
        "This child has died: no new action can be added. Record what was said or done as a "
        "contact, without a follow-up date"
    )


def _died(child: Child) -> bool:
    # Read from the database, not the instance: a death recorded since the page was opened counts.
    return Child.objects.filter(pk=child.pk, date_of_death__isnull=False).exists()


def _check_episode(child: Child, episode) -> dict:
    if episode is None:
        return {}
    if episode.child_id != child.pk:
        raise ValidationError(CaseworkErrors.EPISODE_OF_ANOTHER_CHILD)
    return {f"{episode.kind}_episode": episode}


FOLLOW_UP_ACTION = "Follow up the {contact}"


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
    # After a death officers still record what they said to the family (condolences, returning
    # the child's work), so a contact may be logged; but a follow-up date would raise a new
    # action, and a death ends the casework: checked here, before the contact is saved.
    if follow_up_date and _died(child):
        raise ValidationError({"follow_up_date": [CaseworkErrors.CHILD_DIED]})
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
    if follow_up_date:
        # A follow-up date is a promise to the family: it goes on the officer's list of actions,
        # due that day, so it is chased like any other action.
        action_create(
            child=child,
            by=by,
            description=(follow_up.strip() or FOLLOW_UP_ACTION.format(contact=contact))[:300],
            owner=by,
            due_date=follow_up_date,
            episode=episode,
            reason=reason,
        )
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
    """A new action on the child's file. Refused once the child's death is recorded: the only
    actions left are those the death itself raised (services/deaths.py) for each officer who
    held the child, so nobody plans a visit or a letter to a bereaved family."""
    if _died(child):
        raise ValidationError(CaseworkErrors.CHILD_DIED)
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


ACTION_CLOSED_WITH_CASE = "Closed with the case: {status}"


def actions_close_with_episode(*, episode, by: User | None, on: date) -> int:
    """When a case closes, its open actions close with it (cancelled, saying why), so nobody is
    left chasing a child whose case has ended. Actions on the child but not on this case stay
    open. Returns how many were closed."""
    note = ACTION_CLOSED_WITH_CASE.format(status=episode.get_status_display())
    closed = 0
    for action in Action.objects.open().filter(**{f"{episode.kind}_episode": episode}):
        action_complete(action=action, by=by, note=note, cancelled=True, completed_on=on)
        closed += 1
    return closed


def actions_close_with_episodes_bulk(*, episodes: list, by: User | None, reason: str) -> int:
    """The same for cases closed in bulk (a school's return shows the child on a roll): their
    open actions are cancelled on the case's end date, with history, in one update."""
    closed = {(episode.kind, episode.pk): episode for episode in episodes if episode.end_date}
    if not closed:
        return 0
    actions = list(
        Action.objects.open().filter(
            Q(ehe_episode__in=[pk for kind, pk in closed if kind == "ehe"])
            | Q(cme_episode__in=[pk for kind, pk in closed if kind == "cme"])
        )
    )
    for action in actions:
        if action.ehe_episode_id:
            episode = closed[("ehe", action.ehe_episode_id)]
        else:
            episode = closed[("cme", action.cme_episode_id)]
        action.status = ActionStatus.CANCELLED
        action.completed_on = episode.end_date
        action.completion_note = ACTION_CLOSED_WITH_CASE.format(status=episode.get_status_display())
    bulk_update_with_history(
        actions,
        Action,
        ["status", "completed_on", "completion_note"],
        default_user=by,
        default_change_reason=reason,
    )
    return len(actions)


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
