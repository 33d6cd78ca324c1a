"""Writes for the DCS quarterly pack: producing one (figures, PDF, XLSX and CSV, frozen as a
snapshot) and asking a worker to produce one, with its progress on a ReportRequest (ADR 0008)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from registry.models import (
    ReportKind,
    ReportRequest,
    ReportRequestStatus,
    ReportSnapshot,
    User,
)
from registry.reporting.pack import METHOD_VERSION, parse_quarter, quarterly_pack_tables
from registry.reporting.pack_render import pack_csv, pack_pdf, pack_xlsx
from registry.services.reporting import (
    RenderedFile,
    report_request_create,
    report_request_fail,
    report_request_finish,
    report_request_progress,
    snapshot_freeze,
)

PDF, XLSX, CSV = "pack.pdf", "pack.xlsx", "pack.csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNFINISHED = (ReportRequestStatus.QUEUED, ReportRequestStatus.RUNNING)
# Longer than the task's time limit: a request unfinished after this lost its worker.
STALE_AFTER = timedelta(minutes=15)
STALE_ERROR = "Timed out: the worker producing the pack stopped"


def pack_files(tables: dict) -> list[RenderedFile]:
    return [
        RenderedFile(PDF, "application/pdf", pack_pdf(tables)),
        RenderedFile(XLSX, XLSX_TYPE, pack_xlsx(tables)),
        RenderedFile(CSV, "text/csv; charset=utf-8", pack_csv(tables)),
    ]


def quarterly_pack_produce(*, quarter: str, by: User | None, request_id=None) -> ReportSnapshot:
    """Work out the pack for ``quarter`` ("2025-Q3"), render its files and freeze them. With a
    request, its progress is kept up to date and it is marked failed if anything goes wrong.
    Not atomic on purpose: the progress must be visible while the pack is worked out."""

    def progress(percent: int, stage: str) -> None:
        if request_id is not None:
            report_request_progress(request_id=request_id, progress=percent, stage=stage)

    try:
        parsed = parse_quarter(quarter, ended_by=timezone.localdate())
        tables = quarterly_pack_tables(parsed, progress=progress)
        progress(92, "Drawing the PDF, XLSX and CSV")
        files = pack_files(tables)
        progress(98, "Keeping the pack")
        snapshot = snapshot_freeze(
            kind=ReportKind.QUARTERLY_PACK,
            period=parsed.key,
            as_at=parsed.last,
            tables=tables,
            files=files,
            by=by,
            method_version=METHOD_VERSION,
            parameters={"quarter": parsed.key},
        )
    except Exception as error:
        if request_id is not None:
            report_request_fail(request_id=request_id, error=str(error) or type(error).__name__)
        raise
    if request_id is not None:
        report_request_finish(request_id=request_id, snapshot=snapshot)
    return snapshot


def quarterly_pack_request(*, quarter: str, by: User | None) -> ReportRequest:
    """Ask a worker for the pack. A quarter already queued or being produced is not asked for
    twice: its request is returned. Raises ValueError for a quarter that is not one."""
    key = parse_quarter(quarter, ended_by=timezone.localdate()).key
    unfinished = _unfinished_requests(key).first()
    if unfinished is not None:
        return unfinished
    request = report_request_create(kind=ReportKind.QUARTERLY_PACK, period=key, by=by)
    transaction.on_commit(lambda: _queue(request.pk))
    return request


def _queue(request_id) -> None:
    from registry.tasks import quarterly_pack_task  # the tasks module imports this one

    quarterly_pack_task.delay(str(request_id))


def quarterly_pack_request_claim(*, request_id) -> ReportRequest | None:
    """Mark a queued (or failed, retried) request as running, once: the worker that gets None
    back leaves it alone, because it is done or another worker has it."""
    claimed = ReportRequest.objects.filter(
        pk=request_id,
        kind=ReportKind.QUARTERLY_PACK,
        status__in=[ReportRequestStatus.QUEUED, ReportRequestStatus.FAILED],
    ).update(status=ReportRequestStatus.RUNNING, stage="Starting", error="")
    return ReportRequest.objects.get(pk=request_id) if claimed else None


def quarterly_pack_for_quarter_end(*, quarter: str) -> ReportSnapshot | None:
    """The scheduled pack for a quarter that has just ended, unless one has been produced (or is
    being produced) for it already."""
    key = parse_quarter(quarter, ended_by=timezone.localdate()).key
    kind = ReportKind.QUARTERLY_PACK
    if ReportSnapshot.objects.filter(kind=kind, period=key).exists():
        return None
    if _unfinished_requests(key).exists():
        return None
    request = report_request_create(kind=kind, period=key, by=None)
    if quarterly_pack_request_claim(request_id=request.pk) is None:
        return None  # another worker has just started it
    return quarterly_pack_produce(quarter=key, by=None, request_id=request.pk)


def _unfinished_requests(key: str):
    """Requests for the quarter still queued or running; those that lost their worker (older
    than STALE_AFTER) are marked failed first, so they block nothing."""
    requests = ReportRequest.objects.filter(
        kind=ReportKind.QUARTERLY_PACK, period=key, status__in=UNFINISHED
    )
    requests.filter(requested_at__lt=timezone.now() - STALE_AFTER).update(
        status=ReportRequestStatus.FAILED, error=STALE_ERROR, finished_at=timezone.now()
    )
    return requests.filter(status__in=UNFINISHED)
