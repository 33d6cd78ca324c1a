"""Reads for statistics, with their gates (ADR 0002, ADR 0008), read from the capability table
(registry/access.py):

- The DCS and performance analysts, administrators and inclusion leads read the DCS pack; EHE and
  CME officers read the DfE return too. All of them see aggregates only.
- The DCS, analysts and administrators produce returns and packs and enter reference figures.
- Only administrators and EHE/CME officers see the children behind the DfE return's validation
  report (the "unknown" and "no reason given" cases they must fix before submission).
"""

from datetime import date

from django.db.models import Prefetch, QuerySet

from registry.access import Capability, report_capability, user_can
from registry.models import (
    ComparatorFigure,
    Geography,
    PopulationEstimate,
    ReportKind,
    ReportRequest,
    ReportSnapshot,
    SnapshotFile,
)
from registry.services.reporting import tables_sha256


def reports_user_may_view(*, user, kind: str | None = None) -> bool:
    kinds = [kind] if kind else ReportKind.values
    return any(user_can(user, report_capability(k)) for k in kinds)


def reports_user_may_produce(*, user) -> bool:
    return user_can(user, Capability.PRODUCE_REPORTS)


def reports_user_may_see_children(*, user) -> bool:
    return user_can(user, Capability.VIEW_DFE_CHILDREN)


def snapshot_queryset_for_user(*, user) -> QuerySet[ReportSnapshot]:
    kinds = [kind for kind in ReportKind.values if reports_user_may_view(user=user, kind=kind)]
    return ReportSnapshot.objects.filter(kind__in=kinds)


def report_request_queryset_for_user(*, user) -> QuerySet[ReportRequest]:
    kinds = [kind for kind in ReportKind.values if reports_user_may_view(user=user, kind=kind)]
    return ReportRequest.objects.filter(kind__in=kinds)


def population_aged_5_to_16(*, on: date) -> PopulationEstimate | None:
    """The latest mid-year estimate for a year no later than ``on``'s (ONS publishes mid-year
    estimates about a year late, so the newest one available is used)."""
    return PopulationEstimate.objects.filter(mid_year__lte=on.year).order_by("-mid_year").first()


def latest_census_with_comparators(*, on: date) -> date | None:
    latest = ComparatorFigure.objects.filter(census_date__lte=on).order_by("-census_date").first()
    return latest.census_date if latest else None


def comparators_on(*, census_date: date) -> dict[str, ComparatorFigure]:
    """England and regional figures for a census day, keyed by geography."""
    figures = ComparatorFigure.objects.filter(census_date=census_date)
    return {figure.geography: figure for figure in figures if figure.geography in Geography.values}


# --- Produced returns and packs, and the requests for them, as the pages read them -------------


def snapshot_list_for_user(*, user) -> QuerySet[ReportSnapshot]:
    """The snapshots the user may see, newest first, without their (possibly large) tables."""
    return (
        snapshot_queryset_for_user(user=user)
        .select_related("produced_by")
        .defer("tables", "parameters")
        .order_by("-produced_at")
    )


def snapshot_already_produced(*, kind: str, period: str) -> ReportSnapshot | None:
    """The latest snapshot of this kind for this period, if one has been produced: producing the
    same return or pack again is asked for, never silent."""
    return (
        ReportSnapshot.objects.filter(kind=kind, period=period)
        .defer("tables", "parameters")
        .order_by("-produced_at")
        .first()
    )


def snapshot_get(*, user, snapshot_id) -> ReportSnapshot:
    """One snapshot, through the gate: ``ReportSnapshot.DoesNotExist`` outside it."""
    return (
        snapshot_queryset_for_user(user=user)
        .select_related("produced_by")
        .prefetch_related(Prefetch("files", queryset=SnapshotFile.objects.defer("content")))
        .get(pk=snapshot_id)
    )


def snapshot_file_get(*, user, snapshot_id, name: str) -> SnapshotFile:
    """One file of a snapshot the user may see: ``SnapshotFile.DoesNotExist`` otherwise."""
    return SnapshotFile.objects.get(
        snapshot__in=snapshot_queryset_for_user(user=user), snapshot_id=snapshot_id, name=name
    )


def snapshot_fingerprint_matches(*, snapshot: ReportSnapshot) -> bool:
    """Whether the stored tables still hash to the fingerprint taken when they were produced."""
    return tables_sha256(snapshot.tables) == snapshot.tables_sha256


def report_requests_recent(*, user, limit: int = 10) -> list[ReportRequest]:
    return list(
        report_request_queryset_for_user(user=user)
        .select_related("requested_by")
        .order_by("-requested_at")[:limit]
    )


def report_request_get(*, user, request_id) -> ReportRequest:
    """One request for a pack, through the gate: ``ReportRequest.DoesNotExist`` outside it."""
    return (
        report_request_queryset_for_user(user=user)
        .select_related("requested_by", "snapshot")
        .get(pk=request_id)
    )


def population_estimates() -> QuerySet[PopulationEstimate]:
    return PopulationEstimate.objects.select_related("entered_by").order_by("-mid_year")


def comparator_figures() -> QuerySet[ComparatorFigure]:
    return ComparatorFigure.objects.select_related("entered_by").order_by(
        "-census_date", "geography"
    )
