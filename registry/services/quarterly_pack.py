"""Writes for the DCS quarterly pack: producing one (figures, PDF, XLSX and CSV, frozen as a
snapshot) and asking a worker to produce one, with its progress on a ReportRequest (ADR 0008)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from registry.dates import date_words
from registry.models import (
    ReportKind,
    ReportRequest,
    ReportRequestStatus,
    ReportSnapshot,
    User,
)
from registry.queueing import enqueue, enqueue_on_commit
from registry.reporting.pack import METHOD_VERSION, parse_quarter, quarterly_pack_tables
from registry.reporting.pack_render import pack_csv, pack_pdf, pack_xlsx
from registry.reporting.selectors import snapshot_already_produced
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

# Queued by name (registry/queueing.py): the tasks module imports this one.
PACK_TASK = "registry.tasks.quarterly_pack_task"


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


class PackAlreadyProduced(ValueError):
    """The quarter's pack exists: it is produced again only when asked."""


ALREADY_PRODUCED = (
    "The quarterly pack for {quarter} was produced on {produced}. Open it from the list of "
    "returns and packs produced, or tick 'Produce it again' if the records have been corrected "
    "since"
)


def quarterly_pack_request(*, quarter: str, by: User | None, again: bool = False) -> ReportRequest:
    """Ask a worker for the pack. A quarter already queued or being produced is not asked for
    twice: its request is returned. A quarter already produced is asked for again only with
    ``again`` (PackAlreadyProduced otherwise). Raises ValueError for a quarter that is not one."""
    key = parse_quarter(quarter, ended_by=timezone.localdate()).key
    earlier = snapshot_already_produced(kind=ReportKind.QUARTERLY_PACK, period=key)
    if earlier is not None and not again:
        raise PackAlreadyProduced(
            ALREADY_PRODUCED.format(
                quarter=key,
                produced=date_words(earlier.produced_at, time=True),
            )
        )
    unfinished = _unfinished_requests(key).first()
    if unfinished is not None:
        return unfinished
    request = report_request_create(kind=ReportKind.QUARTERLY_PACK, period=key, by=by)
    enqueue_on_commit(PACK_TASK, str(request.pk))
    return request


def quarterly_pack_requests_requeue() -> int:
    """Queue again the requests still queued SIDE_EFFECTS_RETRY_AFTER_SECONDS after they were
    made: their task was lost (ADR 0009). The claim lets only one worker produce each."""
    cutoff = timezone.now() - timedelta(seconds=settings.SIDE_EFFECTS_RETRY_AFTER_SECONDS)
    waiting = ReportRequest.objects.filter(
        kind=ReportKind.QUARTERLY_PACK,
        status=ReportRequestStatus.QUEUED,
        requested_at__lt=cutoff,
    )
    return sum(enqueue(PACK_TASK, str(pk)) for pk in waiting.values_list("pk", flat=True))


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
