"""Celery tasks: eagerly in the default run, and through a real Redis broker to a real worker
process when CELERY_BROKER_URL is set (the PostgreSQL CI run; ADR 0001)."""

import pytest

from registry.models import Child
from registry.tasks import child_search_name_refresh_task
from tests.factories import ChildFactory
from tests.worker import celery_worker, require_broker, wait_until


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


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_task_sent_through_redis_is_run_by_a_real_worker_process():
    require_broker()
    child = _make_stale_child()
    with celery_worker() as queue:
        child_search_name_refresh_task.apply_async(args=[str(child.pk)], queue=queue)
        fixed = wait_until(
            lambda: Child.objects.get(pk=child.pk).search_name == "zoe ashworth brown", timeout=90
        )
    assert fixed, "the worker did not run the task within 90 seconds"
