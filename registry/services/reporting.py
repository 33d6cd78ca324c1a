"""Writes for statistics: freezing a produced return or pack as a snapshot, the progress of a
requested pack, and the reference figures (population, England and regional figures) that
analysts enter (ADR 0008)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.models import (
    ComparatorFigure,
    PopulationEstimate,
    ReportRequest,
    ReportRequestStatus,
    ReportSnapshot,
    SnapshotFile,
    User,
)
from registry.services.history import ChangeReason, save_with_history


@dataclass(frozen=True)
class RenderedFile:
    name: str
    content_type: str
    content: bytes


def canonical_json(tables) -> str:
    """One spelling of a set of tables, so equal tables always hash equal."""
    return json.dumps(tables, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tables_sha256(tables) -> str:
    return hashlib.sha256(canonical_json(tables).encode()).hexdigest()


@transaction.atomic
def snapshot_freeze(
    *,
    kind: str,
    period: str,
    as_at: date,
    tables: dict,
    files: list[RenderedFile],
    by: User | None,
    method_version: str,
    parameters: dict | None = None,
) -> ReportSnapshot:
    """Keep a produced return or pack exactly as produced. Nothing ever updates a snapshot."""
    # Round-trip through JSON first, so what is hashed is what the database gives back.
    tables = json.loads(canonical_json(tables))
    snapshot = ReportSnapshot.objects.create(
        kind=kind,
        period=period,
        as_at=as_at,
        method_version=method_version,
        parameters=parameters or {},
        tables=tables,
        tables_sha256=tables_sha256(tables),
        produced_by=by,
    )
    SnapshotFile.objects.bulk_create(
        SnapshotFile(
            snapshot=snapshot,
            name=file.name,
            content_type=file.content_type,
            content=file.content,
            sha256=hashlib.sha256(file.content).hexdigest(),
        )
        for file in files
    )
    return snapshot


# --- Requests for a pack, run by a worker -------------------------------------------------------


def report_request_create(*, kind: str, period: str, by: User | None) -> ReportRequest:
    """A new request, or the one already queued or running for that period (a unique
    constraint keeps it to one, even when two ask at the same moment)."""
    try:
        with transaction.atomic():
            return ReportRequest.objects.create(kind=kind, period=period, requested_by=by)
    except IntegrityError:
        return ReportRequest.objects.get(
            kind=kind,
            period=period,
            status__in=[ReportRequestStatus.QUEUED, ReportRequestStatus.RUNNING],
        )


def report_request_progress(*, request_id, progress: int, stage: str) -> None:
    ReportRequest.objects.filter(pk=request_id).update(
        status=ReportRequestStatus.RUNNING, progress=min(max(progress, 0), 100), stage=stage
    )


def report_request_finish(*, request_id, snapshot: ReportSnapshot) -> None:
    ReportRequest.objects.filter(pk=request_id).update(
        status=ReportRequestStatus.DONE,
        progress=100,
        stage="Done",
        snapshot=snapshot,
        finished_at=timezone.now(),
    )


def report_request_fail(*, request_id, error: str) -> None:
    ReportRequest.objects.filter(pk=request_id).update(
        status=ReportRequestStatus.FAILED, error=error, finished_at=timezone.now()
    )


# --- Reference figures --------------------------------------------------------------------------


def population_estimate_save(
    *, mid_year: int, aged_5_to_16: int, source: str, by: User
) -> PopulationEstimate:
    estimate = PopulationEstimate.objects.filter(mid_year=mid_year).first() or PopulationEstimate(
        mid_year=mid_year
    )
    estimate.aged_5_to_16 = aged_5_to_16
    estimate.source = source
    estimate.entered_by = by
    save_with_history(estimate, by=by, reason=ChangeReason.MANUAL_EDIT)
    return estimate


def comparator_figure_save(
    *, census_date: date, geography: str, by: User, **figures
) -> ComparatorFigure:
    figure = ComparatorFigure.objects.filter(
        census_date=census_date, geography=geography
    ).first() or ComparatorFigure(census_date=census_date, geography=geography)
    for field, value in figures.items():
        setattr(figure, field, value)
    figure.entered_by = by
    save_with_history(figure, by=by, reason=ChangeReason.MANUAL_EDIT)
    return figure
