"""The current off-rolling indicators and alerts as two CSV files (``offrolling_export``).

A file may leave the LA, so by default every count of pupils under 3 reads "fewer than 3", a rate
or O/E resting on such a count reads "suppressed", and an alert is described by the briefing's
suppressed sentence instead of its explanation (which gives exact counts). ``suppressed=False``
is for the LA's own analysts: exact figures and the alerts' own explanations.

Rows are streamed from the database (``.iterator()``) straight into the file, so 60,000
indicators never sit in memory at once; every cell goes through ``spreadsheet_safe`` (the same
formula-safety as ``write_csv``, which builds its whole file in memory).
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from registry.csv_output import spreadsheet_safe
from schools_feed.models import (
    AlertOutcome,
    AlertStatus,
    FunnelBand,
    Indicator,
    Notification,
    NotificationKind,
    OffRollingAlert,
    PeriodType,
    Rule,
    SchoolIndicator,
)
from schools_feed.offrolling.briefing import flag_sentence
from schools_feed.offrolling.explain import FEWER_THAN, SMALL_NUMBER, SUPPRESSED

CHUNK_SIZE = 2000
INDICATOR_HEADINGS = [
    "URN",
    "School",
    "Indicator",
    "Indicator label",
    "Period type",
    "Period",
    "Period start",
    "Period end",
    "Pupils who left (observed)",
    "Number on roll (denominator)",
    "Expected",
    "Rate",
    "LA rate",
    "Observed / expected",
    "95% lower limit",
    "95% upper limit",
    "99.8% upper limit",
    "Band",
    "Rules met",
    # Deletions dated in the period without the Ground I checks (docs/rules/registration.md §5).
    "Ground I breaches",
]
ALERT_HEADINGS = [
    "Alert ID",
    "URN",
    "School",
    "Rule",
    "Rule label",
    "Indicator",
    "Group",
    "Period",
    "Status",
    "Outcome",
    "Owner",
    "Due date",
    "Raised at",
    "Method version",
    "Explanation",
]


@dataclass(frozen=True)
class ExportResult:
    indicators_path: Path
    indicators: int
    alerts_path: Path
    alerts: int
    suppressed: bool


def alerts_path_for(path: Path) -> Path:
    """The alerts file beside the indicators file: out.csv -> out-alerts.csv."""
    return path.with_name(f"{path.stem}-alerts{path.suffix}")


def offrolling_export(*, path: Path, suppressed: bool = True) -> ExportResult:
    """Write every SchoolIndicator row to ``path`` and every alert beside it."""
    path = Path(path)
    alerts_path = alerts_path_for(path)
    indicators = _write(path, INDICATOR_HEADINGS, indicator_rows(suppressed=suppressed))
    alerts = _write(alerts_path, ALERT_HEADINGS, alert_rows(suppressed=suppressed))
    return ExportResult(path, indicators, alerts_path, alerts, suppressed)


def _write(path: Path, headings: list[str], rows: Iterable[list]) -> int:
    """UTF-8 with a byte-order mark (Excel reads it), formula-safe, written as rows arrive into
    a file beside the target that replaces it when complete: a failed export leaves no half
    file behind."""
    count = 0
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow([spreadsheet_safe(heading) for heading in headings])
            for row in rows:
                writer.writerow([spreadsheet_safe(value) for value in row])
                count += 1
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count


# --- Indicators ---------------------------------------------------------------------------------

INDICATOR_FIELDS = (
    "school__urn",
    "school__name",
    "indicator",
    "period_type",
    "period_label",
    "period_start",
    "period_end",
    "observed",
    "denominator",
    "expected",
    "rate",
    "la_rate",
    "ratio",
    "warning_lower",
    "warning_upper",
    "alert_upper",
    "band",
    "rules_met",
    "ground_i_breaches",
)


def _ground_i_breaches() -> Subquery:
    """Per indicator row, the school's deletions dated in its period flagged as Ground I breaches:
    one correlated count, so the export stays one streamed query."""
    breaches = (
        Notification.objects.filter(
            school=OuterRef("school"),
            kind=NotificationKind.DELETION,
            deletion_date__gte=OuterRef("period_start"),
            deletion_date__lte=OuterRef("period_end"),
        )
        .exclude(ground_i_breach="")
        .order_by()
        .values("school")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(breaches, output_field=IntegerField()), 0)


def indicator_rows(*, suppressed: bool) -> Iterable[list]:
    rows = (
        SchoolIndicator.objects.annotate(ground_i_breaches=_ground_i_breaches())
        .order_by("school__name", "school__urn", "indicator", "period_type", "period_start")
        .values_list(*INDICATOR_FIELDS, named=True)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    indicator_labels = dict(Indicator.choices)
    period_labels = dict(PeriodType.choices)
    band_labels = dict(FunnelBand.choices)
    for row in rows:
        # Suppressed or not, the same formats: plain integers, rates to two places.
        hidden = suppressed and row.observed < SMALL_NUMBER
        rate = SUPPRESSED if hidden and row.rate is not None else _percent(row.rate)
        ratio = SUPPRESSED if hidden and row.ratio is not None else _number(row.ratio, 3)
        yield [
            row.school__urn,
            row.school__name,
            row.indicator,
            indicator_labels.get(row.indicator, row.indicator),
            period_labels.get(row.period_type, row.period_type),
            row.period_label,
            row.period_start.isoformat(),
            row.period_end.isoformat(),
            _count(row.observed, suppressed),
            _count(row.denominator, suppressed),
            _number(row.expected, 2),
            rate,
            _percent(row.la_rate),
            ratio,
            _number(row.warning_lower, 2),
            _number(row.warning_upper, 2),
            _number(row.alert_upper, 2),
            band_labels.get(row.band, row.band),
            "; ".join(row.rules_met or []),
            _count(row.ground_i_breaches, suppressed),
        ]


def _count(value: int, suppressed: bool) -> str:
    return FEWER_THAN if suppressed and value < SMALL_NUMBER else str(value)


def _number(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _percent(value: float | None) -> str:
    """A rate as a percentage, to two places: exports are read by analysts."""
    return "" if value is None else f"{100 * value:.2f}%"


# --- Alerts -------------------------------------------------------------------------------------


def alert_rows(*, suppressed: bool) -> Iterable[list]:
    alerts = (
        OffRollingAlert.objects.select_related("school", "owner")
        .order_by("school__name", "school__urn", "period_start", "rule", "indicator", "group")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    statuses, outcomes = dict(AlertStatus.choices), dict(AlertOutcome.choices)
    rules = dict(Rule.choices)
    for alert in alerts:
        owner = (alert.owner.get_full_name() or alert.owner.get_username()) if alert.owner else ""
        yield [
            alert.pk,
            alert.school.urn,
            alert.school.name,
            alert.rule,
            rules.get(alert.rule, alert.rule),
            alert.indicator,
            alert.group,
            alert.period_label,
            statuses.get(alert.status, alert.status),
            outcomes.get(alert.outcome, alert.outcome),
            owner,
            alert.due_date.isoformat() if alert.due_date else "",
            timezone.localtime(alert.raised_at).isoformat(timespec="minutes"),
            alert.method_version,
            flag_sentence(alert) if suppressed else alert.explanation,
        ]
