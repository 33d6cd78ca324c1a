"""The current indicators and alerts as CSV (``offrolling_export``), for analysts and for anyone
outside the LA: small numbers are suppressed unless the file stays with the LA's analysts."""

from pathlib import Path

from schools_feed.intake.files import write_csv
from schools_feed.models import Indicator, OffRollingAlert, SchoolIndicator
from schools_feed.offrolling.briefing import suppress, suppress_rate

INDICATOR_HEADINGS = [
    "URN",
    "School",
    "Indicator",
    "Measure",
    "Period type",
    "Period",
    "Pupils who left",
    "Number on roll",
    "Expected",
    "Rate",
    "LA rate",
    "Observed / expected",
    "95% lower limit",
    "95% upper limit",
    "99.8% upper limit",
    "Band",
    "Rules met",
]
ALERT_HEADINGS = [
    "Alert",
    "URN",
    "School",
    "Rule",
    "Indicator",
    "Group",
    "Period",
    "Status",
    "Outcome",
    "Owner",
    "Due",
    "Raised",
    "Method version",
    "Explanation",
]


def alerts_path(path: Path) -> Path:
    """out.csv -> out-alerts.csv, beside it."""
    return path.with_name(f"{path.stem}-alerts{path.suffix or '.csv'}")


def indicators_csv(*, suppressed: bool) -> tuple[bytes, int]:
    rows = SchoolIndicator.objects.select_related("school").order_by(
        "school__urn", "indicator", "period_type", "period_start"
    )
    lines = [_indicator_line(row, suppressed) for row in rows.iterator(chunk_size=5000)]
    return write_csv(INDICATOR_HEADINGS, lines), len(lines)


def _indicator_line(row: SchoolIndicator, suppressed: bool) -> list:
    observed = suppress(row.observed, grouped=False) if suppressed else row.observed
    on_roll = suppress(row.denominator, grouped=False) if suppressed else row.denominator
    rate = suppress_rate(row.observed, row.rate) if suppressed else _decimal(row.rate, 5)
    ratio = "" if suppressed and row.observed < 3 else _decimal(row.ratio, 3)
    return [
        row.school.urn,
        row.school.name,
        row.indicator,
        Indicator(row.indicator).label,
        row.get_period_type_display(),
        row.period_label,
        observed,
        on_roll,
        _decimal(row.expected, 2),
        rate,
        _decimal(row.la_rate, 5),
        ratio,
        _decimal(row.warning_lower, 2),
        _decimal(row.warning_upper, 2),
        _decimal(row.alert_upper, 2),
        row.get_band_display(),
        " ".join(row.rules_met),
    ]


def alerts_csv(*, suppressed: bool) -> tuple[bytes, int]:
    """The alerts; their explanations give exact counts, so a suppressed file leaves them out."""
    alerts = OffRollingAlert.objects.select_related("school", "owner").order_by("raised_at")
    lines = [
        [
            alert.pk,
            alert.school.urn,
            alert.school.name,
            alert.rule,
            alert.indicator,
            alert.group,
            alert.period_label,
            alert.get_status_display(),
            alert.get_outcome_display(),
            str(alert.owner or ""),
            alert.due_date.isoformat() if alert.due_date else "",
            alert.raised_at.isoformat(timespec="minutes"),
            alert.method_version,
            alert.get_rule_display() if suppressed else alert.explanation,
        ]
        for alert in alerts.iterator(chunk_size=2000)
    ]
    return write_csv(ALERT_HEADINGS, lines), len(lines)


def _decimal(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"
