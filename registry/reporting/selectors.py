"""Reads for statistics, with their gates (ADR 0002, ADR 0008).

- The DCS and performance analysts, administrators and inclusion leads read the DCS pack; EHE and
  CME officers read the DfE return too. All of them see aggregates only.
- The DCS, analysts and administrators produce returns and packs and enter reference figures.
- Only administrators and EHE/CME officers see the children behind the DfE return's validation
  report (the "unknown" and "no reason given" cases they must fix before submission).
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from registry.models import (
    Child,
    ComparatorFigure,
    Geography,
    PopulationEstimate,
    ReportKind,
    ReportRequest,
    ReportSnapshot,
    Role,
    SnapshotFile,
)
from registry.selectors import child_queryset_for_user
from registry.services.reporting import tables_sha256

READ_ROLES = {
    ReportKind.DFE_RETURN: frozenset(
        {Role.DCS, Role.ADMINISTRATOR, Role.INCLUSION_LEAD, Role.EHE_OFFICER, Role.CME_OFFICER}
    ),
    ReportKind.QUARTERLY_PACK: frozenset({Role.DCS, Role.ADMINISTRATOR, Role.INCLUSION_LEAD}),
}
PRODUCE_ROLES = frozenset({Role.DCS, Role.ADMINISTRATOR})
CHILDREN_ROLES = frozenset({Role.ADMINISTRATOR, Role.EHE_OFFICER, Role.CME_OFFICER})


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def reports_user_may_view(*, user, kind: str | None = None) -> bool:
    if not _signed_in(user):
        return False
    kinds = [kind] if kind else list(READ_ROLES)
    return any(user.role in READ_ROLES[k] for k in kinds)


def reports_user_may_produce(*, user) -> bool:
    return _signed_in(user) and user.role in PRODUCE_ROLES


def reports_user_may_see_children(*, user) -> bool:
    return _signed_in(user) and user.role in CHILDREN_ROLES


def snapshot_queryset_for_user(*, user) -> QuerySet[ReportSnapshot]:
    kinds = [kind for kind in READ_ROLES if reports_user_may_view(user=user, kind=kind)]
    return ReportSnapshot.objects.filter(kind__in=kinds)


def report_request_queryset_for_user(*, user) -> QuerySet[ReportRequest]:
    kinds = [kind for kind in READ_ROLES if reports_user_may_view(user=user, kind=kind)]
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


# --- The DfE return's validation report (children: only for CHILDREN_ROLES) -------------------


@dataclass(frozen=True)
class IssueRow:
    """An issue of the DfE return with the child it is about, or ``child=None`` when the child is
    outside what the user may see (the issue is listed, the child is not named)."""

    child: Child | None
    kind: str  # EHE or CME
    code: str  # registry.reporting.dfe.IssueCode
    message: str


def dfe_return_issue_rows(*, user, census_date: date) -> list[IssueRow]:
    """The issues to fix before the return for ``census_date`` is sent, each with its child loaded
    through the children's gate. Empty for a role that may not see children."""
    if not reports_user_may_see_children(user=user):
        return []
    # Imported here: building the return's issues is needed only by the validation report.
    from registry.reporting.dfe import dfe_return_issues

    issues = dfe_return_issues(census_date)
    children = child_queryset_for_user(user=user).in_bulk({str(issue.child_id) for issue in issues})
    children = {str(pk): child for pk, child in children.items()}
    rows = [
        IssueRow(
            child=children.get(str(issue.child_id)),
            kind=issue.kind,
            code=issue.code,
            message=issue.message,
        )
        for issue in issues
    ]
    return sorted(
        rows,
        key=lambda row: (
            row.child is None,
            (row.child.legal_surname.lower(), row.child.legal_forenames.lower())
            if row.child
            else ("", ""),
            row.kind,
            row.code,
        ),
    )
