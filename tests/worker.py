"""A real Celery worker process for the broker tests (ADR 0001), on a queue of its own."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def require_broker() -> None:
    if not settings.CELERY_BROKER_URL or connection.vendor != "postgresql":
        pytest.fail(
            "The broker tests need CELERY_BROKER_URL and PostgreSQL: run make test-postgres"
        )


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@contextmanager
def celery_worker(**environment):
    """Yield the name of a fresh queue that a real worker process consumes; stop it after."""
    with celery_worker_process(**environment) as (queue, _process):
        yield queue


@contextmanager
def celery_worker_process(queue: str = "", **environment):
    """Yield a queue (a fresh one unless named) and the real worker process consuming it, for
    tests that kill it; stop it after if it still runs. The fault tests name the default queue,
    on a Redis of their own that no other worker reads."""
    queue = queue or f"test-{uuid.uuid4().hex}"  # no other worker takes these tasks
    env = {**os.environ, "DATABASE_URL": _database_url(), "DEBUG": "true", **environment}
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
        env=env,
    )
    try:
        yield queue, worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)
