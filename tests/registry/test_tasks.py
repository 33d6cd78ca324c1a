"""Celery tasks: eagerly in the default run, and through a real Redis broker to a real worker
process when CELERY_BROKER_URL is set (the PostgreSQL CI run; ADR 0001)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from registry.models import Child
from registry.tasks import child_search_name_refresh_task
from tests.factories import ChildFactory

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _make_stale_child():
    child = ChildFactory(legal_forenames="Zoë", legal_surname="Ashworth-Brown")
    Child.objects.filter(pk=child.pk).update(search_name="stale")
    return child


@pytest.mark.django_db
def test_search_name_refresh_task_fixes_a_stale_search_name_and_is_idempotent():
    child = _make_stale_child()

    assert child_search_name_refresh_task.apply(args=[str(child.pk)]).get() is True
    assert Child.objects.get(pk=child.pk).search_name == "zoe ashworth brown"
    assert child_search_name_refresh_task.apply(args=[str(child.pk)]).get() is False


def _database_url_for_worker() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_task_sent_through_redis_is_run_by_a_real_worker_process():
    if not settings.CELERY_BROKER_URL or connection.vendor != "postgresql":
        pytest.fail(
            "The broker test needs CELERY_BROKER_URL and PostgreSQL: run make test-postgres"
        )
    child = _make_stale_child()
    queue = f"test-{uuid.uuid4().hex}"  # a queue of its own, so no other worker takes the task
    environment = {**os.environ, "DATABASE_URL": _database_url_for_worker(), "DEBUG": "true"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ehe_register",
            "worker",
            "--pool=solo",
            "--loglevel=warning",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=PROJECT_ROOT,
        env=environment,
    )
    try:
        child_search_name_refresh_task.apply_async(args=[str(child.pk)], queue=queue)
        fixed = _wait_until(
            lambda: Child.objects.get(pk=child.pk).search_name == "zoe ashworth brown", timeout=90
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert fixed, "the worker did not run the task within 90 seconds"
