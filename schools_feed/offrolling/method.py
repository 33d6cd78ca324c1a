"""What the off-rolling method counts, over which periods, and with which parameters (ADR 0007,
docs/rules/offrolling.md §3, §5). Pure: no database access, so every rule here is tested as a
function.

A change to what is counted or how it is compared changes METHOD_VERSION; every alert stores the
version and the parameters that raised it, so it can be reproduced later.
"""

from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import NamedTuple

from registry.census import january_census_day, term_of
from registry.dates import date_words
from registry.models import FlagType
from registry.school_age import academic_year_label, academic_year_start
from registry.school_days import AUTUMN, SPRING, SUMMER, month_rule_term_starts

# 2026.2: 2006 nursery leavers (8(1)(n)) excluded; a destination awaiting an officer's
# confirmation is not a transfer; a lost pupil is an unknown destination.
METHOD_VERSION = "2026.2"


@dataclass(frozen=True)
class Parameters:
    warning_level: float = 0.95
    alert_level: float = 0.998
    exact_below_denominator: int = 100
    exact_below_observed: int = 10
    overdispersion: bool = True
    winsorise: float = 0.10
    min_denominator: int = 30
    min_observed: int = 3
    r3_min_observed: int = 3
    r4_p_value: float = 0.05
    r4_min_observed: int = 3
    r5_min_relative_risk: float = 2.0
    r5_level: float = 0.95
    r5_min_group_exits: int = 3
    r6_min_cases: int = 1
    r6_after_suspension_days: int = 90
    r6_return_within_days: int = 183
    nc_years: tuple[str, ...] = ("R", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")
    academic_years: int = 5
    alert_years: int = 2
    review_due_days: int = 28

    @classmethod
    def from_settings(cls, configured: dict) -> "Parameters":
        known = {field.name for field in fields(cls)}
        values = {name: value for name, value in configured.items() if name in known}
        if "nc_years" in values:
            values["nc_years"] = tuple(values["nc_years"])
        return cls(**values)

    def as_dict(self) -> dict:
        values = asdict(self)
        values["nc_years"] = list(self.nc_years)
        return values


KEY_STAGE_4_YEARS = ("10", "11")

# --- Periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    period_type: str  # PeriodType value
    start: date
    end: date
    label: str
    academic_year: int  # the September it starts in; for the rolling period, as_of's year

    @property
    def key(self) -> tuple[str, date]:
        return self.period_type, self.start


# A term runs from its start to the day before the next term's start, holidays included: the
# starts come from the LA's school calendar where one is loaded, else the months (autumn
# September–December, spring January–March, summer April–August; ADR 0007). Either way spring
# starts in January to March and summer in April to August (docs/rules/registration.md §5.3).
TERMS = (AUTUMN, SPRING, SUMMER)


def _term_bounds(year: int, term: str, starts: dict[str, date]) -> tuple[date, date]:
    index = TERMS.index(term)
    if index + 1 < len(TERMS):
        return starts[term], starts[TERMS[index + 1]] - timedelta(days=1)
    return starts[term], date(year + 1, 8, 31)


def periods(
    as_of: date, academic_years: int, term_starts: dict[int, dict[str, date]] | None = None
) -> list[Period]:
    """The academic years (the current one so far and the ones before), their terms that have
    started, and the 12 months to ``as_of``. ``term_starts`` gives each academic year's term
    starts from the LA's calendar (``registry.school_days.academic_term_starts``); a year it
    does not give follows the months."""
    current = academic_year_start(as_of)
    found = []
    for year in range(current - academic_years + 1, current + 1):
        end = min(date(year + 1, 8, 31), as_of)
        found.append(Period("year", date(year, 9, 1), end, academic_year_label(year), year))
        starts = (term_starts or {}).get(year) or month_rule_term_starts(year)
        for term in TERMS:
            start, term_end = _term_bounds(year, term, starts)
            if start <= as_of:
                label = f"{term.capitalize()} {academic_year_label(year)}"
                found.append(Period("term", start, min(term_end, as_of), label, year))
    rolling_start = as_of - timedelta(days=364)
    label = f"12 months to {date_words(as_of, short_month=True)}"
    found.append(Period("rolling", rolling_start, as_of, label, current))
    return found


def earliest_date(found: list[Period]) -> date:
    return min(period.start for period in found)


# --- What each exit is --------------------------------------------------------------------------


class Category:
    """How a deletion counts (docs/rules/offrolling.md §3). Set in SQL by services.offrolling
    from the ground and destination; every category except TRANSFER and EXCLUDED is a non-standard
    exit (N1)."""

    # 9(1)(a) with a destination whose check neither ended unconfirmed nor awaits an officer
    TRANSFER = "transfer"
    # 9(1)(b) / 8(1)(n) nursery, (k) died, (l) over compulsory school age: never off-rolling
    EXCLUDED = "excluded"
    HOME_EDUCATION = "ehe"  # N2
    UNKNOWN_OR_CME = "cme"  # N3
    OTHER = "other"


NON_STANDARD = frozenset({Category.HOME_EDUCATION, Category.UNKNOWN_OR_CME, Category.OTHER})

# Child flags read as at the deletion date, as bits of one number (one subquery per deletion).
FLAG_BITS = {
    FlagType.SEN_SUPPORT: 1,
    FlagType.EHCP: 2,
    FlagType.FSM: 4,
    FlagType.LOOKED_AFTER: 8,
    FlagType.CHILD_IN_NEED: 8 << 1,
    FlagType.CHILD_PROTECTION_PLAN: 8 << 2,
    FlagType.AT_RISK_OF_CME: 8 << 3,
    FlagType.PERMANENTLY_EXCLUDED: 8 << 4,
}
SOCIAL_CARE_BITS = (
    FLAG_BITS[FlagType.LOOKED_AFTER]
    | FLAG_BITS[FlagType.CHILD_IN_NEED]
    | FLAG_BITS[FlagType.CHILD_PROTECTION_PLAN]
)
HISTORY_BITS = FLAG_BITS[FlagType.AT_RISK_OF_CME] | FLAG_BITS[FlagType.PERMANENTLY_EXCLUDED]

SEN_NONE, SEN_SUPPORT, SEN_EHCP = "none", "support", "ehcp"


@dataclass(frozen=True)
class Stratum:
    """NC year × SEN × FSM × looked after / in need / CP plan: the cells of the standardisation."""

    nc_year: str
    sen: str
    fsm: bool
    social_care: bool

    @property
    def key(self) -> str:
        return f"{self.nc_year}|{self.sen}|{int(self.fsm)}|{int(self.social_care)}"


@dataclass(frozen=True)
class ExitGroup:
    """Deletions with the same school, period markers and characteristics, counted in SQL."""

    school_id: int
    category: str
    academic_year: int
    term: str
    before_january_census: bool
    in_rolling: bool
    nc_year: str
    sen: str
    fsm: bool
    social_care: bool
    history: bool
    count: int

    @property
    def stratum(self) -> Stratum:
        return Stratum(self.nc_year, self.sen, self.fsm, self.social_care)

    @property
    def vulnerable(self) -> bool:
        return self.sen != SEN_NONE or self.fsm or self.social_care or self.history


class ExitCount(NamedTuple):
    """Deletions counted together by the database, as it stores them: what ``exit_group``
    interprets. A plain tuple: a county has a quarter of a million of them."""

    school_id: int
    category: str
    academic_year: int
    term: str
    before_january_census: bool
    in_rolling: bool
    nc_year: str  # as the school gave it
    cohort: int | None  # from the date of birth, when the school gave no NC year
    sen_provision: str
    fsm_eligible: bool
    flag_bits: int
    history: bool
    count: int


def exit_group(row: ExitCount) -> ExitGroup:
    """What a counted row means: its NC year and characteristics as at the deletion date."""
    sen, fsm, social_care, history = characteristics(
        sen_provision=row.sen_provision,
        fsm_eligible=row.fsm_eligible,
        flag_bits=row.flag_bits,
        history=row.history,
    )
    return ExitGroup(
        school_id=row.school_id,
        category=row.category,
        academic_year=row.academic_year,
        term=row.term,
        before_january_census=bool(row.before_january_census),
        in_rolling=bool(row.in_rolling),
        nc_year=nc_year_of(row.nc_year, row.cohort, row.academic_year),
        sen=sen,
        fsm=fsm,
        social_care=social_care,
        history=history,
        count=row.count,
    )


def nc_year_of(reported: str, cohort: int | None, academic_year: int) -> str:
    """The NC year the school gave, or the one the date of birth implies (its cohort is the
    September the child's school year started in, five years before Reception)."""
    if reported:
        return reported.upper().lstrip("0") or "0"
    if cohort is None:
        return ""
    offset = academic_year - cohort - 5
    return "R" if offset == 0 else str(offset) if 1 <= offset <= 14 else ""


def characteristics(
    *, sen_provision: str, fsm_eligible: bool | None, flag_bits: int, history: bool
):
    """SEN, FSM, social care and history as at the deletion date: what the school said on the
    return, or a child flag in force that day."""
    if sen_provision == "E" or flag_bits & FLAG_BITS[FlagType.EHCP]:
        sen = SEN_EHCP
    elif sen_provision == "K" or flag_bits & FLAG_BITS[FlagType.SEN_SUPPORT]:
        sen = SEN_SUPPORT
    else:
        sen = SEN_NONE
    fsm = bool(fsm_eligible) or bool(flag_bits & FLAG_BITS[FlagType.FSM])
    social_care = bool(flag_bits & SOCIAL_CARE_BITS)
    return sen, fsm, social_care, history or bool(flag_bits & HISTORY_BITS)


def before_january_census(deletion_date: date) -> bool:
    year = academic_year_start(deletion_date)
    return deletion_date <= january_census_day(year)


# --- The indicators -----------------------------------------------------------------------------


def counts_towards(indicator: str, group: ExitGroup) -> bool:
    """Whether a group of exits counts in an indicator's numerator (docs/rules/offrolling.md §5)."""
    if group.category not in NON_STANDARD:
        return False
    match indicator:
        case "N1":
            return True
        case "N2":
            return group.category == Category.HOME_EDUCATION
        case "N3":
            return group.category == Category.UNKNOWN_OR_CME
        case "N4":
            return group.nc_year in KEY_STAGE_4_YEARS
        case "N5":
            return (group.nc_year == "11" and group.before_january_census) or (
                group.nc_year == "10" and group.term == "summer"
            )
        case "N6":
            return group.vulnerable
    raise ValueError(indicator)


def denominator_years(indicator: str, parameters: Parameters) -> tuple[str, ...]:
    """N4 and N5 are rates of the Year 10 and 11 roll; the others of the whole roll."""
    return KEY_STAGE_4_YEARS if indicator in ("N4", "N5") else parameters.nc_years


def in_period(group: ExitGroup, period: Period) -> bool:
    if period.period_type == "rolling":
        return group.in_rolling
    if group.academic_year != period.academic_year:
        return False
    return period.period_type == "year" or term_of(period.start) == group.term


# --- Case-level prompts (R6) --------------------------------------------------------------------


class Prompt:
    SCHOOL_SUGGESTION = "school_suggestion"
    RISK_OF_EXCLUSION = "risk_of_exclusion"
    AFTER_SUSPENSION = "after_suspension"
    DURING_EXCLUSION = "during_exclusion"
    RETURNED_SOON = "returned_soon"
    EHCP_OR_SOCIAL_CARE = "ehcp_or_social_care"
    DELETED_BEFORE_NOTICE = "deleted_before_notice"


PROMPT_LABELS = {
    Prompt.SCHOOL_SUGGESTION: "the parent gave the reason 'school suggestion'",
    Prompt.RISK_OF_EXCLUSION: "the parent gave the reason 'risk of exclusion'",
    Prompt.AFTER_SUSPENSION: "home education began soon after a suspension",
    Prompt.DURING_EXCLUSION: "home education began during a permanent exclusion process",
    Prompt.RETURNED_SOON: "the child returned to school or went missing within 6 months",
    Prompt.EHCP_OR_SOCIAL_CARE: "the child had an EHC plan or was known to social care",
    Prompt.DELETED_BEFORE_NOTICE: "the deletion is dated before the parent's written notice",
}


@dataclass(frozen=True)
class HomeEducationExit:
    """One deletion to home education and what the register knows around it."""

    notification_id: str
    school_id: int
    deletion_date: date
    parent_notice_date: date | None
    sen_provision: str
    flag_bits: int
    reasons: frozenset  # EHE reasons (primary and secondary) of the episode that followed
    suspensions: tuple[date, ...] = ()
    permanent_exclusions: tuple[date, ...] = ()
    returns: tuple[date, ...] = ()  # new pupil returns, CME starts, EHE ending in school or CME


def case_prompts(case: HomeEducationExit, parameters: Parameters) -> list[str]:
    """The soft indicators of R6 met by one home-education exit, in a fixed order."""
    found = []
    if "school_suggestion" in case.reasons:
        found.append(Prompt.SCHOOL_SUGGESTION)
    if "risk_of_exclusion" in case.reasons:
        found.append(Prompt.RISK_OF_EXCLUSION)
    window = timedelta(days=parameters.r6_after_suspension_days)
    if any(case.deletion_date - window <= day <= case.deletion_date for day in case.suspensions):
        found.append(Prompt.AFTER_SUSPENSION)
    if any(
        case.deletion_date - window <= day <= case.deletion_date
        for day in case.permanent_exclusions
    ):
        found.append(Prompt.DURING_EXCLUSION)
    within = timedelta(days=parameters.r6_return_within_days)
    if any(case.deletion_date < day <= case.deletion_date + within for day in case.returns):
        found.append(Prompt.RETURNED_SOON)
    sen, _, social_care, _ = characteristics(
        sen_provision=case.sen_provision, fsm_eligible=None, flag_bits=case.flag_bits, history=False
    )
    if sen == SEN_EHCP or social_care:
        found.append(Prompt.EHCP_OR_SOCIAL_CARE)
    if case.parent_notice_date and case.deletion_date < case.parent_notice_date:
        found.append(Prompt.DELETED_BEFORE_NOTICE)
    return found
