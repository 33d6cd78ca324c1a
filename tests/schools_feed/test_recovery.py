"""A side effect queued on commit never fails the write that queued it, and the sweeper queues
lost work again (ADR 0009). The broker is stood in for here: these run on every database, with
or without a broker; tests/test_faults.py does the same against the real services."""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from schools_feed import tasks
from schools_feed.models import (
    Notification,
    OffRollingRecomputeRequest,
    OffRollingRun,
    RunStatus,
    Submission,
    SubmissionStatus,
)
from schools_feed.services import intake
from tests.factories import SchoolFactory
from tests.locks import run_slot_held
from tests.schools_feed.returns import csv_file, row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

BROKER_DOWN = "Error 111 connecting to 127.0.0.1:6379. Connection refused."


def broker_down(task, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError(BROKER_DOWN)

    monkeypatch.setattr(task, "apply_async", refuse)


def run_here(task, monkeypatch):
    """The task runs in this process when queued, raising what it raises: eager mode."""

    def apply(args=(), countdown=None, **options):
        return task.apply(args=args, throw=True)

    monkeypatch.setattr(task, "apply_async", apply)


def deletions(count: int) -> bytes:
    return csv_file(*(row(f"Outage{n}", "Sam") for n in range(count)))


def confirmed(data: bytes, django_capture_on_commit_callbacks) -> Submission:
    school = SchoolFactory()
    submission = intake.submission_preview(school=school, by=None, file_name="r.csv", data=data)
    with django_capture_on_commit_callbacks(execute=True):
        return intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)


def sweep_later(settings) -> dict:
    """The sweeper, run once the retry period has passed."""
    later = timedelta(seconds=settings.SIDE_EFFECTS_RETRY_AFTER_SECONDS + 1)
    Submission.objects.update(queued_at=timezone.now() - later)
    OffRollingRecomputeRequest.objects.update(
        requested_at=timezone.now()
        - later
        - timedelta(seconds=settings.OFFROLLING_DEBOUNCE_SECONDS)
    )
    return tasks.side_effects_requeue_task.apply().get()


def test_a_large_upload_is_accepted_while_the_broker_is_down_and_the_sweeper_imports_it(
    settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    settings.FEED_BACKGROUND_ROWS = 10
    broker_down(tasks.submission_process_task, monkeypatch)

    submission = confirmed(deletions(30), django_capture_on_commit_callbacks)

    assert submission.status == SubmissionStatus.QUEUED
    assert BROKER_DOWN in caplog.text
    assert not Notification.objects.exists()
    run_here(tasks.submission_process_task, monkeypatch)  # the broker is back
    assert sweep_later(settings)["files"] == 1
    submission.refresh_from_db()
    assert (submission.status, submission.imported) == (SubmissionStatus.IMPORTED, 30)
    assert sweep_later(settings)["files"] == 0  # imported: nothing to queue again
    assert Notification.objects.count() == 30


def test_a_file_queued_a_moment_ago_is_left_to_its_worker_by_the_sweeper(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.FEED_BACKGROUND_ROWS = 10
    broker_down(tasks.submission_process_task, monkeypatch)
    confirmed(deletions(30), django_capture_on_commit_callbacks)

    assert tasks.side_effects_requeue_task.apply().get()["files"] == 0


def test_a_recompute_that_retries_eagerly_while_a_run_holds_the_slot_does_not_fail_the_upload(
    settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    run_here(tasks.offrolling_school_recompute_task, monkeypatch)
    with run_slot_held():
        submission = confirmed(deletions(3), django_capture_on_commit_callbacks)

    assert (submission.status, submission.imported) == (SubmissionStatus.IMPORTED, 3)
    assert "Retry" in caplog.text
    assert OffRollingRecomputeRequest.objects.count() == 1  # the work is kept, not lost
    OffRollingRun.objects.filter(status=RunStatus.RUNNING).update(status=RunStatus.FINISHED)
    assert sweep_later(settings)["off-rolling recomputes"] == 1
    assert not OffRollingRecomputeRequest.objects.exists()
    assert OffRollingRun.objects.filter(triggered_by="new returns").get().status == (
        RunStatus.FINISHED
    )
    assert sweep_later(settings)["off-rolling recomputes"] == 0


def test_a_file_left_processing_by_a_dead_worker_is_finished_once_by_the_sweeper(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.FEED_BACKGROUND_ROWS = 10
    broker_down(tasks.submission_process_task, monkeypatch)
    submission = confirmed(deletions(30), django_capture_on_commit_callbacks)
    # A worker took it, wrote nothing and died. Without advisory locks the sweeper waits a task
    # time limit beyond the retry period before it takes the file for lost.
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.PROCESSING)
    run_here(tasks.submission_process_task, monkeypatch)
    settings.CELERY_TASK_TIME_LIMIT = 0

    assert sweep_later(settings)["files"] == 1
    submission.refresh_from_db()
    assert (submission.status, submission.imported) == (SubmissionStatus.IMPORTED, 30)
    assert Notification.objects.count() == 30
