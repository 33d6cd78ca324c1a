"""Reads for statistics, with their gates (ADR 0002, ADR 0008).

- The DCS and performance analysts, administrators and inclusion leads read the DCS pack; EHE and
  CME officers read the DfE return too. All of them see aggregates only.
- The DCS, analysts and administrators produce returns and packs and enter reference figures.
- Only administrators and EHE/CME officers see the children behind the DfE return's validation
  report (the "unknown" and "no reason given" cases they must fix before submission).
"""

from datetime import date

from django.db.models import QuerySet

from registry.models import (
    ComparatorFigure,
    Geography,
    PopulationEstimate,
    ReportKind,
    ReportRequest,
    ReportSnapshot,
    Role,
)

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


def comparators_on(*, census_date: date) -> dict[str, ComparatorFigure]:
    """England and regional figures for a census day, keyed by geography."""
    figures = ComparatorFigure.objects.filter(census_date=census_date)
    return {figure.geography: figure for figure in figures if figure.geography in Geography.values}
