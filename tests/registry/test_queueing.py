"""Side effects queued on commit (registry.queueing, ADR 0009): a failure to queue is logged and
never fails the write; the pack sweeper queues again a request whose task was lost."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from registry.models import ReportRequest, ReportRequestStatus
from registry.queueing import enqueue_on_commit, task_named
from registry.services import quarterly_pack
from registry.tasks import child_search_name_refresh_task, quarterly_pack_task
from schools_feed.services import intake, offrolling
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

BROKER_DOWN = "Error 111 connecting to 127.0.0.1:6379. Connection refused."


def refuse(*args, **kwargs):
    raise OperationalError(BROKER_DOWN)


def test_a_side_effect_that_cannot_be_queued_is_logged_and_the_write_stands(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(child_search_name_refresh_task, "apply_async", refuse)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        child = ChildFactory()
        enqueue_on_commit(child_search_name_refresh_task.name, str(child.pk))

    assert len(callbacks) == 1
    assert BROKER_DOWN in caplog.text
    assert "the sweeper will queue it again" in caplog.text
    child.refresh_from_db()  # committed, whatever the broker said


def test_a_side_effect_is_queued_only_after_its_transaction_commits(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        child_search_name_refresh_task, "apply_async", lambda args=(), **_: sent.append(args)
    )

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(child_search_name_refresh_task.name, "a child id", countdown=5)
        assert sent == []

    assert sent == [("a child id",)]


def test_a_pack_asked_for_while_the_broker_is_down_is_produced_when_the_sweeper_runs(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(quarterly_pack_task, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        request = quarterly_pack.quarterly_pack_request(quarter="2025-Q4", by=None)
    assert request.status == ReportRequestStatus.QUEUED
    assert quarterly_pack.quarterly_pack_requests_requeue() == 0  # asked a moment ago

    monkeypatch.setattr(
        quarterly_pack_task, "apply_async", lambda args=(), **_: quarterly_pack_task.apply(args)
    )
    later = timedelta(seconds=settings.SIDE_EFFECTS_RETRY_AFTER_SECONDS + 1)
    ReportRequest.objects.filter(pk=request.pk).update(requested_at=timezone.now() - later)

    assert quarterly_pack.quarterly_pack_requests_requeue() == 1
    request.refresh_from_db()
    assert (request.status, request.snapshot.period) == (ReportRequestStatus.DONE, "2025-Q4")
    assert quarterly_pack.quarterly_pack_requests_requeue() == 0


@pytest.mark.parametrize(
    "name", [quarterly_pack.PACK_TASK, intake.SUBMISSION_TASK, offrolling.SCHOOL_RECOMPUTE_TASK]
)
def test_every_task_a_service_queues_by_name_is_registered_under_that_name(name):
    assert task_named(name).name == name  # the lookup every enqueue makes


def test_a_web_process_that_never_imported_a_tasks_module_can_still_queue_its_tasks():
    """A fresh interpreter, as a web server starts: Django is set up and nothing has imported
    registry.tasks or schools_feed.tasks (Celery's autodiscovery is lazy), yet a service's task,
    named by string, is found rather than lost to the sweeper."""
    script = (
        "import django; django.setup()\n"
        "from celery import current_app\n"
        "from registry.queueing import task_named\n"
        "name = 'registry.tasks.quarterly_pack_task'\n"
        "print(name in current_app.tasks, task_named(name).name)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ehe_register.settings", "DEBUG": "true"}
    env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )

    assert result.stdout.split() == ["False", "registry.tasks.quarterly_pack_task"]
