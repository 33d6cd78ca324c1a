"""Celery tasks for the schools feed: thin, idempotent by the data, queued on commit."""

from celery import shared_task

from schools_feed.services import intake, reconciliation


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def submission_process_task(submission_id: str) -> str:
    """Import a confirmed file. A second run of the same id finds it finished and does nothing."""
    return intake.submission_process(submission_id=submission_id).status


@shared_task
def notifications_route_due_task() -> int:
    """Route home-education deletions whose grace period has ended."""
    return reconciliation.notifications_route_due()


@shared_task
def destination_checks_expire_task() -> int:
    """Open a CME enquiry for each destination school that has not confirmed the pupil in time."""
    return reconciliation.destination_checks_expire()
