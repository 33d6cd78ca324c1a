"""Reads for the off-rolling monitor, with its access gates (docs/rules/offrolling.md §1, ADR 0007).

Who sees what:

- inclusion leads and administrators see every local school's figures and alerts, review the
  alerts, and (after giving a reason, which is logged) the deletions behind a school's numbers;
- the DCS and performance analysts see the same figures and alerts read-only, and aggregates
  only: never a child, never the case list behind an R6 alert;
- nobody else sees the monitor at all.

Every page, export and form goes through the gates below: ``offrolling_user_may_view`` and its
siblings for the role, and the ``*_queryset_for_user`` functions for the objects (local schools
only).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from registry.access import Capability, roles_with, user_can
from registry.models import Child, User
from registry.selectors import child_queryset_for_user
from schools_feed.grounds import ground_label
from schools_feed.models import (
    AlertEvent,
    AlertStatus,
    FunnelBand,
    IndicatorReference,
    Notification,
    NotificationKind,
    OffRollingAlert,
    PeriodType,
    School,
    SchoolIndicator,
)
from schools_feed.offrolling import charts
from schools_feed.offrolling.method import PROMPT_LABELS, Parameters

# --- The gates ----------------------------------------------------------------------------------


def offrolling_user_may_view(user) -> bool:
    return user_can(user, Capability.VIEW_OFFROLLING)


def offrolling_user_may_review(user) -> bool:
    """Change an alert's status, owner or due date, and add notes. The DCS is read-only."""
    return user_can(user, Capability.REVIEW_OFFROLLING)


def offrolling_user_may_see_children(user) -> bool:
    """See the deletions (children) behind a school's figures, and an R6 alert's case list."""
    return user_can(user, Capability.VIEW_OFFROLLING_CHILDREN)


def offrolling_school_queryset_for_user(*, user) -> QuerySet[School]:
    """The schools the monitor covers: this LA's own (School.is_local)."""
    if not offrolling_user_may_view(user):
        return School.objects.none()
    return School.objects.filter(is_local=True)


def school_indicator_queryset_for_user(*, user) -> QuerySet[SchoolIndicator]:
    if not offrolling_user_may_view(user):
        return SchoolIndicator.objects.none()
    return SchoolIndicator.objects.filter(school__is_local=True)


def alert_queryset_for_user(*, user) -> QuerySet[OffRollingAlert]:
    if not offrolling_user_may_view(user):
        return OffRollingAlert.objects.none()
    return OffRollingAlert.objects.filter(school__is_local=True)


def offrolling_school_get(*, user, urn: str) -> School:
    """Raises School.DoesNotExist outside the gate."""
    return offrolling_school_queryset_for_user(user=user).get(urn=urn)


# --- Periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodChoice:
    period_type: str
    start: date
    end: date
    label: str

    @property
    def key(self) -> str:
        """How a period travels in a URL: ``year:2025-09-01``."""
        return f"{self.period_type}:{self.start.isoformat()}"

    @property
    def is_year(self) -> bool:
        return self.period_type == PeriodType.YEAR


def offrolling_periods() -> list[PeriodChoice]:
    """The periods the last recompute has figures for, newest first (an academic year before the
    terms that start with it)."""
    type_order = {PeriodType.YEAR: 0, PeriodType.ROLLING: 1, PeriodType.TERM: 2}
    rows = (
        IndicatorReference.objects.values_list(
            "period_type", "period_start", "period_end", "period_label"
        )
        .distinct()
        .order_by()
    )
    found = {PeriodChoice(*row) for row in rows}
    return sorted(found, key=lambda p: (-p.start.toordinal(), type_order.get(p.period_type, 9)))


def offrolling_period_choose(periods: list[PeriodChoice], key: str | None) -> PeriodChoice | None:
    """The period a URL asks for, or the latest academic year (or, failing that, the newest)."""
    for period in periods:
        if key and period.key == key:
            return period
    years = [p for p in periods if p.is_year]
    return (years or periods or [None])[0]


def offrolling_has_figures() -> bool:
    return IndicatorReference.objects.exists()


def indicator_reference_get(*, indicator: str, period: PeriodChoice) -> IndicatorReference | None:
    return (
        IndicatorReference.objects.select_related("run")
        .filter(indicator=indicator, period_type=period.period_type, period_start=period.start)
        .first()
    )


def run_parameters(reference: IndicatorReference | None) -> Parameters:
    """The parameters of the run that computed these figures (the settings when unknown)."""
    configured = reference.run.parameters if reference is not None else {}
    return Parameters.from_settings(configured or settings.OFFROLLING)


# --- The overview -------------------------------------------------------------------------------

BAND_SEVERITY = Case(
    When(band=FunnelBand.ABOVE_ALERT, then=Value(4)),
    When(band=FunnelBand.ABOVE_WARNING, then=Value(3)),
    When(band=FunnelBand.WITHIN, then=Value(2)),
    When(band=FunnelBand.BELOW, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)
# The overview's sortable columns: URL key -> what to order by (a whitelist: nothing else is).
OVERVIEW_SORTS = {
    "school": "school__name",
    "on_roll": "denominator",
    "observed": "observed",
    "expected": "expected",
    "rate": "rate",
    "ratio": "ratio",
    "band": "band_severity",
    "alerts": "open_alerts",
}
OVERVIEW_DEFAULT_SORT = ("ratio", "desc")
OVERVIEW_FIELDS = (
    "id",
    "school__id",
    "school__name",
    "school__urn",
    "indicator",
    "period_type",
    "period_start",
    "observed",
    "denominator",
    "expected",
    "rate",
    "la_rate",
    "ratio",
    "band",
)


def _open_alerts_per_school():
    count = (
        OffRollingAlert.objects.filter(school=OuterRef("school_id"))
        .exclude(status=AlertStatus.CLOSED)
        .order_by()
        .values("school")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


def overview_rows(
    *, user, indicator: str, period: PeriodChoice, sort: str = "ratio", order: str = "desc"
) -> list[SchoolIndicator]:
    """Every local school's figures for one indicator and period, with its open alerts
    (``open_alerts``), in one query. ``sort`` is a key of OVERVIEW_SORTS (others fall back to
    the default); nulls sort last either way, the school's name breaks ties."""
    if sort not in OVERVIEW_SORTS:
        sort, order = OVERVIEW_DEFAULT_SORT
    column = F(OVERVIEW_SORTS[sort])
    ordering = column.desc(nulls_last=True) if order == "desc" else column.asc(nulls_last=True)
    rows = (
        school_indicator_queryset_for_user(user=user)
        .filter(indicator=indicator, period_type=period.period_type, period_start=period.start)
        .select_related("school")
        .only(*OVERVIEW_FIELDS)
        .annotate(open_alerts=_open_alerts_per_school(), band_severity=BAND_SEVERITY)
        .order_by(ordering, "school__name", "pk")
    )
    return list(rows)


def overview_funnel(
    *, rows: list[SchoolIndicator], reference: IndicatorReference | None
) -> charts.FunnelChart | None:
    """The funnel plot of the overview's rows: schools with a case-mix adjusted rate (O/E known)
    and a roll. None when there is nothing to plot or no LA rate to plot it against."""
    if reference is None or not reference.rate:
        return None
    points = [
        charts.FunnelPoint(
            label=row.school.name,
            n=row.denominator,
            rate=row.ratio * reference.rate,
            band=row.band,
            title=_point_title(row, reference.rate),
        )
        for row in rows
        if row.ratio is not None and row.denominator > 0
    ]
    if not points:
        return None
    parameters = run_parameters(reference)
    return charts.funnel_chart(
        points=points,
        la_rate=reference.rate,
        phi=reference.phi if reference.phi_applied else 1.0,
        warning_level=parameters.warning_level,
        alert_level=parameters.alert_level,
        exact_below_n=parameters.exact_below_denominator,
        exact_below_o=parameters.exact_below_observed,
    )


def _point_title(row: SchoolIndicator, la_rate: float) -> str:
    return (
        f"{row.school.name}: {row.observed} exits, {row.denominator} on roll, "
        f"{charts.decimal_text(row.expected)} expected, adjusted rate "
        f"{charts.percent_text(row.ratio * la_rate)}, O/E {charts.ratio_text(row.ratio)}, "
        f"{FunnelBand(row.band).label.lower()}"
    )


@dataclass
class AlertSummary:
    """Alerts by status, for the overview and the inclusion lead's home page."""

    counts: dict = field(default_factory=dict)  # status -> count

    @property
    def by_status(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.counts.get(value, 0)) for value, label in AlertStatus.choices]

    @property
    def open(self) -> int:
        return sum(n for status, n in self.counts.items() if status != AlertStatus.CLOSED)

    @property
    def open_by_status(self) -> list[tuple[str, str, int]]:
        return [row for row in self.by_status if row[0] != AlertStatus.CLOSED]


def alert_summary(*, user) -> AlertSummary:
    counts = (
        alert_queryset_for_user(user=user)
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
    )
    return AlertSummary(counts=dict(counts))


# --- Alerts -------------------------------------------------------------------------------------


def alert_review_statuses_on(*, day: date) -> list[tuple[tuple[str, str], str, date]]:
    """Each local school's alerts raised by ``day``: ((school, URN), status on the day, the date
    it was closed, if it was). The status comes from the review's dated events; an alert with
    none (raised before events were kept) has its current status."""
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    alerts = OffRollingAlert.objects.filter(school__is_local=True, raised_at__lt=end).values_list(
        "pk", "school__name", "school__urn", "status", "raised_at"
    )
    events = (
        AlertEvent.objects.filter(alert__school__is_local=True, at__lt=end)
        .exclude(to_status="")
        .order_by("at", "pk")
        .values_list("alert_id", "to_status", "at")
    )
    latest = {alert_id: (status, at) for alert_id, status, at in events}
    rows = []
    for pk, school, urn, current, raised_at in alerts:
        status, at = latest.get(pk, (current, raised_at))
        rows.append(((school, urn), status, timezone.localtime(at).date()))
    return rows


def alert_list(*, user, status: str = "", owner: User | None = None) -> QuerySet[OffRollingAlert]:
    """Alerts, open ones first by due date. ``status`` is a status value or "open"."""
    alerts = alert_queryset_for_user(user=user).select_related("school", "owner")
    if status == "open":
        alerts = alerts.exclude(status=AlertStatus.CLOSED)
    elif status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    if owner is not None:
        alerts = alerts.filter(owner=owner)
    return alerts.order_by(F("due_date").asc(nulls_last=True), "-raised_at", "pk")


def alert_get(*, user, alert_id) -> OffRollingAlert:
    """Raises OffRollingAlert.DoesNotExist outside the gate."""
    return (
        alert_queryset_for_user(user=user).select_related("school", "owner", "run").get(pk=alert_id)
    )


def alert_events(*, alert: OffRollingAlert, user) -> list:
    """The alert's review, oldest first, each with its statuses in words. Free-text notes may
    name a child or a family, so a role without ``VIEW_ALERT_NOTES`` (the DCS) gets each event
    without its note (``note_withheld`` says one was there)."""
    labels = dict(AlertStatus.choices)
    events = list(alert.events.select_related("by").order_by("at", "pk"))
    with_notes = user_can(user, Capability.VIEW_ALERT_NOTES)
    for event in events:
        event.note_withheld = bool(event.note) and not with_notes
        if event.note_withheld:
            event.note = ""
        event.from_label = labels.get(event.from_status, event.from_status)
        event.to_label = labels.get(event.to_status, event.to_status)
    return events


def alerts_for_school(*, user, school: School) -> QuerySet[OffRollingAlert]:
    return (
        alert_queryset_for_user(user=user)
        .filter(school=school)
        .select_related("owner")
        .order_by("-period_start", "rule", "indicator")
    )


def alert_rule_code(alert: OffRollingAlert) -> str:
    """The alert's rule as SchoolIndicator.rules_met records it: "R1", "R5:fsm"."""
    return f"{alert.rule}:{alert.group}" if alert.group else alert.rule


def alert_current_indicator(*, user, alert: OffRollingAlert) -> SchoolIndicator | None:
    return (
        school_indicator_queryset_for_user(user=user)
        .filter(
            school_id=alert.school_id,
            indicator=alert.indicator,
            period_type=alert.period_type,
            period_start=alert.period_start,
        )
        .first()
    )


def alert_still_met(*, alert: OffRollingAlert, current: SchoolIndicator | None) -> bool | None:
    """Whether the last recompute met the alert's rule again; None when it has no figures."""
    if current is None:
        return None
    return alert_rule_code(alert) in (current.rules_met or [])


def offrolling_reviewers() -> QuerySet[User]:
    """Who may own an alert: active inclusion leads and administrators."""
    return User.objects.filter(
        is_active=True, role__in=roles_with(Capability.REVIEW_OFFROLLING)
    ).order_by("first_name", "last_name", "username")


# --- A school -----------------------------------------------------------------------------------


def school_trend(*, user, school: School, indicator: str) -> list[SchoolIndicator]:
    """The school's figures for one indicator in each academic year it had pupils on roll,
    oldest first."""
    return list(
        school_indicator_queryset_for_user(user=user)
        .filter(school=school, indicator=indicator, period_type=PeriodType.YEAR, denominator__gt=0)
        .order_by("period_start")
    )


@dataclass
class ExitsSummary:
    """A school's deletions in a period, counted: aggregates only, no child in it."""

    total: int = 0
    by_ground: list[tuple[str, int]] = field(default_factory=list)
    by_nc_year: list[tuple[str, int]] = field(default_factory=list)
    characteristics: list[tuple[str, int]] = field(default_factory=list)
    # Deletions on an absence ground without the Ground I checks (docs/rules/registration.md §5).
    ground_i_breaches: int = 0


def _nc_year_order(year: str) -> tuple[int, str]:
    if year == "R":
        return (0, "")
    if year.isdigit():
        return (1, f"{int(year):03d}")
    return (2, year)


def _nc_year_text(year: str) -> str:
    if not year:
        return "Not given"
    return "Reception" if year == "R" else f"Year {year}" if year.isdigit() else year


def _deletions_in(school: School, period: PeriodChoice) -> QuerySet[Notification]:
    return Notification.objects.filter(
        school=school,
        kind=NotificationKind.DELETION,
        deletion_date__gte=period.start,
        deletion_date__lte=period.end,
    )


def school_exits(*, user, school: School, period: PeriodChoice) -> ExitsSummary:
    """The school's deletions dated in the period by ground, NC year and characteristic, from the
    returns themselves (one grouped query). Counts only, so the DCS may see them too."""
    if not offrolling_school_queryset_for_user(user=user).filter(pk=school.pk).exists():
        return ExitsSummary()
    rows = (
        _deletions_in(school, period)
        .order_by()
        .values_list("legal_basis", "ground", "nc_year", "sen_provision", "fsm_eligible")
        .annotate(count=Count("pk"), breaches=Count("pk", filter=~Q(ground_i_breach="")))
    )
    grounds, years, traits = Counter(), Counter(), Counter()
    labels = {}
    total = breaches_total = 0
    for legal_basis, ground, nc_year, sen, fsm, count, breaches in rows:
        total += count
        breaches_total += breaches
        label = ground_label(legal_basis, ground) if ground else "Not given"
        labels[(legal_basis, ground)] = label
        grounds[(legal_basis, ground)] += count
        years[(nc_year or "").upper().lstrip("0") or ("0" if nc_year else "")] += count
        if sen == "K":
            traits["SEN support"] += count
        elif sen == "E":
            traits["EHC plan"] += count
        if fsm:
            traits["Eligible for free school meals"] += count
    by_ground = sorted(grounds.items(), key=lambda item: (-item[1], labels[item[0]]))
    return ExitsSummary(
        total=total,
        ground_i_breaches=breaches_total,
        by_ground=[(labels[key], count) for key, count in by_ground],
        by_nc_year=[
            (_nc_year_text(year), years[year]) for year in sorted(years, key=_nc_year_order)
        ],
        characteristics=[
            (name, traits[name])
            for name in ("SEN support", "EHC plan", "Eligible for free school meals")
        ],
    )


def school_deletions(*, user, school: School, period: PeriodChoice) -> list[Notification]:
    """The deletions behind a school's figures in a period, for the roles that may see children.
    Each has ``child_visible``: whether the user may open the child's record."""
    if not offrolling_user_may_see_children(user):
        return []
    if not offrolling_school_queryset_for_user(user=user).filter(pk=school.pk).exists():
        return []
    deletions = list(
        _deletions_in(school, period)
        .only(
            "id",
            "school_id",
            "child_id",
            "legal_forenames",
            "legal_surname",
            "deletion_date",
            "legal_basis",
            "ground",
            "nc_year",
            "sen_provision",
            "fsm_eligible",
        )
        .order_by("deletion_date", "legal_surname", "pk")
    )
    child_ids = {d.child_id for d in deletions if d.child_id}
    visible = set(
        child_queryset_for_user(user=user).filter(pk__in=child_ids).values_list("pk", flat=True)
    )
    for deletion in deletions:
        deletion.child_visible = deletion.child_id in visible
    return deletions


def children_of(deletions: list[Notification]) -> list[Child]:
    """The children (linked records) among the deletions, once each, as unsaved stubs: what the
    access log needs is their ids."""
    seen = dict.fromkeys(d.child_id for d in deletions if d.child_id)
    return [Child(pk=child_id) for child_id in seen]


# --- An alert's evidence, for its page ----------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRow:
    label: str
    raised: str
    now: str = ""


@dataclass
class AlertEvidence:
    """The figures an alert was raised on beside the last recompute's, and what its rule adds."""

    figures: list[EvidenceRow] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    who_left: list[tuple[str, str, str]] = field(default_factory=list)  # group, exits, on roll
    prompts: list[tuple[str, int]] = field(default_factory=list)  # R6: prompt, cases
    cases: list[dict] = field(default_factory=list)  # R6, for the roles that may see children
    previous_label: str = ""
    previous: list[tuple[str, str]] = field(default_factory=list)  # R2: the year before


GROUP_LABELS = {
    "fsm": "Eligible for free school meals",
    "sen": "SEN support or an EHC plan",
    "ehcp": "EHC plan",
    "social_care": "Looked after, in need or on a child protection plan",
    "vulnerable": "Any of these, or an attendance or behaviour history",
}


def _figure_rows(figures: dict, parameters: dict) -> list[tuple[str, str]]:
    warning = charts.level_text(parameters.get("warning_level", 0.95))
    alert = charts.level_text(parameters.get("alert_level", 0.998))
    band = figures.get("band")
    return [
        ("Number on roll", _count_text(figures.get("denominator"))),
        ("Exits", _count_text(figures.get("observed"))),
        ("Expected exits for this size and intake", charts.decimal_text(figures.get("expected"))),
        ("Rate", charts.percent_text(figures.get("rate"))),
        ("LA rate", charts.percent_text(figures.get("la_rate"))),
        ("Observed / expected", charts.ratio_text(figures.get("ratio"))),
        (f"{warning} upper limit (exits)", charts.decimal_text(figures.get("warning_upper"))),
        (f"{alert} upper limit (exits)", charts.decimal_text(figures.get("alert_upper"))),
        ("Funnel band", FunnelBand(band).label if band in FunnelBand.values else "–"),
    ]


def _count_text(value) -> str:
    return "–" if value is None else f"{value:,}"


def _indicator_figures(row: SchoolIndicator) -> dict:
    return {
        name: getattr(row, name)
        for name in (
            "denominator",
            "observed",
            "expected",
            "rate",
            "la_rate",
            "ratio",
            "warning_upper",
            "alert_upper",
            "band",
        )
    }


def alert_evidence(
    *, alert: OffRollingAlert, current: SchoolIndicator | None, with_cases: bool
) -> AlertEvidence:
    """The alert's stored evidence in words and figures. ``with_cases`` adds the R6 case list
    (which deletion met which prompt): for the roles that may see children only."""
    evidence = alert.evidence or {}
    raised = _figure_rows(evidence, alert.parameters or {})
    now = _figure_rows(_indicator_figures(current), alert.parameters or {}) if current else []
    result = AlertEvidence(
        figures=[
            EvidenceRow(label, value, now[i][1] if now else "")
            for i, (label, value) in enumerate(raised)
        ]
    )
    previous = evidence.get("previous")
    if previous:
        result.previous_label = previous.get("period_label", "The year before")
        result.previous = _figure_rows(previous, alert.parameters or {})
    timing = evidence.get("timing")
    if timing:
        result.details += [
            (
                "Year 10 and 11 exits in the window before the Year 11 January census",
                f"{timing['window_exits']} of {timing['key_stage_4_exits']} "
                f"({_share(timing['window_exits'], timing['key_stage_4_exits'])})",
            ),
            (
                "The same share in the rest of the LA",
                f"{timing['la_window_exits']} of {timing['la_key_stage_4_exits']} "
                f"({_share(timing['la_window_exits'], timing['la_key_stage_4_exits'])})",
            ),
            ("Chance of a difference this large if the school were like the LA", _p(timing)),
        ]
    relative = evidence.get("relative_risk")
    if relative:
        group = GROUP_LABELS.get(alert.group, alert.group)
        result.details += [
            (
                f"Exits of pupils in the group: {group.lower()}",
                f"{relative['group_exits']} of {relative['group_on_roll']} on roll",
            ),
            (
                "Relative risk of leaving against the school's other pupils",
                f"{charts.ratio_text(relative['ratio'])} (95% confidence interval "
                f"{charts.ratio_text(relative['lower'])} to "
                f"{charts.ratio_text(relative['upper'])})",
            ),
        ]
    breakdown = evidence.get("breakdown") or {}
    exits, roll = breakdown.get("exits") or {}, breakdown.get("roll") or {}
    result.who_left = [
        (label, _count_text(exits.get(key)), _count_text(roll.get(key)) if key in roll else "–")
        for key, label in GROUP_LABELS.items()
        if key in exits
    ]
    counts = evidence.get("prompt_counts") or {}
    result.prompts = [(PROMPT_LABELS.get(key, key), n) for key, n in counts.items()]
    if with_cases:
        result.cases = _r6_cases(evidence.get("cases") or [], PROMPT_LABELS)
    return result


def _share(part: int, whole: int) -> str:
    return charts.percent_text(part / whole if whole else None)


def _p(timing: dict) -> str:
    value = timing.get("p_value")
    if value is None:
        return "–"
    return "less than 0.001" if value < 0.001 else f"{value:.3f}"


def _r6_cases(cases: list[dict], labels: dict) -> list[dict]:
    """The R6 cases with their deletion's date and NC year (no name: the return's own page, behind
    its gate, shows who it is)."""
    ids = [case.get("notification") for case in cases if case.get("notification")]
    found = {
        str(n.pk): n
        for n in Notification.objects.filter(pk__in=ids).only("id", "deletion_date", "nc_year")
    }
    return [
        {
            "notification": found.get(str(case.get("notification"))),
            "notification_id": case.get("notification"),
            "prompts": [labels.get(prompt, prompt) for prompt in case.get("prompts", [])],
        }
        for case in cases
    ]
