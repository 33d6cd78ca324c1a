"""Closing the loop (product.md): what the register does when time passes without a return.

Both jobs run from Celery beat. They take rows with ``select_for_update(skip_locked=True)`` and
move them on by status, so two workers, or a rerun, never act twice on the same row.
"""

from django.db import transaction
from django.utils import timezone

from registry.services.history import ChangeReason
from schools_feed.models import (
    DestinationCheck,
    DestinationCheckStatus,
    Notification,
    NotificationStatus,
)
from schools_feed.services.routing import destination_checks_unconfirm, notifications_route

BATCH = 500


def notifications_route_due() -> int:
    """Home-education deletions held for the grace period, now due."""
    routed = 0
    while True:
        with transaction.atomic():
            due = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=NotificationStatus.MATCHED, route_after__lte=timezone.localdate())
                .select_related("school", "destination_school")[:BATCH]
            )
            if not due:
                return routed
            for notification in due:
                notification.route_after = None  # due now: route it rather than defer again
            count = notifications_route(notifications=due, by=None, reason=ChangeReason.ROUTING)
            routed += count
            if count == 0:
                return routed


def destination_checks_expire() -> int:
    """Destination schools that have not sent the new pupil return by the due date."""
    expired = 0
    while True:
        with transaction.atomic():
            checks = list(
                DestinationCheck.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=DestinationCheckStatus.PENDING, due_by__lt=timezone.localdate())
                .select_related("deletion__school", "destination_school")[:BATCH]
            )
            if not checks:
                return expired
            expired += destination_checks_unconfirm(checks=checks, by=None)
