"""An officer confirms that a pupil arrived at a destination the register cannot check itself: a
school in another LA, or one not in GIAS (docs/rules/registration.md §6.2). Until then the
deletion is not a normal transfer in the off-rolling counts (docs/rules/offrolling.md §3)."""

from django.db import transaction
from django.utils import timezone

from registry.models import User
from registry.services.history import ChangeReason, save_with_history
from schools_feed.models import (
    DestinationCheck,
    DestinationCheckStatus,
    NotificationEvent,
    NotificationEventType,
)


class DestinationCheckError(ValueError):
    pass


NOT_AWAITING = "This destination check is not waiting for an officer: it is {status}"


def destination_check_confirm_arrival(
    *, check: DestinationCheck, by: User, evidence: str
) -> DestinationCheck:
    """The officer heard from the other LA or school that the pupil arrived: the check is
    confirmed, with the officer's evidence on the deletion's events."""
    with transaction.atomic():
        check = DestinationCheck.objects.select_for_update().get(pk=check.pk)
        if check.status != DestinationCheckStatus.AWAITING_OFFICER:
            raise DestinationCheckError(NOT_AWAITING.format(status=check.get_status_display()))
        check.status = DestinationCheckStatus.CONFIRMED
        check.resolved_at = timezone.now()
        save_with_history(check, by=by, reason=ChangeReason.MANUAL_EDIT, detail=evidence)
        NotificationEvent.about(
            check.deletion,
            NotificationEventType.DESTINATION_CONFIRMED,
            f"{check.destination}: arrival confirmed by {by.get_full_name() or by}. {evidence}",
            by=by,
        ).save()
    return check
