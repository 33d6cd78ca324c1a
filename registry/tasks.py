"""Celery tasks: thin, idempotent, taking ids and calling a service."""

from celery import shared_task
from django.utils import timezone

from registry.cnis.services import cnis_register_keep
from registry.locks import try_lock
from registry.models import Child
from registry.reporting.pack import last_ended_quarter
from registry.services import quarterly_pack
from registry.services.children import child_search_name_refresh
from registry.services.episodes import episodes_close_over_compulsory_school_age
from registry.services.retention import retention_apply


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


@shared_task
def quarterly_pack_requests_requeue_task() -> int:
    """The sweeper (beat): queue again the pack requests whose task was lost (ADR 0009)."""
    return quarterly_pack.quarterly_pack_requests_requeue()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=570)
def episodes_close_over_compulsory_school_age_task() -> str:
    """Close the open EHE and CME episodes of children past compulsory school age (beat: each
    night). Idempotent by the data: a closed episode is not chosen again; one run at a time."""
    with try_lock("episodes_close_over_compulsory_school_age") as held:
        if held is False:
            return "skipped: already running"
        return f"closed {episodes_close_over_compulsory_school_age()}"


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1750)
def retention_apply_task() -> str:
    """The retention schedule (beat: nightly). Idempotent by the data: a child already anonymised
    is never picked again; a run already going (PostgreSQL's advisory lock) is skipped."""
    run = retention_apply(triggered_by="beat")
    return "skipped: a run is going" if run is None else f"{run.children_anonymised} anonymised"


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1750)
def cnis_register_keep_task() -> str:
    """Keep the children-not-in-school register (beat: nightly): a no-op until it commences.
    Idempotent by the data: a registered child is not registered again, a request already
    waiting is not sent twice; one run at a time."""
    with try_lock("cnis_register_keep") as held:
        if held is False:
            return "skipped: already running"
        counts = cnis_register_keep(on=timezone.localdate())
        return ", ".join(f"{name} {count}" for name, count in counts.items())
