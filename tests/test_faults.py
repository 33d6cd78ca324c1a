"""Faults tried as an operator meets them, against the real services (ADR 0009): a worker killed
mid-recompute, Redis stopped while a school uploads, the database's connections lost between
preview and confirm. Nothing lost, nothing duplicated, nothing stuck.

Marked ``fault`` and run by .ci/run against PostgreSQL, with CELERY_BROKER_URL naming a Redis
port of their own (6391): these tests start that Redis, stop it and start it again. They never
touch the shared Redis, and they fail, never skip, without PostgreSQL or that private port.
"""

import signal
import socket
import subprocess
import time
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.urls import reverse

from registry.locks import is_locked
from registry.models import Role
from schools_feed import tasks
from schools_feed.models import (
    Notification,
    OffRollingRun,
    RunStatus,
    SchoolIndicator,
    Submission,
    SubmissionStatus,
)
from schools_feed.services import offrolling
from tests.factories import SchoolFactory, UserFactory
from tests.locks import other_session
from tests.schools_feed.offrolling_data import planted_authority
from tests.schools_feed.returns import csv_file, row
from tests.worker import celery_worker_process, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

SHARED_REDIS_PORT = 6379


class PrivateRedis:
    """A redis-server of the test's own, on the port CELERY_BROKER_URL names."""

    def __init__(self, port: int, directory) -> None:
        self.port, self.directory, self.process = port, directory, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )
        if not wait_until(self.answers, timeout=15):
            raise AssertionError(f"the private Redis on port {self.port} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        assert not self.answers()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis(tmp_path):
    broker = urlparse(settings.CELERY_BROKER_URL)
    if connection.vendor != "postgresql" or broker.scheme != "redis":
        pytest.fail("The fault tests need PostgreSQL and a Redis broker: run make test-faults")
    if broker.hostname != "127.0.0.1" or broker.port in (None, SHARED_REDIS_PORT):
        pytest.fail(
            "The fault tests stop and start the broker: point CELERY_BROKER_URL at a private "
            "port (redis://127.0.0.1:6391/0), never at the shared Redis"
        )
    redis = PrivateRedis(broker.port, tmp_path)
    if redis.answers():
        pytest.fail(f"Port {broker.port} is in use: the fault tests need it for their own Redis")
    redis.start()
    yield redis
    if redis.process.poll() is None:
        redis.stop()


@pytest.fixture
def school_user(db):
    school = SchoolFactory(name="Fenbridge Primary")
    user = UserFactory(role=Role.SCHOOL_USER, username="data-manager")
    user.schools.add(school)
    return user


def upload(client, count: int):
    data = csv_file(*(row(f"Fault{n}", "Sam") for n in range(count)))
    response = client.post(
        reverse("schools_feed:upload"),
        {
            "file": SimpleUploadedFile("returns.csv", data, content_type="text/csv"),
            "return_type": "",
        },
    )
    assert response.status_code == 302
    return Submission.objects.get()


def confirm(client, submission) -> str:
    url = reverse("schools_feed:submission-confirm", args=[submission.pk])
    return client.post(url, {}, follow=True).content.decode()


def _waiting_for_a_lock(database: str) -> bool:
    with other_session() as watcher:  # a fresh session: activity is read once per transaction
        return (
            watcher.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = %s AND wait_event_type = 'Lock'",
                [database],
            ).fetchone()[0]
            == 1
        )


def test_a_worker_killed_mid_recompute_blocks_nothing_and_the_next_run_finishes_the_work(
    private_redis,
):
    planted_authority(ordinary_schools=1)
    test_database = connection.settings_dict["NAME"]
    with other_session() as blocker, celery_worker_process() as (queue, worker):
        # Hold the indicators table, so the worker's recompute stops half way: its run row
        # written and committed, its figures computed, its writing waiting for the table.
        blocker.execute("BEGIN")
        blocker.execute(f"LOCK TABLE {SchoolIndicator._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        tasks.offrolling_recompute_task.apply_async(queue=queue)
        waiting = wait_until(lambda: _waiting_for_a_lock(test_database), timeout=240)
        assert waiting, "the worker's recompute did not reach the indicators within 240 seconds"
        assert is_locked(offrolling.RUN_LOCK)  # the worker's session holds the run slot
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=15)
        blocker.execute("ROLLBACK")
    killed = OffRollingRun.objects.get()
    assert killed.status == RunStatus.RUNNING  # what the operator found
    # PostgreSQL ends the dead worker's session and with it the lock: no 30-minute wait.
    assert wait_until(lambda: not is_locked(offrolling.RUN_LOCK), timeout=30)

    started = time.monotonic()
    run = offrolling.offrolling_recompute(triggered_by="the next night")

    assert time.monotonic() - started < 60
    killed.refresh_from_db()
    assert (killed.status, killed.error) == (RunStatus.FAILED, offrolling.ABANDONED)
    assert run.status == RunStatus.FINISHED
    assert run.indicators > 0
    assert SchoolIndicator.objects.count() == run.indicators  # the killed run wrote nothing
    assert set(SchoolIndicator.objects.values_list("run", flat=True)) == {run.pk}
    assert not OffRollingRun.objects.filter(status=RunStatus.RUNNING).exists()


def test_an_upload_while_redis_is_down_is_accepted_and_imported_once_redis_returns(
    client, school_user, private_redis, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.FEED_BACKGROUND_ROWS = 10  # a file for a worker
    client.force_login(school_user)
    submission = upload(client, 30)
    private_redis.stop()

    started = time.monotonic()
    page = confirm(client, submission)

    assert time.monotonic() - started < 30
    assert "The file is being imported" in page  # the person sees success
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.QUEUED
    private_redis.start()  # empty: whatever it held is gone, as after a crash
    settings.SIDE_EFFECTS_RETRY_AFTER_SECONDS = 0
    with celery_worker_process("celery", MEDIA_ROOT=str(tmp_path)):
        assert tasks.side_effects_requeue_task.apply().get()["files"] == 1
        imported = wait_until(
            lambda: Submission.objects.get(pk=submission.pk).status == SubmissionStatus.IMPORTED,
            timeout=120,
        )
        assert imported, "the worker did not import the file within 120 seconds"
        assert tasks.side_effects_requeue_task.apply().get()["files"] == 0
    submission.refresh_from_db()
    assert (submission.imported, submission.duplicates) == (30, 0)
    assert Notification.objects.filter(submission=submission).count() == 30


def test_database_connections_lost_between_preview_and_confirm_lose_nothing_and_import_once(
    client, school_user, private_redis, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(school_user)
    submission = upload(client, 3)
    with other_session() as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        ).fetchone()[0]
    assert ended >= 1  # the app's kept connection is gone

    close_old_connections()  # what Django does as each request starts (the test client skips it)
    first = confirm(client, submission)
    again = confirm(client, submission)  # the back button, or a second click

    assert "3 notifications imported" in first
    assert "This file is not waiting for confirmation" in again
    submission.refresh_from_db()
    assert (submission.status, submission.imported) == (SubmissionStatus.IMPORTED, 3)
    assert Notification.objects.count() == 3
