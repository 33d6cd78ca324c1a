"""A child's death, recorded as what it is (docs/rules: a deletion on the "has died" ground, reg
9(1)(k) of the 2024 Regulations, 8(1)(j) of 2006).

One service records it whoever learns of it first (a school's return, routed automatically or
linked by an officer in the review queue): the date on the child's record, every open EHE and CME
episode closed with the death as its reason (their open actions close with them), and an action
for each officer who held the child, so that nobody visits or chases a bereaved family.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry import lifecycle
from registry.models import Action, Child, CMEEpisode, CMEStatus, EHEEpisode, EHEStatus, User
from registry.services.casework import action_complete
from registry.services.episodes import cme_episode_status_change, ehe_episode_status_change
from registry.services.history import ChangeReason, save_with_history


@dataclass(frozen=True)
class DeathMessages:
    IN_FUTURE = "The date of death must be today or in the past"
    BEFORE_BIRTH = "The date of death must be on or after the date of birth"
    NO_SOURCE = "Say how the register learned of the death"
    ACTION_CLOSED = "Closed: the child has died"
    # The episode's closing reason, and the alert each officer holding the child is given.
    CLOSING_REASON = "Died: {source}"
    ALERT = (
        "{child} has died ({source}). Their open cases and actions are closed: check that no "
        "visit, letter or enquiry is still planned for the family"
    )


@transaction.atomic
def child_death_record(
    *,
    child: Child,
    date_of_death: date,
    by: User,
    source: str,
    change_reason: str = ChangeReason.MANUAL_EDIT,
) -> list[Action]:
    """Record a child's death and return the alerts raised. Recording a death already on the
    record changes nothing (a second return about the same death, a retried task)."""
    if not source.strip():
        raise ValidationError({"source": [DeathMessages.NO_SOURCE]})
    child = Child.objects.select_for_update().get(pk=child.pk)
    if child.date_of_death is not None:
        return []
    if date_of_death > timezone.localdate():
        raise ValidationError({"date_of_death": [DeathMessages.IN_FUTURE]})
    if date_of_death < child.date_of_birth:
        raise ValidationError({"date_of_death": [DeathMessages.BEFORE_BIRTH]})
    holders = _officers_holding(child)
    child.date_of_death = date_of_death
    child.death_recorded_from = source[:300]
    save_with_history(child, by=by, reason=change_reason, detail=f"Died: {source}")
    _open_episodes_close(child, date_of_death, by=by, source=source, change_reason=change_reason)
    for action in Action.objects.open().filter(child=child):  # those on no case
        action_complete(
            action=action,
            by=by,
            note=DeathMessages.ACTION_CLOSED,
            cancelled=True,
            completed_on=timezone.localdate(),
        )
    alerts = []
    for officer in holders:
        alert = Action(
            child=child,
            description=DeathMessages.ALERT.format(child=child.full_name, source=source)[:300],
            owner=officer,
            due_date=timezone.localdate(),
            created_by=by,
        )
        save_with_history(alert, by=by, reason=change_reason)
        alerts.append(alert)
    return alerts


def _officers_holding(child: Child) -> list[User]:
    """The active officers assigned to the child's open episodes or owning its open actions."""
    ids = {
        *EHEEpisode.objects.filter(child=child, end_date__isnull=True).values_list(
            "assigned_officer", flat=True
        ),
        *CMEEpisode.objects.filter(child=child, end_date__isnull=True).values_list(
            "assigned_officer", flat=True
        ),
        *Action.objects.open().filter(child=child).values_list("owner", flat=True),
    }
    return list(User.objects.filter(pk__in=ids - {None}, is_active=True).order_by("pk"))


def _open_episodes_close(child, date_of_death, *, by, source, change_reason) -> None:
    reason = DeathMessages.CLOSING_REASON.format(source=source)
    closings = (
        (EHEEpisode, EHEStatus.CLOSED, ehe_episode_status_change),
        (CMEEpisode, CMEStatus.CLOSED, cme_episode_status_change),
    )
    for model, closed, status_change in closings:
        for episode in model.objects.filter(child=child, end_date__isnull=True):
            # An episode opened (or changed) after the death was reported late: it closes the
            # day it opened (or last changed).
            status_change(
                episode=episode,
                by=by,
                status=closed,
                effective_date=max(date_of_death, lifecycle.earliest_status_date(episode)),
                reason=reason,
                change_reason=change_reason,
            )
