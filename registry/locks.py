"""One-at-a-time guards for long jobs (ADR 0009).

On PostgreSQL a job holds a session-level advisory lock while it runs. PostgreSQL releases it when
the session ends, so a process killed mid-job (SIGKILL, out of memory, a lost machine) blocks
nothing: the next job takes the lock at once, and knows that any record still marked "running"
belongs to a process that died. This is how uktrade/data-hub-api guards its periodic jobs.

Other databases (SQLite, the zero-setup default: one process) have no such lock; callers keep
their own guard there (a partial unique constraint and a timeout), and ``try_lock`` yields
``None`` to say so.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL advisory keys are bigints)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def has_advisory_locks() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def try_lock(name: str) -> Iterator[bool | None]:
    """Try to take the lock called ``name`` without waiting. Yields True when this session holds
    it, False when another session does, None when the database has no advisory locks."""
    if not has_advisory_locks():
        yield None
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def is_locked(name: str) -> bool | None:
    """Whether some session holds the lock called ``name`` now (None without advisory locks).
    Read from pg_locks, so asking never takes the lock from under a job that is starting."""
    if not has_advisory_locks():
        return None
    key = lock_key(name) & 0xFFFFFFFFFFFFFFFF  # pg_locks shows the key as two unsigned halves
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1)",
            [key >> 32, key & 0xFFFFFFFF],
        )
        return cursor.fetchone()[0]
