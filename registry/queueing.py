"""Queueing side effects after a commit, without ever failing the write that queued them
(ADR 0009).

A side effect is queued only once its transaction has committed, and the committed row is its
durable record: a submission still "queued", a report request still "queued", an off-rolling
recompute request still standing. So when the broker is down (or, in eager mode, the task itself
raises, Celery's ``Retry`` included), the failure is logged and swallowed: the write stands, the
person sees success, and the periodic sweeper (``*_requeue`` services, run by beat) queues the work
again from that record once the broker is back.
"""

import logging
from functools import partial

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task: str, *args, countdown: int | None = None) -> bool:
    """Send the task registered as ``task`` (its dotted name) with ``args`` now. Returns whether it
    was sent (or, eagerly, ran) without error; a failure is logged, never raised.

    Services name the task rather than import it: a tasks module imports its services, so the
    arrow runs one way and no service needs an import inside a function to dodge the cycle."""
    try:
        task_named(task).apply_async(args=args, countdown=countdown)
    except Exception:
        # Broad on purpose: a broker outage surfaces as several kombu, redis and socket errors,
        # and an eager task can raise anything. The durable record keeps the work for the sweeper.
        logger.exception("Could not queue %s%r: the sweeper will queue it again", task, args)
        return False
    return True


def task_named(name: str):
    """The task registered as ``name``. ``autodiscover_tasks`` is lazy: a worker imports every
    app's tasks module when it starts, but a web process never does, and as services name their
    tasks rather than import them, nothing else would: without this, a web process (eager or with
    a broker) could queue no task, and its work waited for the sweeper."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def enqueue_on_commit(task: str, *args, countdown: int | None = None) -> None:
    """Queue the task named ``task`` with ``args`` once the current transaction commits (at once
    outside one). Every on-commit queueing of the project goes through here."""
    transaction.on_commit(partial(enqueue, task, *args, countdown=countdown))
