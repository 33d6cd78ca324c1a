"""Another process holding the off-rolling run slot, on either database (ADR 0009)."""

from contextlib import contextmanager

import psycopg
from django.db import connection
from django.utils import timezone

from registry.locks import lock_key
from schools_feed.models import OffRollingRun, RunStatus
from schools_feed.services.offrolling import RUN_LOCK


@contextmanager
def other_session():
    """A second PostgreSQL session on the test database: another process, as the server sees it."""
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    ) as session:
        yield session


@contextmanager
def run_slot_held():
    """A recompute under way in another process: its run row says running and, on PostgreSQL,
    its session holds the advisory lock (on SQLite the row is the guard)."""
    OffRollingRun.objects.create(
        as_of=timezone.localdate(), method_version="x", status=RunStatus.RUNNING
    )
    if connection.vendor != "postgresql":
        yield
        return
    with other_session() as session:
        session.execute("SELECT pg_advisory_lock(%s)", [lock_key(RUN_LOCK)])
        yield
