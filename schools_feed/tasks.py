"""Celery tasks for the schools feed: thin, idempotent by the data, queued on commit."""

from celery import shared_task

from schools_feed.services import (
    duplicates,
    matching_model,
    offrolling,
    reconciliation,
    recovery,
    retention,
)


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def submission_process_task(submission_id: str) -> str:
    """Import a confirmed file. A second run of the same id finds it finished and does nothing;
    one sent while another worker imports the file leaves it to that worker."""
    return recovery.submission_process_once(submission_id=submission_id)


@shared_task
def side_effects_requeue_task() -> dict:
    """The sweeper (beat): queue again the files and recomputes whose task was lost."""
    return recovery.side_effects_requeue()


@shared_task
def submission_files_remove_expired_task() -> int:
    """Remove the content of files kept longer than FEED_FILE_RETENTION_DAYS (beat, nightly)."""
    return retention.submission_files_remove_expired()


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1750)
def notifications_anonymise_task() -> int:
    """Anonymise the rows of returns past the retention schedule (beat, nightly, after the
    register's own run has anonymised the children). Idempotent by the data."""
    return retention.notifications_anonymise()


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


@shared_task(acks_late=True)
def duplicate_children_find_task() -> int:
    """List the children who may be recorded twice (beat, weekly, after retraining). Each run
    replaces the list, so a repeated run changes nothing."""
    return duplicates.duplicate_children_find()


@shared_task(acks_late=True)
def matching_model_train_task() -> int:
    """Fit the starting model to the register again (its size and name frequencies, used at
    once) and retrain the matching model (beat, weekly). Nothing new to learn from leaves the
    latest version in place, so a repeated run does nothing. The trained version is used only
    when it does no worse than the version in use on the returns officers decided; otherwise it
    waits for the data manager to adopt it (ADR 0012)."""
    matching_model.model_fit_starting()
    return matching_model.model_train(label="the weekly schedule").version
