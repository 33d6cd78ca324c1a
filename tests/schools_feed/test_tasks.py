"""The feed's Celery tasks: a large file imported by a real worker through Redis (ADR 0001), and
the periodic jobs' idempotence in the default eager run."""

import pytest

from schools_feed import tasks
from schools_feed.models import (
    Notification,
    OffRollingRun,
    RunStatus,
    Submission,
    SubmissionStatus,
)
from schools_feed.services import intake
from tests.factories import SchoolFactory
from tests.locks import run_slot_held
from tests.schools_feed.returns import csv_file, row
from tests.worker import celery_worker, require_broker, wait_until


def deletions(count: int) -> bytes:
    return csv_file(*(row(f"Worker{n}", "Sam", ground="k") for n in range(count)))


@pytest.mark.django_db
def test_the_import_task_is_idempotent(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    submission = intake.submission_preview(
        school=SchoolFactory(), by=None, file_name="a.csv", data=deletions(30)
    )
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.QUEUED)
    assert tasks.submission_process_task.apply(args=[str(submission.pk)]).get() == "imported"
    assert tasks.submission_process_task.apply(args=[str(submission.pk)]).get() == "imported"
    assert Notification.objects.count() == 30


@pytest.mark.django_db
def test_the_periodic_jobs_do_nothing_when_nothing_is_due():
    assert tasks.notifications_route_due_task.apply().get() == 0
    assert tasks.destination_checks_expire_task.apply().get() == 0


@pytest.mark.django_db
def test_the_nightly_off_rolling_recompute_is_skipped_while_another_run_holds_the_slot():
    with run_slot_held():
        assert tasks.offrolling_recompute_task.apply().get() == "skipped: a recompute is running"
    assert OffRollingRun.objects.count() == 1


@pytest.mark.django_db
def test_the_nightly_off_rolling_recompute_records_a_finished_run():
    run_id = tasks.offrolling_recompute_task.apply().get()

    run = OffRollingRun.objects.get(pk=run_id)
    assert (run.status, run.triggered_by) == (RunStatus.FINISHED, "nightly schedule")


@pytest.mark.django_db
def test_the_nightly_off_rolling_recompute_is_scheduled():
    from django.conf import settings

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "schools_feed.tasks.offrolling_recompute_task" in scheduled


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_imported_by_a_real_worker_through_redis(settings, tmp_path, monkeypatch):
    require_broker()
    settings.MEDIA_ROOT = tmp_path
    settings.FEED_BACKGROUND_ROWS = 10
    submission = intake.submission_preview(
        school=SchoolFactory(), by=None, file_name="b.csv", data=deletions(30)
    )
    with celery_worker(MEDIA_ROOT=str(tmp_path)) as queue:
        task = tasks.submission_process_task
        send = task.apply_async
        monkeypatch.setattr(
            task, "apply_async", lambda args=(), **options: send(args=args, queue=queue, **options)
        )
        queued = intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
        assert queued.status == SubmissionStatus.QUEUED
        finished = wait_until(
            lambda: Submission.objects.get(pk=submission.pk).status == SubmissionStatus.IMPORTED,
            timeout=120,
        )
    assert finished, "the worker did not import the file within 120 seconds"
    assert Notification.objects.filter(submission=submission).count() == 30
