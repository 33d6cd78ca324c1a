"""The match review queue: an officer confirms the child, chooses another, or adds a new child;
and any automatic link can be undone. Nothing is deleted: the notification's history and its
events keep every link it ever had."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from registry.bulk import bulk_insert
from registry.models import Child, User
from registry.services.history import ChangeReason, save_with_history
from schools_feed.models import (
    Notification,
    NotificationEvent,
    NotificationEventType,
    NotificationStatus,
)
from schools_feed.services import ingest
from schools_feed.services.routing import notifications_route


@dataclass(frozen=True)
class ReviewErrors:
    NOT_IN_REVIEW = "This notification is not waiting for a match decision"
    NOT_LINKED = "This notification is not linked to a child"
    ALREADY_ROUTED = (
        "Cases were already opened from this notification. Undo the link, then close or move "
        "those cases on the child's record"
    )
    MERGED_CHILD = "That record was merged into another: choose the record it was merged into"
    WHY_REQUIRED = "Enter why"
    QUESTION_REQUIRED = "Enter the question for the school"


def _locked(notification: Notification) -> Notification:
    return (
        Notification.objects.select_for_update(of=("self",))
        .select_related("school", "destination_school", "submission")
        .get(pk=notification.pk)
    )


def _event(notification, event_type, by, detail=""):
    NotificationEvent.about(notification, event_type, detail, by=by).save()


@transaction.atomic
def notification_match_confirm(
    *, notification: Notification, child: Child, by: User, why: str = ""
) -> Notification:
    """The officer says which child this is (a candidate or any other child), then it routes."""
    notification = _locked(notification)
    if notification.status != NotificationStatus.REVIEW:
        raise ValidationError(ReviewErrors.NOT_IN_REVIEW)
    if child.merged_into_id:
        raise ValidationError(ReviewErrors.MERGED_CHILD)
    notification.child = child
    notification.status = NotificationStatus.MATCHED
    notification.match_explanation = f"Confirmed by {by}" + (f": {why}" if why else "")
    save_with_history(notification, by=by, reason=ChangeReason.MATCH_REVIEW, detail=why)
    _event(notification, NotificationEventType.LINK_CONFIRMED, by, why)
    notifications_route(notifications=[notification], by=by, reason=ChangeReason.MATCH_REVIEW)
    return notification


@transaction.atomic
def notification_match_new_child(*, notification: Notification, by: User, why: str = "") -> Child:
    """None of the candidates is this child: add them to the register from the return."""
    notification = _locked(notification)
    if notification.status != NotificationStatus.REVIEW:
        raise ValidationError(ReviewErrors.NOT_IN_REVIEW)
    batch = ingest.IngestBatch(
        by=by, reason=ChangeReason.MATCH_REVIEW, notifications=[notification]
    )
    child = ingest.child_from_notification(batch, notification)
    ingest.new_children_write(batch)
    notification.child = child
    save_with_history(notification, by=by, reason=ChangeReason.MATCH_REVIEW, detail=why)
    bulk_insert(batch.events, NotificationEvent)
    notifications_route(notifications=[notification], by=by, reason=ChangeReason.MATCH_REVIEW)
    return child


@transaction.atomic
def notification_link_undo(*, notification: Notification, by: User, why: str) -> Notification:
    """Undo a link (automatic or confirmed): the notification goes back to the review queue. The
    cases it opened stay on the child's file for the officer to close or move; they are listed in
    the event so nothing is lost silently."""
    if not why.strip():
        raise ValidationError({"why": [ReviewErrors.WHY_REQUIRED]})
    notification = _locked(notification)
    if notification.child_id is None:
        raise ValidationError(ReviewErrors.NOT_LINKED)
    previous = notification.child
    opened = [
        str(case)
        for case in (notification.opened_ehe_episode, notification.opened_cme_episode)
        if case is not None and case.child_id == previous.pk
    ]
    detail = f"Was {previous.full_name} ({previous.pk}). {why}"
    if opened:
        detail += " Cases it opened, still on that record: " + "; ".join(opened)
    _event(notification, NotificationEventType.LINK_UNDONE, by, detail)
    notification.child = None
    notification.status = NotificationStatus.REVIEW
    notification.match_score = None
    notification.match_explanation = ""
    save_with_history(notification, by=by, reason=ChangeReason.MATCH_REVIEW, detail=why)
    return notification


@transaction.atomic
def notification_query(*, notification: Notification, by: User, question: str) -> Notification:
    """Ask the school about a return (a missing notice date, a doubtful ground): the school
    sees the question beside the return's status. Casework already opened carries on."""
    if not question.strip():
        raise ValidationError({"question": [ReviewErrors.QUESTION_REQUIRED]})
    notification = _locked(notification)
    notification.status = NotificationStatus.QUERIED
    save_with_history(notification, by=by, reason=ChangeReason.MANUAL_EDIT, detail=question)
    _event(notification, NotificationEventType.QUERIED, by, question.strip())
    return notification
