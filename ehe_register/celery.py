"""The Celery app. Tasks are thin: they take ids, load fresh state and call a service."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")

app = Celery("ehe_register")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_start_up_objects(**kwargs) -> None:
    """Leave the objects loaded at start-up (Django, NumPy, SciPy) out of garbage collection: a
    full collection walks them all, 75-140 ms on a two-vCPU machine, and one lands in about
    every fifth off-rolling school recompute (docs/benchmarks.md)."""
    gc.freeze()
