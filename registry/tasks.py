"""Celery tasks: thin, idempotent, taking ids and calling a service."""

from celery import shared_task
from django.utils import timezone

from registry.models import Child
from registry.reporting.pack import last_ended_quarter
from registry.services import quarterly_pack
from registry.services.children import child_search_name_refresh


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def child_search_name_refresh_task(child_id: str) -> bool:
    """Recompute a child's search name (after an import writes names in bulk, say)."""
    child = Child.objects.filter(pk=child_id).first()
    if child is None:
        return False
    return child_search_name_refresh(child=child)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def quarterly_pack_task(request_id: str) -> str:
    """Produce the pack someone asked for. A request already done, or being produced by another
    worker, is left alone (``quarterly_pack_request_claim``)."""
    request = quarterly_pack.quarterly_pack_request_claim(request_id=request_id)
    if request is None:
        return "skipped: done, running or unknown"
    snapshot = quarterly_pack.quarterly_pack_produce(
        quarter=request.period, by=request.requested_by, request_id=request.pk
    )
    return str(snapshot.pk)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def quarterly_pack_quarter_end_task() -> str:
    """The pack for the quarter that has just ended (beat: 04:00 on the first day of each
    quarter). Skipped when that quarter's pack exists or is being produced."""
    quarter = last_ended_quarter(timezone.localdate())
    snapshot = quarterly_pack.quarterly_pack_for_quarter_end(quarter=quarter.key)
    return str(snapshot.pk) if snapshot else f"skipped: {quarter.key} already produced"
