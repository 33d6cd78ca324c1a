"""The DfE termly EHE and CME return (docs/rules/statistics.md §1, §3), built from the "as at"
engine.

The return is the aggregate the LA sends DfE through COLLECT, so its counts are exact: DfE rounds
what it publishes, the LA does not round what it sends. Its tables are a generic list of sections
(title, note, columns, rows) in the shape of the published files, which the pages, the CSV files
and the frozen snapshot all use as they are:

- ``ehe_census`` and ``cme_census``: children on the census day by sex, expected year group and
  primary reason (and, for CME, time missing), one row per category, every category even at 0;
- ``ehe_academic_year`` and ``cme_academic_year``: flows over the previous full academic year and
  the academic year to date.

Only children of compulsory school age are counted, and an EHE child whose education has been
found unsuitable is counted as CME (docs/rules/statistics.md §3.5, §3.6; ``asat``). The labels are
the DfE's own (§4): a year group the register cannot give is counted as "Unknown", and a CME
primary reason is counted under the DfE category an administrator mapped it to (``CMEReasonCode``),
under "Other" while unmapped. Every case an officer can fix before submission ("unknown", "no
reason given", no previous school type, an open episode past compulsory school age, an unmapped
reason...) is an ``Issue`` naming the child. The tables only count issues: the DCS sees the
tables, never the children.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from registry.census import long_date, term_of
from registry.cme_reasons import DfECategories, cme_dfe_categories, cme_reason_labels
from registry.cnis.selectors import cnis_in_force, registered_on_day, requests_between
from registry.models import (
    CMEEpisode,
    CNISCondition,
    CNISRequestKind,
    EHEEpisode,
    EHEReason,
    EHESource,
    EnforcementStepType,
    Sex,
    TimeMissingBand,
)
from registry.reporting import asat
from registry.reporting.publish import NOT_APPLICABLE, exact_ratio
from registry.reporting.selectors import population_aged_5_to_16
from registry.rulebook import rules
from registry.school_age import academic_year_label, academic_year_start, nc_year_label

# 2026.2: only children of compulsory school age; unsuitable EHE counted as CME
# (docs/rules/statistics.md §3.5, §3.6).
METHOD_VERSION = "2026.2"

EHE = "EHE"
CME = "CME"
NC_YEARS = ("R", *(str(year) for year in range(1, 12)))
UNKNOWN_YEAR_GROUP = "unknown"
UNKNOWN = "Unknown"

# The DfE's labels for the EHE primary reasons where they differ from the register's: the labels
# of the published autumn 2025 file (docs/rules/statistics.md §4.1).
DFE_EHE_REASON_LABELS = {
    EHEReason.COVID: "Health concerns related to COVID19",
    EHEReason.DISSATISFACTION_GENERAL: "School dissatisfaction general",
    EHEReason.DISSATISFACTION_SEND: "School dissatisfaction SEND",
    EHEReason.DISSATISFACTION_BULLYING: "School dissatisfaction bullying",
}

TOTAL = "Total"
SEX = "Sex"
YEAR_GROUP = "Year group"
REASON = "Reason"
TIME_MISSING = "Time missing"

GEOGRAPHY_COLUMNS = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
]
CENSUS_COLUMNS = [
    *GEOGRAPHY_COLUMNS,
    "breakdown_topic",
    "breakdown",
    "child_count",
    "child_percent",
    "rate_per_100",
]
ENGLAND_CODE = "E92000001"

# Previous school types of EHE starts, in the order of the published file's columns.
SCHOOL_TYPES = ("lamain", "acad", "free", "ind", "spec", "ap", "pru", "ey", "ehe", "none")
UNKNOWN_SCHOOL_TYPE = "else_unk"
TYPE_BY_GROUP = {
    "la_maintained": "lamain",
    "academy": "acad",
    "free_school": "free",
    "independent": "ind",
    "special": "spec",
}
EHE_FLOW_COLUMNS = [
    "ehe_anytime_full_year",
    "ehe_starts_full_year",
    "ehe_returns_full_year",
    "ehe_leave",
    "ehe_section_437_full_year",
    "ehe_sao_issued_full_year",
    "ehe_sao_revoked_full_year",
]
SCHOOL_TYPE_COLUMNS = [
    column
    for school_type in (*SCHOOL_TYPES, UNKNOWN_SCHOOL_TYPE)
    for column in (f"ehe_schtype_{school_type}", f"ehe_schtype_{school_type}_pc")
]
EHE_YEAR_COLUMNS = [*GEOGRAPHY_COLUMNS, *EHE_FLOW_COLUMNS, *SCHOOL_TYPE_COLUMNS]
CME_YEAR_COLUMNS = [*GEOGRAPHY_COLUMNS, "cme_anytime_full_year"]


class IssueCode:
    """What an officer should fix before the return is submitted."""

    REASON_UNKNOWN = "reason_unknown"
    NO_REASON_GIVEN = "no_reason_given"
    SEX_UNKNOWN = "sex_unknown"
    TIME_MISSING_UNKNOWN = "time_missing_unknown"
    PREVIOUS_SCHOOL_UNKNOWN = "previous_school_unknown"
    NOT_OF_COMPULSORY_SCHOOL_AGE = "not_of_compulsory_school_age"
    YEAR_GROUP_UNKNOWN = "year_group_unknown"
    CME_REASON_NOT_MAPPED = "cme_reason_not_mapped"
    ALL = (
        REASON_UNKNOWN,
        NO_REASON_GIVEN,
        SEX_UNKNOWN,
        TIME_MISSING_UNKNOWN,
        PREVIOUS_SCHOOL_UNKNOWN,
        NOT_OF_COMPULSORY_SCHOOL_AGE,
        YEAR_GROUP_UNKNOWN,
        CME_REASON_NOT_MAPPED,
    )


class IssueMessages:
    REASON_UNKNOWN = (
        "The primary reason on the census day is 'Unknown': find out the reason and record it "
        "from the date it applied."
    )
    NO_REASON_GIVEN = (
        "The primary reason on the census day is 'No reason given': record the reason if the "
        "parent has since given one, from the date it applied."
    )
    SEX_UNKNOWN = "The child's sex is not recorded, so DfE counts them as 'Unknown'."
    TIME_MISSING_UNKNOWN = (
        "The episode has no 'missing since' date on or before the census day, so the time "
        "missing is 'Unknown'."
    )
    PREVIOUS_SCHOOL_UNKNOWN = (
        "Started EHE on {start} with no known previous school type: record the previous school, "
        "or the source if the child never went to school or was home educated in another LA."
    )
    NOT_OF_COMPULSORY_SCHOOL_AGE = (
        "Not of compulsory school age on the census day (expected year group {year_group}), so "
        "not counted: close the episode if the child has left compulsory school age, or check "
        "the date of birth."
    )
    YEAR_GROUP_UNKNOWN = (
        "The expected year group on the census day is not Reception to Year 11, so DfE counts "
        "the child as 'Unknown': check the date of birth."
    )
    CME_REASON_NOT_MAPPED = (
        "The primary reason '{reason}' is not mapped to a DfE category, so the return counts it "
        "under 'Other': an administrator should map it (Administration, CME primary reasons)."
    )


@dataclass(frozen=True)
class Issue:
    child_id: str
    episode_id: str
    kind: str  # EHE or CME
    code: str  # an IssueCode
    message: str


@dataclass(frozen=True)
class Period:
    """A stretch of an academic year the flows are counted over, inclusive."""

    time_period: str
    time_identifier: str
    first: date
    last: date


@dataclass(frozen=True)
class PeriodFacts:
    period: Period
    ehe_anytime: int
    ehe_starts: list[dict]
    ehe_endings: list[asat.EpisodeEvent]
    enforcement_steps: list[asat.EpisodeEvent]
    cme_anytime: int


@dataclass(frozen=True)
class DfEReturn:
    tables: dict
    issues: list[Issue]


# --- Dates ---------------------------------------------------------------------------------------


def _time_period(start_year: int) -> str:
    return f"{start_year}{(start_year + 1) % 100:02d}"


def periods_for(census_date: date) -> list[Period]:
    """The previous full academic year and this academic year to the census day."""
    year = academic_year_start(census_date)
    return [
        Period(_time_period(year - 1), "Academic year", date(year - 1, 9, 1), date(year, 8, 31)),
        Period(_time_period(year), "Academic year to date", date(year, 9, 1), census_date),
    ]


# --- Gathering the facts -------------------------------------------------------------------------


def _period_facts(period: Period) -> PeriodFacts:
    return PeriodFacts(
        period=period,
        ehe_anytime=len(asat.children_at_any_point(EHEEpisode, period.first, period.last)),
        ehe_starts=asat.ehe_starts(period.first, period.last),
        ehe_endings=asat.ehe_endings(period.first, period.last),
        enforcement_steps=asat.enforcement_steps(period.first, period.last),
        cme_anytime=len(asat.children_at_any_point(CMEEpisode, period.first, period.last)),
    )


def year_group(child: asat.ChildOnDay) -> str:
    """The child's DfE year group: Reception to Year 11, or "unknown"."""
    return child.nc_year if child.nc_year in NC_YEARS else UNKNOWN_YEAR_GROUP


def previous_school_type(start: dict) -> str:
    """The published previous-school-type column (without ``ehe_schtype_``) of an EHE start."""
    group = start["previous_school__type_group"]
    if group is None:
        if start["source"] == EHESource.NEVER_ENROLLED:
            return "none"
        if start["source"] == EHESource.OTHER_LA:
            return "ehe"  # home educated in another LA before moving here
        return UNKNOWN_SCHOOL_TYPE
    type_name = (start["previous_school__type_name"] or "").lower()
    phase = (start["previous_school__phase"] or "").lower()
    if "nursery" in phase or "nursery" in type_name:
        return "ey"
    if group == "pru_ap":
        return "pru" if "pupil referral unit" in type_name else "ap"
    return TYPE_BY_GROUP.get(group, UNKNOWN_SCHOOL_TYPE)


# --- Sections ------------------------------------------------------------------------------------


def _geography(time_period: str, time_identifier: str) -> list[str]:
    return [
        time_period,
        time_identifier,
        "Local authority",
        ENGLAND_CODE,
        "England",
        settings.REGION_CODE,
        settings.REGION_NAME,
        settings.LOCAL_AUTHORITY_NEW_CODE,
        settings.LOCAL_AUTHORITY_CODE,
        settings.LOCAL_AUTHORITY_NAME,
    ]


def _topics(kind: str, categories: DfECategories | None):
    """(breakdown topic, its categories as (key, DfE label), the key of a child), in the order
    and with the labels of the published files (docs/rules/statistics.md §3.1, §4)."""
    years = [
        *((code, nc_year_label(code)) for code in NC_YEARS),
        (UNKNOWN_YEAR_GROUP, UNKNOWN),
    ]
    if kind == EHE:
        reasons = [
            (code, DFE_EHE_REASON_LABELS.get(code, label)) for code, label in EHEReason.choices
        ]
        reason_of = lambda child: child.reason  # noqa: E731
    else:
        categories = categories or cme_dfe_categories()
        reasons = [(category, category) for category in categories.order]
        reason_of = lambda child: categories.category_of(child.reason)  # noqa: E731
    topics = [
        (SEX, Sex.choices, lambda child: child.sex),
        (YEAR_GROUP, years, year_group),
        (REASON, reasons, reason_of),
    ]
    if kind == CME:
        topics.append(
            (TIME_MISSING, TimeMissingBand.choices, lambda child: child.time_missing_band)
        )
    return topics


def census_section(
    *,
    kind: str,
    children: list[asat.ChildOnDay],
    census_date: date,
    population: int | None,
    categories: DfECategories | None = None,
) -> dict:
    """The census-day table of ``kind``. ``children`` are those counted (``asat``); every one is
    in every breakdown, under "Unknown" where the register cannot give a category."""
    counted = children
    total = len(counted)
    geography = _geography(
        _time_period(academic_year_start(census_date)), f"{term_of(census_date).title()} term"
    )
    rows = [
        [*geography, TOTAL, TOTAL, total, exact_ratio(total, total), exact_ratio(total, population)]
    ]
    for topic, breakdowns, key_of in _topics(kind, categories):
        counts = Counter(key_of(child) for child in counted)
        for code, label in breakdowns:
            count = counts[code]
            rows.append(
                [*geography, topic, label, count, exact_ratio(count, total), NOT_APPLICABLE]
            )
    what = "in elective home education" if kind == EHE else "missing education"
    return {
        "key": f"{kind.lower()}_census",
        "title": f"{kind}: children {what} on the census day, {long_date(census_date)}",
        "note": (
            f"Children {what} on the census day, by sex, expected year group and primary reason"
            + (" and time missing" if kind == CME else "")
            + ". Only children of compulsory school age that day are counted"
            + (
                "; a child home educated after their education was found unsuitable is counted "
                "as missing education, with the reason 'Home education unsuitable'"
                if kind == CME
                else "; a child whose home education was found unsuitable is counted as missing "
                "education instead"
            )
            + ". child_percent is of the total; rate_per_100 is of the LA's "
            "population aged 5 to 16 (x when no estimate is entered). Exact counts, not rounded."
        ),
        "columns": list(CENSUS_COLUMNS),
        "rows": rows,
    }


CNIS_COLUMNS = [*GEOGRAPHY_COLUMNS, "breakdown_topic", "breakdown", "count"]
CNIS_REQUEST_LABELS = {
    CNISRequestKind.UPDATE: "Requests to update the register information",
    CNISRequestKind.HOME_VISIT: "Requests for a home visit",
    CNISRequestKind.PROVIDER_INFORMATION: "Requests to providers for information",
    "visits_refused": "Home visits refused",
    "not_complied": "Requests not complied with by their date",
}


def cnis_section(census_date: date) -> dict:
    """The children-not-in-school register on the census day, by Condition C, and the requests
    the LA sent since the academic year began (docs/rules/ehe.md §6). Only once in force."""
    year_start = date(academic_year_start(census_date), 9, 1)
    geography = _geography(
        _time_period(academic_year_start(census_date)), f"{term_of(census_date).title()} term"
    )
    registered = registered_on_day(census_date)
    requests = requests_between(max(year_start, rules().cnis_register_commenced_on), census_date)
    on_day = f"Registered on {long_date(census_date)}"
    rows = [[*geography, on_day, TOTAL, registered["total"]]]
    rows += [[*geography, on_day, label, registered[code]] for code, label in CNISCondition.choices]
    since = f"Requests sent from {long_date(year_start)}"
    rows += [
        [*geography, since, label, requests[code]] for code, label in CNIS_REQUEST_LABELS.items()
    ]
    return {
        "key": "cnis_register",
        "title": f"Children not in school register on the census day, {long_date(census_date)}",
        "note": (
            "Children on the register (ss.436B-436G of the Education Act 1996) that day, by why "
            "they are eligible (Condition C), and the requests the LA sent this academic year. "
            "Exact counts, not rounded."
        ),
        "columns": list(CNIS_COLUMNS),
        "rows": rows,
    }


def _ehe_year_row(facts: PeriodFacts) -> list:
    returns = asat.returned_to_school(facts.ehe_endings)
    steps = Counter(step.what for step in facts.enforcement_steps)
    starts = len(facts.ehe_starts)
    types = Counter(previous_school_type(start) for start in facts.ehe_starts)
    school_types = []
    for school_type in (*SCHOOL_TYPES, UNKNOWN_SCHOOL_TYPE):
        school_types += [types[school_type], exact_ratio(types[school_type], starts)]
    return [
        *_geography(facts.period.time_period, facts.period.time_identifier),
        facts.ehe_anytime,
        starts,
        len(returns),
        len(facts.ehe_endings) - len(returns),
        steps[EnforcementStepType.S437_NOTICE],
        steps[EnforcementStepType.SAO_ISSUED],
        steps[EnforcementStepType.SAO_REVOKED],
        *school_types,
    ]


def _period_label(time_identifier: str, time_period: str) -> str:
    """A row's period in words, such as "Academic year 2024/25" for time_period 202425."""
    return f"{time_identifier} {academic_year_label(int(time_period[:4]))}"


def _periods_note(periods: list[PeriodFacts]) -> str:
    spans = [
        f"{_period_label(p.period.time_identifier, p.period.time_period)}: "
        f"{long_date(p.period.first)} to {long_date(p.period.last)}"
        for p in periods
    ]
    return "; ".join(spans) + "."


def ehe_year_section(periods: list[PeriodFacts]) -> dict:
    return {
        "key": "ehe_academic_year",
        "title": "EHE over the academic year",
        "note": (
            "Children in EHE at any point (each child once), EHE starts (each episode), returns "
            "to school, other leavers, s.437(1) notices, school attendance orders issued and "
            "revoked, and the previous school type of each start, with its percentage of starts. "
            + _periods_note(periods)
        ),
        "columns": list(EHE_YEAR_COLUMNS),
        "rows": [_ehe_year_row(facts) for facts in periods],
    }


def cme_year_section(periods: list[PeriodFacts]) -> dict:
    return {
        "key": "cme_academic_year",
        "title": "CME over the academic year",
        "note": "Children missing education at any point (each child once). "
        + _periods_note(periods),
        "columns": list(CME_YEAR_COLUMNS),
        "rows": [
            [*_geography(f.period.time_period, f.period.time_identifier), f.cme_anytime]
            for f in periods
        ],
    }


# --- Checks --------------------------------------------------------------------------------------


def _check(check: str, passed: bool, detail: str) -> dict:
    return {"check": check, "passed": passed, "detail": detail}


def census_checks(section: dict, kind: str) -> list[dict]:
    """Each breakdown topic of a census section adds up to its Total."""
    column = section["columns"].index
    by_topic = Counter()
    for row in section["rows"]:
        by_topic[row[column("breakdown_topic")]] += row[column("child_count")]
    total = by_topic.pop(TOTAL, 0)
    checks = []
    for topic, added_up in by_topic.items():
        passed = added_up == total
        detail = (
            f"The {topic.lower()} rows add up to {added_up}, the total."
            if passed
            else f"The {topic.lower()} rows add up to {added_up}, but the total is {total}."
        )
        checks.append(
            _check(f"{kind} census day: {topic.lower()} adds up to the total", passed, detail)
        )
    return checks


def school_type_checks(section: dict) -> list[dict]:
    """The previous school types of EHE starts add up to the starts, in every period."""
    column = section["columns"].index
    checks = []
    for row in section["rows"]:
        starts = row[column("ehe_starts_full_year")]
        added_up = sum(
            row[column(f"ehe_schtype_{t}")] for t in (*SCHOOL_TYPES, UNKNOWN_SCHOOL_TYPE)
        )
        period = _period_label(row[column("time_identifier")], row[column("time_period")])
        passed = added_up == starts
        detail = (
            f"The previous school types add up to {added_up}, the number of starts."
            if passed
            else f"The previous school types add up to {added_up}, but there were {starts} starts."
        )
        checks.append(
            _check(f"EHE, {period}: previous school types add up to starts", passed, detail)
        )
    return checks


def anytime_checks(census: dict, year: dict, kind: str) -> list[dict]:
    """Everyone counted on the census day was there at some point in the year to date."""
    on_day = census["rows"][0][census["columns"].index("child_count")]
    anytime = year["rows"][-1][year["columns"].index(f"{kind.lower()}_anytime_full_year")]
    passed = anytime >= on_day
    detail = f"{anytime} at any point in the year to date; {on_day} on the census day."
    if not passed:
        detail += " The census day is in the year to date, so this cannot be right."
    return [
        _check(
            f"{kind}: at any point in the year to date is at least the census day", passed, detail
        )
    ]


def geography_checks() -> list[dict]:
    names = ("LOCAL_AUTHORITY_CODE", "LOCAL_AUTHORITY_NAME", "LOCAL_AUTHORITY_NEW_CODE")
    missing = [
        name for name in (*names, "REGION_CODE", "REGION_NAME") if not getattr(settings, name)
    ]
    detail = (
        "The LA and region codes and names are set."
        if not missing
        else f"Not set: {', '.join(missing)}. COLLECT needs them in every row."
    )
    return [_check("The local authority's geography is set", not missing, detail)]


def reason_mapping_checks(categories: DfECategories, missing: list[asat.ChildOnDay]) -> list[dict]:
    """Every CME primary reason counted on the census day is mapped to a DfE category."""
    labels = cme_reason_labels()
    unmapped = Counter(
        labels.get(child.reason, child.reason)
        for child in missing
        if not categories.is_mapped(child.reason)
    )
    if not unmapped:
        detail = "Every CME primary reason counted is mapped to a DfE category."
    else:
        reasons = "; ".join(f"'{reason}' ({count})" for reason, count in sorted(unmapped.items()))
        detail = (
            f"Not mapped to a DfE category, so counted under 'Other': {reasons}. An administrator "
            "maps a reason under Administration, CME primary reasons."
        )
    check = "CME census day: every primary reason is mapped to a DfE category"
    return [_check(check, not unmapped, detail)]


def return_checks(
    sections: dict[str, dict], categories: DfECategories, missing: list[asat.ChildOnDay]
) -> list[dict]:
    return [
        *census_checks(sections["ehe_census"], EHE),
        *census_checks(sections["cme_census"], CME),
        *reason_mapping_checks(categories, missing),
        *school_type_checks(sections["ehe_academic_year"]),
        *anytime_checks(sections["ehe_census"], sections["ehe_academic_year"], EHE),
        *anytime_checks(sections["cme_census"], sections["cme_academic_year"], CME),
        *geography_checks(),
    ]


# --- Issues for officers -------------------------------------------------------------------------


def _child_issue(child: asat.ChildOnDay, kind: str, code: str, message: str) -> Issue:
    return Issue(child.child_id, child.episode_id, kind, code, message)


def _not_of_school_age_issues(kind: str, children: list[asat.ChildOnDay]) -> list[Issue]:
    return [
        _child_issue(
            child,
            kind,
            IssueCode.NOT_OF_COMPULSORY_SCHOOL_AGE,
            IssueMessages.NOT_OF_COMPULSORY_SCHOOL_AGE.format(
                year_group=nc_year_label(child.nc_year)
            ),
        )
        for child in children
    ]


def _census_issues(
    kind: str, children: list[asat.ChildOnDay], categories: DfECategories | None = None
) -> list[Issue]:
    labels = cme_reason_labels() if kind == CME else {}
    issues = []
    for child in children:
        unmapped = kind == CME and not categories.is_mapped(child.reason)
        if unmapped:
            message = IssueMessages.CME_REASON_NOT_MAPPED.format(
                reason=labels.get(child.reason, child.reason)
            )
            issues.append(_child_issue(child, kind, IssueCode.CME_REASON_NOT_MAPPED, message))
        found = {
            IssueCode.YEAR_GROUP_UNKNOWN: year_group(child) == UNKNOWN_YEAR_GROUP,
            # CMEReason.UNKNOWN is the same code as EHEReason.UNKNOWN.
            IssueCode.REASON_UNKNOWN: child.reason == EHEReason.UNKNOWN,
            IssueCode.NO_REASON_GIVEN: kind == EHE and child.reason == EHEReason.NO_REASON_GIVEN,
            IssueCode.SEX_UNKNOWN: child.sex == Sex.UNKNOWN,
            IssueCode.TIME_MISSING_UNKNOWN: kind == CME
            and child.time_missing_band == TimeMissingBand.UNKNOWN,
        }
        issues += [
            _child_issue(child, kind, code, getattr(IssueMessages, code.upper()))
            for code, present in found.items()
            if present
        ]
    return issues


def _start_issues(periods: list[PeriodFacts]) -> list[Issue]:
    return [
        Issue(
            str(start["child_id"]),
            str(start["id"]),
            EHE,
            IssueCode.PREVIOUS_SCHOOL_UNKNOWN,
            IssueMessages.PREVIOUS_SCHOOL_UNKNOWN.format(start=long_date(start["start_date"])),
        )
        for facts in periods
        for start in facts.ehe_starts
        if previous_school_type(start) == UNKNOWN_SCHOOL_TYPE
    ]


def issue_counts(issues: list[Issue]) -> dict[str, int]:
    counts = Counter(issue.code for issue in issues)
    return {code: counts[code] for code in IssueCode.ALL}


# --- The return ----------------------------------------------------------------------------------


def dfe_return_build(census_date: date) -> DfEReturn:
    """The return as at ``census_date``: its tables and the issues behind them."""
    with asat.one_reading():
        return _return_build(census_date)


def _return_build(census_date: date) -> DfEReturn:
    ehe_on_day = asat.in_ehe_on(census_date)
    cme_on_day = asat.missing_education_on(census_date)
    categories = cme_dfe_categories()
    periods = [_period_facts(period) for period in periods_for(census_date)]
    estimate = population_aged_5_to_16(on=census_date)
    population = estimate.aged_5_to_16 if estimate else None
    sections = [
        census_section(
            kind=EHE, children=ehe_on_day, census_date=census_date, population=population
        ),
        census_section(
            kind=CME,
            children=cme_on_day,
            census_date=census_date,
            population=population,
            categories=categories,
        ),
        ehe_year_section(periods),
        cme_year_section(periods),
    ]
    if cnis_in_force(census_date):
        sections.append(cnis_section(census_date))
    issues = sorted(
        [
            *_census_issues(EHE, ehe_on_day),
            *_not_of_school_age_issues(EHE, asat.not_of_school_age_on(EHEEpisode, census_date)),
            *_start_issues(periods),
            *_census_issues(CME, cme_on_day, categories),
            *_not_of_school_age_issues(CME, asat.not_of_school_age_on(CMEEpisode, census_date)),
        ],
        key=lambda issue: (issue.kind != EHE, IssueCode.ALL.index(issue.code), issue.child_id),
    )
    year = academic_year_start(census_date)
    term = term_of(census_date)
    tables = {
        "title": (
            f"DfE EHE and CME return, {term} term {academic_year_label(year)}: "
            f"{settings.LOCAL_AUTHORITY_NAME or 'this local authority'} as at "
            f"{long_date(census_date)}"
        ),
        "as_at": census_date.isoformat(),
        "term": term,
        "academic_year": academic_year_label(year),
        "population_aged_5_to_16": population,
        "sections": sections,
        "checks": return_checks(
            {section["key"]: section for section in sections}, categories, cme_on_day
        ),
        "issue_counts": issue_counts(issues),
    }
    return DfEReturn(tables=tables, issues=issues)


def dfe_return_tables(census_date: date) -> dict:
    """The return's tables as at ``census_date``: exact counts, JSON-serialisable, no child ids."""
    return dfe_return_build(census_date).tables


def dfe_return_issues(census_date: date) -> list[Issue]:
    """The records officers should fix before submitting the return as at ``census_date``."""
    return dfe_return_build(census_date).issues


def section(tables: dict, key: str) -> dict:
    return next(section for section in tables["sections"] if section["key"] == key)


def census_total(tables: dict, kind: str) -> int:
    """The Total row's count of a census section (``kind`` EHE or CME)."""
    census = section(tables, f"{kind.lower()}_census")
    return census["rows"][0][census["columns"].index("child_count")]
