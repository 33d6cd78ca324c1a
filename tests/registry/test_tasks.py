"""Celery tasks: eagerly in the default run, and through a real Redis broker to a real worker
process when CELERY_BROKER_URL is set (the PostgreSQL CI run; ADR 0001)."""

import pytest

from registry.models import Child, ReportKind, ReportRequest, ReportRequestStatus
from registry.services.reporting import report_request_create
from registry.tasks import child_search_name_refresh_task, quarterly_pack_task
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


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_requested_quarterly_pack_is_produced_by_a_real_worker_which_reports_progress():
    require_broker()
    request = report_request_create(kind=ReportKind.QUARTERLY_PACK, period="2025-Q4", by=None)
    with celery_worker() as queue:
        quarterly_pack_task.apply_async(args=[str(request.pk)], queue=queue)
        done = wait_until(
            lambda: ReportRequest.objects.get(pk=request.pk).status == ReportRequestStatus.DONE,
            timeout=90,
        )
    assert done, "the worker did not produce the pack within 90 seconds"
    request.refresh_from_db()
    assert (request.progress, request.snapshot.period) == (100, "2025-Q4")
    assert sorted(request.snapshot.files.values_list("name", flat=True)) == [
        "pack.csv",
        "pack.pdf",
        "pack.xlsx",
    ]
