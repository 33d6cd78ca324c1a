"""Celery tasks for the schools feed: thin, idempotent by the data, queued on commit."""

from celery import shared_task

from schools_feed.services import intake, offrolling, reconciliation


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


@shared_task(acks_late=True)
def offrolling_recompute_task() -> str:
    """The nightly recompute of every school. Skipped, not queued twice, when one is running."""
    try:
        return str(offrolling.offrolling_recompute(triggered_by="nightly schedule").pk)
    except offrolling.RunInProgress:
        return "skipped: a recompute is running"


@shared_task(bind=True, acks_late=True, max_retries=20)
def offrolling_school_recompute_task(self, school_id: int, requested_at: str) -> str:
    """Recompute one school after new returns, unless a later request superseded this one."""
    try:
        return offrolling.offrolling_requested_recompute(
            school_id=school_id, requested_at=requested_at
        )
    except offrolling.RunInProgress as busy:
        raise self.retry(countdown=60) from busy
