"""The DCS quarterly pack (docs/rules/statistics.md §6, ADR 0008): the figures, as a
JSON-serialisable dict of tables that the PDF, XLSX, CSV and the page are all drawn from
(``pack_render``), so a frozen snapshot re-renders exactly as produced.

- Quarters are calendar quarters (Q1 January to March … Q4 October to December); figures are as
  at the quarter's last day, from effective-dated facts only (``asat``).
- Child counts, rates and flows are published statistics: rounded to 10 with "low" and "x"
  (``publish``) wherever they appear, charts included.
- Time to first contact, actions, caseload and the off-rolling reviews are management
  information: exact, and labelled not for publication.
- No child's name appears anywhere; a CME case is identified by a short case reference only.

Each figure is a handful of aggregate queries per quarter, never a query per child.
"""

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from registry.census import census_days, latest_census_on_or_before
from registry.cme_reasons import cme_reason_labels
from registry.cnis.selectors import cnis_in_force, registered_on_day, requests_between
from registry.models import (
    CME_CLOSED_STATUSES,
    Action,
    ActionStatus,
    CMEEpisode,
    CMEStatus,
    CNISCondition,
    EHEEpisode,
    EHEStatus,
    EnforcementStepType,
    EpisodeStatusChange,
    Geography,
    TimeMissingBand,
    User,
)
from registry.reporting import asat
from registry.reporting.dfe import CNIS_REQUEST_LABELS
from registry.reporting.publish import (
    LA_ROUNDING,
    NATIONAL_ROUNDING,
    NOT_APPLICABLE,
    SUPPRESSED,
    is_suppressed,
    one_decimal,
    published_count,
    published_ratio,
)
from registry.reporting.selectors import (
    comparators_on,
    latest_census_with_comparators,
    population_aged_5_to_16,
)
from registry.rulebook import rules
from registry.school_age import nc_year_label

# 2026.2: only children of compulsory school age; unsuitable EHE counted as CME
# (docs/rules/statistics.md §3.5, §3.6).
METHOD_VERSION = "2026.2"
TREND_QUARTERS = 8
LONGEST_OPEN_SHOWN = 10
CASE_REFERENCE_LENGTH = 8
NOT_AVAILABLE = "n/a"

MANAGEMENT_INFORMATION = "Management information, not for publication."
PUBLISHED = "Published statistics: rounded to the nearest 10."
GENERAL_NOTES = (
    "Published statistics (child counts, rates and flows) follow the DfE's rounding: counts are "
    "rounded to the nearest 10 (England to the nearest 100); 'low' means a count that rounds to "
    "0 but is not 0; 'x' means unavailable or withheld because it would give a small count "
    "away; 'z' means not applicable. Rates and percentages are worked out from the unrounded "
    "counts.",
    "Management information (time to first contact, actions, caseload per officer and the "
    "off-rolling reviews) is exact and is not for publication.",
    "Quarters are calendar quarters and figures are as at the quarter's last day, from dated "
    "facts only: a figure for a past date stays the same unless someone has since recorded a "
    "correction dated on or before it. Officers and teams are as recorded when the pack was "
    "produced.",
    "Term-to-term comparisons mislead: numbers in home education rise through the school year "
    "and fall each autumn (the 'sawtooth'), so the pack compares autumn with autumn.",
)

Progress = Callable[[int, str], None]

QUARTER_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")
QUARTER_MONTHS = {
    1: "January to March",
    2: "April to June",
    3: "July to September",
    4: "October to December",
}


@dataclass(frozen=True)
class QuarterErrors:
    FORMAT = "Give the quarter as YEAR-QN, for example 2025-Q3 (Q1 is January to March)"
    NOT_ENDED = "{quarter} has not ended yet: the pack describes a quarter's last day"
    TOO_EARLY = "Give a quarter from 2000 onwards"


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> date:
        return self.following().first - timedelta(days=1)

    @property
    def key(self) -> str:
        """How a quarter is named in commands, snapshots and URLs: "2025-Q3"."""
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        return f"{QUARTER_MONTHS[self.number]} {self.year}"

    @property
    def short_label(self) -> str:
        return f"Q{self.number} {self.year}"

    def following(self) -> "Quarter":
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def before(self, count: int = 1) -> "Quarter":
        index = self.year * 4 + self.number - 1 - count
        return Quarter(index // 4, index % 4 + 1)

    @classmethod
    def containing(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return self.key


def parse_quarter(text: str, *, ended_by: date | None = None) -> Quarter:
    """ "2025-Q3" as a Quarter. With ``ended_by`` (today, say), a quarter that has not ended by
    then is refused: its last day has not happened."""
    match = QUARTER_PATTERN.match((text or "").strip().upper())
    if not match:
        raise ValueError(QuarterErrors.FORMAT)
    quarter = Quarter(int(match.group(1)), int(match.group(2)))
    if quarter.year < 2000:
        raise ValueError(QuarterErrors.TOO_EARLY)
    if ended_by is not None and quarter.last >= ended_by:
        raise ValueError(QuarterErrors.NOT_ENDED.format(quarter=quarter.key))
    return quarter


def last_ended_quarter(today: date) -> Quarter:
    """The latest quarter whose last day is before ``today``: on 1 January, October to December."""
    return Quarter.containing(today).before()


# --- Small helpers ------------------------------------------------------------------------------


def day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def section(
    key: str, title: str, note: str, columns: list[str], rows: list[list], *, published: bool
) -> dict:
    label = PUBLISHED if published else MANAGEMENT_INFORMATION
    return {
        "key": key,
        "title": title,
        "note": f"{label} {note}".strip(),
        "columns": columns,
        "rows": rows,
        "published": published,
    }


def _signed(value: str) -> str:
    """A change with its sign: "+10", "-10", "0"."""
    return f"+{value}" if Decimal(value) > 0 else value


def _number(value: float) -> int | float:
    """A figure for a management-information cell: whole numbers stay whole."""
    return int(value) if float(value).is_integer() else round(value, 1)


def _chart_value(count: int) -> int | None:
    """The published number a chart draws: "low" (1 to 4) is left as a gap, never drawn as 0."""
    text = published_count(count)
    return int(text) if text.lstrip("-").isdigit() else None


def _children(events) -> int:
    return len({event.child_id for event in events})


def _end_of(day: date) -> datetime:
    """The first moment after ``day``, in the LA's time zone (for created_at timestamps)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# Sections that apps built on the register add to the pack: the schools feed adds where its
# off-rolling reviews stand (schools_feed/offrolling/pack_section.py, registered in its
# AppConfig.ready). The register never imports the apps above it (docs/adr/0010-app-layers.md).
CONTRIBUTED_SECTIONS: list[tuple[str, Callable[["Quarter"], dict]]] = []


def contribute_section(stage: str, build: Callable[["Quarter"], dict]) -> None:
    """Add a section, built from the quarter, after the register's own (once per process)."""
    if all(existing is not build for _, existing in CONTRIBUTED_SECTIONS):
        CONTRIBUTED_SECTIONS.append((stage, build))


def _contributed(build: Callable[["Quarter"], dict], quarter: "Quarter") -> Callable[[], dict]:
    return lambda: build(quarter)


# --- The figures --------------------------------------------------------------------------------


class _Pack:
    """One pack's figures. Lookups several sections share are worked out once."""

    def __init__(self, quarter: Quarter):
        self.quarter = quarter
        self.day = quarter.last
        self.year_first = quarter.before(3).first

    @cached_property
    def cme_at_end(self) -> list[asat.ChildOnDay]:
        return asat.missing_education_on(self.day)

    def population(self, on: date) -> int | None:
        estimate = population_aged_5_to_16(on=on)
        return estimate.aged_5_to_16 if estimate else None

    def population_note(self, on: date) -> str:
        estimate = population_aged_5_to_16(on=on)
        if estimate is None:
            return "No population estimate has been entered, so rates are shown as x."
        return (
            f"Rates are per 100 of the LA's population aged 5 to 16 (mid-{estimate.mid_year} "
            f"estimate, {estimate.aged_5_to_16:,})."
        )

    # --- Counts and rates -------------------------------------------------------------------

    def at_quarter_end(self) -> dict:
        population = self.population(self.day)
        rows = [
            ["Children in elective home education", asat.children_on_count(EHEEpisode, self.day)],
            ["Children missing education", len(self.cme_at_end)],
        ]
        return section(
            "at_quarter_end",
            f"Children in EHE and CME on {day_text(self.day)}",
            self.population_note(self.day),
            ["Measure", "Children", "Rate per 100 aged 5 to 16"],
            [
                [label, published_count(count), published_ratio(count, population)]
                for label, count in rows
            ],
            published=True,
        )

    def england_and_region(self) -> dict:
        # England and regional figures are published a term or more late, and analysts may enter
        # only the autumn ones: compare on the latest census day that has them.
        census = latest_census_with_comparators(on=self.day) or latest_census_on_or_before(self.day)
        population = self.population(census)
        comparators = comparators_on(census_date=census)
        region = comparators.get(Geography.REGION)
        england = comparators.get(Geography.ENGLAND)
        region_name = settings.REGION_NAME or "Region"
        rows = []
        for label, model, kind in (
            ("Children in elective home education", EHEEpisode, "ehe"),
            ("Children missing education", CMEEpisode, "cme"),
        ):
            count = asat.children_on_count(model, census)
            rows.append(
                [
                    label,
                    published_count(count),
                    published_ratio(count, population),
                    *_comparator_cells(region, kind, LA_ROUNDING),
                    *_comparator_cells(england, kind, NATIONAL_ROUNDING),
                ]
            )
        return section(
            "england_and_region",
            f"Beside England and the region on census day {day_text(census)}",
            " ".join(
                [
                    f"The latest census day on or before {day_text(self.day)} for which "
                    "England or regional figures have been entered.",
                    self.population_note(census),
                    _comparator_note(region, england),
                ]
            ),
            [
                "Measure",
                "This LA: children",
                "This LA: rate per 100",
                f"{region_name}: children",
                f"{region_name}: rate per 100",
                "England: children",
                "England: rate per 100",
            ],
            rows,
            published=True,
        )

    def autumn_to_autumn(self) -> dict:
        latest = latest_census_on_or_before(self.day, "autumn")
        previous = census_days(latest.year - 1)["autumn"]
        columns = [
            "Measure",
            f"Autumn {previous.year} ({day_text(previous)})",
            f"Autumn {latest.year} ({day_text(latest)})",
            "Change",
            "Change (%)",
        ]
        rows = []
        for label, model in (
            ("Children in elective home education", EHEEpisode),
            ("Children missing education", CMEEpisode),
        ):
            before, after = (asat.children_on_count(model, day) for day in (previous, latest))
            rates = [
                published_ratio(count, self.population(day))
                for count, day in ((before, previous), (after, latest))
            ]
            rows.append([label, *_count_change(before, after)])
            rows.append([f"{label}: rate per 100", *rates, _rate_change(*rates), NOT_APPLICABLE])
        return section(
            "autumn_to_autumn",
            "Autumn census compared with the autumn census a year before",
            "Autumn is compared with autumn because numbers rise through the school year and fall "
            "each autumn. The change in children is the difference of the rounded figures; the "
            "change in per cent is worked out from the unrounded counts; rate changes are in "
            f"rate points. {self.population_note(latest)}",
            columns,
            rows,
            published=True,
        )

    # --- Flows ------------------------------------------------------------------------------

    def _flow_columns(self) -> list[str]:
        return ["Measure", self.quarter.label, f"12 months to {day_text(self.day)}"]

    def _periods(self) -> list[tuple[date, date]]:
        return [(self.quarter.first, self.day), (self.year_first, self.day)]

    @cached_property
    def _ehe_endings(self) -> dict[tuple[date, date], list[asat.EpisodeEvent]]:
        """The quarter's and the 12 months' EHE endings: two sections read them."""
        return {period: asat.ehe_endings(*period) for period in self._periods()}

    def starts_and_returns(self) -> dict:
        counts: dict[str, list[int]] = defaultdict(list)
        for first, last in self._periods():
            endings = self._ehe_endings[(first, last)]
            returns = asat.returned_to_school(endings)
            counts["Children who started EHE"].append(
                asat.children_starting(EHEEpisode, first, last)
            )
            counts["Children who returned to school from EHE"].append(_children(returns))
            counts["Children who left EHE for another reason"].append(
                _children([e for e in endings if e.what != EHEStatus.RETURNED_TO_SCHOOL])
            )
            counts["Children who became missing education"].append(
                asat.children_starting(CMEEpisode, first, last)
            )
            counts["Children found (CME cases closed)"].append(_cme_closures(first, last))
        return section(
            "starts_and_returns",
            "Starts and returns",
            "Children counted once in each period, however many times they started or left. "
            "A child who left EHE for another reason moved away, passed compulsory school age, "
            "became missing education or had their case closed. Children who became missing "
            "education include those whose home education was found unsuitable, from the stage "
            "the LA's policy names.",
            self._flow_columns(),
            [[label, *map(published_count, values)] for label, values in counts.items()],
            published=True,
        )

    def enforcement(self) -> dict:
        steps = [Counter(e.what for e in asat.enforcement_steps(*p)) for p in self._periods()]
        rows = [
            [label, *(published_count(counter[value]) for counter in steps)]
            for value, label in EnforcementStepType.choices
        ]
        return section(
            "enforcement",
            "Enforcement: s.437 notices and school attendance orders",
            "Each notice, order or revocation is counted on the date it was served.",
            ["Step", *self._flow_columns()[1:]],
            rows,
            published=True,
        )

    def returns_brokered(self) -> dict:
        ehe, cme, total = [], [], []
        for first, last in self._periods():
            returned = len(asat.returned_to_school(self._ehe_endings[(first, last)]))
            located = _cme_closures(first, last, statuses=[CMEStatus.LOCATED_IN_SCHOOL])
            ehe.append(returned)
            cme.append(located)
            total.append(returned + located)
        rows = [
            ["EHE episodes closed as returned to school", *map(published_count, ehe)],
            ["CME cases closed as located on a school roll", *map(published_count, cme)],
            ["Returns to school", *map(published_count, total)],
        ]
        return section(
            "returns_brokered",
            "Returns to school brokered",
            "The register has no separate 'brokered' flag: this counts every EHE episode closed "
            "as returned to school and every CME case closed as located on a school roll in the "
            "period, whoever arranged the place.",
            self._flow_columns(),
            rows,
            published=True,
        )

    # --- Children missing education ---------------------------------------------------------

    def cme_time_missing(self) -> dict:
        bands = Counter(child.time_missing_band for child in self.cme_at_end)
        total = len(self.cme_at_end)
        rows = [
            [label, published_count(bands[value]), published_ratio(bands[value], total)]
            for value, label in TimeMissingBand.choices
        ]
        rows.append(["Total", published_count(total), published_ratio(total, total)])
        return section(
            "cme_time_missing",
            f"Children missing education on {day_text(self.day)}, by time missing",
            "Time missing is counted to the quarter's last day from the date the child was first "
            "missing; 'Unknown' where that date is not recorded.",
            ["Time missing", "Children", "Percentage"],
            rows,
            published=True,
        )

    def cme_longest_open(self) -> dict:
        cases = sorted(
            self.cme_at_end,
            key=lambda c: (c.days_missing is None, -(c.days_missing or 0), c.episode_id),
        )[:LONGEST_OPEN_SHOWN]
        bands = dict(TimeMissingBand.choices)
        labels = cme_reason_labels()
        rows = [
            [
                case.episode_id.replace("-", "")[:CASE_REFERENCE_LENGTH].upper(),
                NOT_AVAILABLE if case.days_missing is None else case.days_missing,
                nc_year_label(case.nc_year),
                bands.get(case.time_missing_band, case.time_missing_band),
                labels.get(case.reason, case.reason or "Unknown"),
            ]
            for case in cases
        ]
        return section(
            "cme_longest_open",
            f"The {LONGEST_OPEN_SHOWN} longest-open CME cases on {day_text(self.day)}",
            "No names: each case is shown by a short case reference (the first "
            f"{CASE_REFERENCE_LENGTH} characters of its episode reference), which officers can "
            "look up in the register. Days missing are counted to the quarter's last day.",
            ["Case reference", "Days missing", "NC year", "Time missing", "Primary reason"],
            rows,
            published=False,
        )

    # --- Management information -------------------------------------------------------------

    def first_contact(self) -> dict:
        starts = EHEEpisode.objects.filter(
            asat.not_merged(), start_date__gte=self.quarter.first, start_date__lte=self.day
        ).values_list("start_date", "first_contact_date", "assigned_officer__team")
        by_team: dict[str, list] = defaultdict(list)
        everyone = []
        for start, contacted, team in starts:
            days = (contacted - start).days if contacted and contacted <= self.day else None
            by_team[_team_label(team, assigned=team is not None)].append(days)
            everyone.append(days)
        rows = [_first_contact_row(team, by_team[team]) for team in sorted(by_team)]
        rows.append(_first_contact_row("All teams", everyone))
        return section(
            "first_contact",
            f"Time to first contact: EHE starts in {self.quarter.label}, by team",
            "Days from the start of home education to the first contact with the family, for "
            "children who started EHE in the quarter; 'not yet' counts those with no contact "
            "recorded by the quarter's last day. Teams are those of the officers now assigned.",
            ["Team", "EHE starts", "Contacted", "Not yet contacted", "Median days to contact"],
            rows,
            published=False,
        )

    def overdue_actions(self) -> dict:
        open_on_day = (
            Action.objects.filter(created_at__lt=_end_of(self.day))
            .filter(Q(status=ActionStatus.OPEN) | Q(completed_on__gt=self.day))
            .values("owner__team")
            .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=self.day)))
            .order_by("owner__team")
        )
        rows, open_total, overdue_total = [], 0, 0
        for row in open_on_day:
            rows.append(_actions_row(_team_label(row["owner__team"]), row["open"], row["overdue"]))
            open_total += row["open"]
            overdue_total += row["overdue"]
        rows.append(_actions_row("All teams", open_total, overdue_total))
        return section(
            "overdue_actions",
            f"Actions open and overdue on {day_text(self.day)}, by team",
            "Actions open at the end of the quarter's last day (made by then, not done or "
            "cancelled by then); overdue ones were due before that day. Teams are those of the "
            "actions' owners as now recorded.",
            ["Team", "Open actions", "Overdue", "Overdue (%)"],
            rows,
            published=False,
        )

    def caseload(self) -> dict:
        cases: dict[int | None, Counter] = defaultdict(Counter)
        for kind, model in (("ehe", EHEEpisode), ("cme", CMEEpisode)):
            counts = (
                model.objects.filter(asat.covering(self.day), asat.not_merged())
                .values("assigned_officer_id")
                .annotate(cases=Count("pk"))
                .order_by()
            )
            for row in counts:
                cases[row["assigned_officer_id"]][kind] += row["cases"]
        officers = _officer_names(officer_id for officer_id in cases if officer_id is not None)
        rows = [
            [*officers.get(officer_id, ("No officer assigned", "")), c["ehe"], c["cme"], c.total()]
            for officer_id, c in cases.items()
        ]
        rows.sort(key=lambda row: (row[0] == "No officer assigned", row[1], row[0]))
        totals = [sum(c[kind] for c in cases.values()) for kind in ("ehe", "cme")]
        rows.append(["All officers", "", *totals, sum(totals)])
        return section(
            "caseload",
            f"Caseload per officer on {day_text(self.day)}",
            "Open EHE and CME cases on the quarter's last day, by the officer now assigned "
            "(assignment is not dated).",
            ["Officer", "Team", "EHE cases", "CME cases", "All cases"],
            rows,
            published=False,
        )

    def cnis_register(self) -> dict:
        """The children-not-in-school register at the quarter end and the requests sent
        (docs/rules/ehe.md §6); only in a pack whose quarter ends after it commenced."""
        registered = registered_on_day(self.day)
        rows = [["Children on the register", registered["total"], ""]]
        rows += [[label, registered[code], ""] for code, label in CNISCondition.choices]
        commenced_on = rules().cnis_register_commenced_on
        periods = [(max(first, commenced_on), last) for first, last in self._periods()]
        requests = [requests_between(*period) for period in periods]
        rows += [
            [label, *(counts[code] for counts in requests)]
            for code, label in CNIS_REQUEST_LABELS.items()
        ]
        return section(
            "cnis_register",
            f"Children not in school register on {day_text(self.day)}",
            "Children on the register on the quarter's last day, by why they are eligible "
            "(Condition C); then the requests sent in the quarter and in the 12 months (from "
            "commencement if later). Exact counts.",
            self._flow_columns(),
            rows,
            published=False,
        )

    # --- Trends -----------------------------------------------------------------------------

    def trends(self, progress: Progress, start: int, end: int) -> list[dict]:
        quarters = [self.quarter.before(n) for n in range(TREND_QUARTERS - 1, -1, -1)]
        series: dict[str, list[int | None]] = defaultdict(list)
        for number, quarter in enumerate(quarters):
            progress(start + (end - start) * number // len(quarters), "Trends")
            first, last = quarter.first, quarter.last
            series["ehe"].append(_chart_value(asat.children_on_count(EHEEpisode, last)))
            series["cme"].append(_chart_value(asat.children_on_count(CMEEpisode, last)))
            starts = asat.children_starting(EHEEpisode, first, last)
            series["starts"].append(_chart_value(starts))
            returns = asat.returned_to_school(asat.ehe_endings(first, last))
            series["returns"].append(_chart_value(_children(returns)))
        x_labels = [quarter.short_label for quarter in quarters]
        return [
            _chart(
                "in_ehe_and_cme",
                "Children in EHE and CME on the last day of each quarter",
                x_labels,
                {"In elective home education": series["ehe"], "Missing education": series["cme"]},
            ),
            _chart(
                "starts_and_returns",
                "Children who started EHE and who returned to school, each quarter",
                x_labels,
                {"Started EHE": series["starts"], "Returned to school": series["returns"]},
            ),
        ]


def _chart(key: str, title: str, x_labels: list[str], series: dict[str, list]) -> dict:
    return {
        "key": key,
        "title": title,
        "x_labels": x_labels,
        "series": [{"name": name, "values": values} for name, values in series.items()],
        "y_label": "Children (rounded to the nearest 10)",
    }


def _comparator_cells(figure, kind: str, base: int) -> list[str]:
    count = getattr(figure, f"{kind}_count", None) if figure else None
    rate = getattr(figure, f"{kind}_rate_per_100", None) if figure else None
    return [
        SUPPRESSED if count is None else published_count(count, base=base),
        SUPPRESSED if rate is None else one_decimal(rate),
    ]


def _comparator_note(region, england) -> str:
    sources = [f.source for f in (region, england) if f is not None and f.source]
    if region is None and england is None:
        return "No England or regional figures have been entered for this census day (x)."
    text = "England and regional figures as entered by analysts from the DfE's publication"
    return f"{text}: {'; '.join(sources)}." if sources else f"{text}."


def _count_change(before: int, after: int) -> list[str]:
    shown = [published_count(before), published_count(after)]
    if is_suppressed(before) or is_suppressed(after):
        return [*shown, SUPPRESSED, SUPPRESSED]
    change = str(int(shown[1]) - int(shown[0]))
    percent = one_decimal((after - before) * 100 / before) if before else NOT_APPLICABLE
    return [*shown, _signed(change), _signed(percent) if before else percent]


def _rate_change(before: str, after: str) -> str:
    if SUPPRESSED in (before, after) or NOT_APPLICABLE in (before, after):
        return SUPPRESSED
    return _signed(one_decimal(Decimal(after) - Decimal(before)))


def _cme_closures(first: date, last: date, *, statuses=CME_CLOSED_STATUSES) -> int:
    """CME cases closed in the period (by the status that closed them), counted by episode."""
    changes = EpisodeStatusChange.objects.filter(
        asat.not_merged(),
        cme_episode__isnull=False,
        to_status__in=list(statuses),
        effective_date__gte=first,
        effective_date__lte=last,
    )
    return changes.values("cme_episode_id").distinct().count()


def _team_label(team: str | None, *, assigned: bool = True) -> str:
    if not assigned:
        return "No officer assigned"
    return team or "No team recorded"


def _first_contact_row(team: str, waits: list[int | None]) -> list:
    contacted = [max(days, 0) for days in waits if days is not None]
    median = _number(statistics.median(contacted)) if contacted else NOT_AVAILABLE
    return [team, len(waits), len(contacted), len(waits) - len(contacted), median]


def _actions_row(team: str, open_count: int, overdue: int) -> list:
    share = float(one_decimal(overdue * 100 / open_count)) if open_count else NOT_AVAILABLE
    return [team, open_count, overdue, share]


def _officer_names(officer_ids) -> dict[int, tuple[str, str]]:
    users = User.objects.filter(pk__in=list(officer_ids)).values_list(
        "pk", "first_name", "last_name", "username", "team"
    )
    return {
        pk: (f"{first} {last}".strip() or username, _team_label(team))
        for pk, first, last, username, team in users
    }


# --- The pack -----------------------------------------------------------------------------------


def _title(quarter: Quarter) -> str:
    authority = settings.LOCAL_AUTHORITY_NAME
    prefix = f"{authority}: " if authority else ""
    return (
        f"{prefix}DCS quarterly pack: elective home education and children missing education, "
        f"{quarter.label}"
    )


def quarterly_pack_tables(quarter: Quarter, progress: Progress | None = None) -> dict:
    """Every figure of the pack for ``quarter``, as plain JSON-serialisable data."""
    with asat.one_reading():
        return _pack_tables(quarter, progress)


def _pack_tables(quarter: Quarter, progress: Progress | None) -> dict:
    report = progress or (lambda percent, stage: None)
    pack = _Pack(quarter)
    steps = [
        (5, "Children in EHE and CME at the quarter end", pack.at_quarter_end),
        (12, "England and regional figures", pack.england_and_region),
        (20, "Autumn compared with autumn", pack.autumn_to_autumn),
        (28, "Starts and returns", pack.starts_and_returns),
        (34, "Enforcement", pack.enforcement),
        (40, "Returns to school", pack.returns_brokered),
        (45, "Children missing education by time missing", pack.cme_time_missing),
        (48, "The longest-open CME cases", pack.cme_longest_open),
        (52, "Time to first contact", pack.first_contact),
        (56, "Overdue actions", pack.overdue_actions),
        (60, "Caseload per officer", pack.caseload),
        *((64, stage, _contributed(build, quarter)) for stage, build in CONTRIBUTED_SECTIONS),
    ]
    if cnis_in_force(quarter.last):
        steps.append((66, "Children not in school register", pack.cnis_register))
    sections = []
    for percent, stage, build in steps:
        report(percent, stage)
        sections.append(build())
    charts = pack.trends(report, 68, 90)
    report(90, "Figures worked out")
    return {
        "title": _title(quarter),
        "quarter": quarter.key,
        "quarter_label": quarter.label,
        "as_at": quarter.last.isoformat(),
        "notes": list(GENERAL_NOTES),
        "sections": sections,
        "charts": charts,
    }
