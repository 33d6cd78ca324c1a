"""Indicators and rules from counted exits and school rolls
(docs/rules/offrolling.md §7, §8, ADR 0007).

Pure (no database access): the service reads the database into ``ExitCount`` and ``RollCount``
rows; this module turns them into figures with numpy, one array per period and indicator over
every school at once, so a county's five years are computed in about a second and a half.

Strata are NC year × SEN (none, support, EHC plan) × FSM × social care (looked after, in need or
on a CP plan), laid out as a flat index ``year × 12 + sen × 4 + fsm × 2 + social care``. A roll
gives each year group's margins only, so its pupils are spread over the strata of that year
group as if SEN, FSM and social care were independent within it (ADR 0007).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from registry.census import term_of
from registry.school_age import academic_year_start
from schools_feed.models import FunnelBand
from schools_feed.offrolling import stats
from schools_feed.offrolling.method import (
    SEN_EHCP,
    SEN_NONE,
    SEN_SUPPORT,
    ExitCount,
    ExitGroup,
    HomeEducationExit,
    Parameters,
    Period,
    Stratum,
    case_prompts,
    counts_towards,
    denominator_years,
    exit_group,
)

INDICATORS = ("N1", "N2", "N3", "N4", "N5", "N6")
SEN_LEVELS = (SEN_NONE, SEN_SUPPORT, SEN_EHCP)
CELLS_PER_YEAR = 12
TERM_INDEX = {"autumn": 0, "spring": 1, "summer": 2}
# R1 and R2 judge the overall measures; R3 the destinations; R4 the timing; R5 and R6 who leaves.
OVERALL_INDICATORS = ("N1", "N4", "N6")
DESTINATION_INDICATORS = ("N2", "N3")
R5_GROUPS = ("fsm", "sen", "social_care")


ABOVE = (FunnelBand.ABOVE_WARNING, FunnelBand.ABOVE_ALERT)


@dataclass(frozen=True)
class RollCount:
    school_id: int
    census_date: date
    nc_year: str
    on_roll: int
    fsm: int
    sen_support: int
    ehcp: int
    social_care: int


@dataclass
class Reference:
    """The LA's figures for one indicator and period (stored, so one school can be recomputed
    against them without reading every school)."""

    indicator: str
    period: Period
    observed: int
    denominator: int
    rate: float | None
    schools: int
    phi: float
    phi_applied: bool
    # {"keys": [stratum key, ...], "exits": [...], "roll": [...]}: the LA's exits and number on
    # roll in each stratum, as parallel lists (one school's recompute reads 114 of these).
    strata: dict
    extra: dict = field(default_factory=dict)


@dataclass
class SchoolResult:
    school_id: int
    indicator: str
    period: Period
    observed: int
    denominator: int
    expected: float
    rate: float | None
    la_rate: float | None
    ratio: float | None
    warning_lower: float | None
    warning_upper: float | None
    alert_upper: float | None
    exact_limits: bool
    band: str
    breakdown: dict
    rules_met: list = field(default_factory=list)


@dataclass
class AlertCandidate:
    school_id: int
    rule: str
    indicator: str
    group: str
    period: Period
    evidence: dict


@dataclass
class Computation:
    results: list[SchoolResult]
    references: list[Reference]
    alerts: list[AlertCandidate]


class Layout:
    """Where each stratum sits in the flat arrays."""

    def __init__(self, nc_years: tuple[str, ...]):
        self.nc_years = nc_years
        self.year_index = {year: index for index, year in enumerate(nc_years)}
        self.size = len(nc_years) * CELLS_PER_YEAR
        self.keys = [
            Stratum(year, sen, bool(fsm), bool(care)).key
            for year in nc_years
            for sen in SEN_LEVELS
            for fsm in (0, 1)
            for care in (0, 1)
        ]

    def index(self, stratum: Stratum) -> int:
        year = self.year_index.get(stratum.nc_year)
        if year is None:
            return -1
        sen = SEN_LEVELS.index(stratum.sen)
        return year * CELLS_PER_YEAR + sen * 4 + int(stratum.fsm) * 2 + int(stratum.social_care)

    def year_mask(self, years: tuple[str, ...]) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        for year in years:
            if year in self.year_index:
                start = self.year_index[year] * CELLS_PER_YEAR
                mask[start : start + CELLS_PER_YEAR] = True
        return mask


# --- Rolls --------------------------------------------------------------------------------------


def _censuses_for(by_date: dict[date, list[RollCount]], period: Period) -> list[date]:
    """The censuses in the period, averaged; or the latest before it ends (a term without one)."""
    inside = [day for day in by_date if period.start <= day <= period.end]
    if inside:
        return inside
    before = [day for day in by_date if day <= period.end]
    return [max(before)] if before else []


def roll_margins(rolls_by_school, school_index, period: Period, layout: Layout) -> np.ndarray:
    """Shape (schools, NC years, 5): on roll, FSM, SEN support, EHC plan, social care."""
    margins = np.zeros((len(school_index), len(layout.nc_years), 5))
    for school_id, by_date in rolls_by_school.items():
        row = school_index.get(school_id)
        chosen = _censuses_for(by_date, period)
        for day in chosen:
            for roll in by_date[day]:
                year = layout.year_index.get(roll.nc_year)
                if row is None or year is None:
                    continue
                margins[row, year] += (
                    roll.on_roll,
                    roll.fsm,
                    roll.sen_support,
                    roll.ehcp,
                    roll.social_care,
                )
        if chosen and row is not None:
            margins[row] /= len(chosen)
    return margins


def strata_on_roll(margins: np.ndarray) -> np.ndarray:
    """Shape (schools, strata): each year group's pupils spread over its strata."""
    on_roll = margins[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(on_roll[..., None] > 0, margins[..., 1:] / on_roll[..., None], 0.0)
    fsm, support, ehcp, care = (np.clip(share[..., i], 0, 1) for i in range(4))
    sen = np.stack([np.clip(1 - support - ehcp, 0, 1), support, ehcp], axis=-1)
    fsm2 = np.stack([1 - fsm, fsm], axis=-1)
    care2 = np.stack([1 - care, care], axis=-1)
    cells = (
        on_roll[..., None, None, None]
        * sen[..., :, None, None]
        * fsm2[..., None, :, None]
        * care2[..., None, None, :]
    )
    return cells.reshape(margins.shape[0], margins.shape[1] * CELLS_PER_YEAR)


# --- Exits --------------------------------------------------------------------------------------


TRAITS = ("fsm", "sen", "ehcp", "social_care", "vulnerable")


def _traits(group: ExitGroup) -> tuple[bool, ...]:
    return (
        group.fsm,
        group.sen != SEN_NONE,
        group.sen == SEN_EHCP,
        group.social_care,
        group.vulnerable,
    )


class ExitArrays:
    """The counted exits as parallel arrays, with each row's indicators and traits as bits.

    Rows that differ only by school, rolling-period marker and count mean the same thing, so
    each meaning is worked out once (``method.exit_group``, ``counts_towards``) and looked up.
    """

    def __init__(self, rows: list[ExitCount], school_index: dict, layout: Layout):
        meanings: dict[tuple, tuple[int, int, int]] = {}
        columns = [[] for _ in range(8)]
        for row in rows:
            school = school_index.get(row.school_id)
            if school is None:
                continue
            key = row[1:5] + row[6:12]
            meaning = meanings.get(key)
            if meaning is None:
                meaning = meanings[key] = self._meaning(row, layout)
            stratum, indicators, traits = meaning
            if stratum < 0:
                continue
            for column, value in zip(
                columns,
                (
                    school,
                    stratum,
                    row.count,
                    row.academic_year,
                    TERM_INDEX[row.term],
                    row.in_rolling,
                    indicators,
                    traits,
                ),
                strict=True,
            ):
                column.append(value)
        school, stratum, count, year, term, rolling, indicators, traits = (
            np.array(column, dtype=np.int64) for column in columns
        )
        self.school, self.stratum, self.year, self.term = school, stratum, year, term
        self.count = count.astype(float)
        self.rolling = rolling.astype(bool)
        self.indicators = {
            name: (indicators >> bit & 1).astype(bool) for bit, name in enumerate(INDICATORS)
        }
        self.traits = {name: (traits >> bit & 1).astype(bool) for bit, name in enumerate(TRAITS)}

    @staticmethod
    def _meaning(row: ExitCount, layout: Layout) -> tuple[int, int, int]:
        group = exit_group(row)
        indicators = sum(
            1 << bit for bit, name in enumerate(INDICATORS) if counts_towards(name, group)
        )
        traits = sum(1 << bit for bit, value in enumerate(_traits(group)) if value)
        return layout.index(group.stratum), indicators, traits

    def in_period(self, period: Period) -> np.ndarray:
        if period.period_type == "rolling":
            return self.rolling
        in_year = self.year == period.academic_year
        if period.period_type == "year":
            return in_year
        return in_year & (self.term == TERM_INDEX[term_of(period.start)])


def _bincount(index: np.ndarray, weights: np.ndarray, length: int) -> np.ndarray:
    return np.bincount(index, weights=weights, minlength=length)[:length]


# --- The computation ----------------------------------------------------------------------------


def compute(
    *,
    exits: list[ExitCount],
    rolls: list[RollCount],
    school_ids: list[int],
    periods: list[Period],
    parameters: Parameters,
    references: dict | None = None,
    cases: list[HomeEducationExit] = (),
) -> Computation:
    """Every school's indicators for every period, the LA references and the alerts to raise.

    With ``references`` (keyed by (indicator, period type, period start)) the LA figures are taken
    from an earlier full run instead of from ``exits``: that is how one school is recomputed
    alone.
    """
    layout = Layout(parameters.nc_years)
    school_index = {school_id: row for row, school_id in enumerate(school_ids)}
    exits = ExitArrays(exits, school_index, layout)
    rolls_by_school = defaultdict(lambda: defaultdict(list))
    for roll in rolls:
        rolls_by_school[roll.school_id][roll.census_date].append(roll)

    results, new_references, computed = [], [], []
    for period in periods:
        margins = roll_margins(rolls_by_school, school_index, period, layout)
        on_roll = strata_on_roll(margins)
        in_period = exits.in_period(period)
        for indicator in INDICATORS:
            stored = (references or {}).get((indicator, period.period_type, period.start))
            if references is not None:
                if stored is None:
                    continue  # the last full run did not cover this period: nothing to compare
                stored.period = period
            figures = _indicator(
                indicator,
                period,
                exits,
                in_period & exits.indicators[indicator],
                margins,
                on_roll,
                layout,
                parameters,
                stored,
            )
            computed.append(figures)
            new_references.append(figures.reference)
    _limits_add(computed, parameters)
    for figures in computed:
        results.extend(_school_results(figures, school_ids, parameters))

    alerts = _apply_rules(results, new_references, cases, periods, parameters, school_ids)
    return Computation(results=results, references=new_references, alerts=alerts)


@dataclass
class _Figures:
    indicator: str
    period: Period
    observed: np.ndarray
    denominator: np.ndarray
    expected: np.ndarray
    limits: dict
    exits_by_trait: dict
    roll_by_trait: dict
    reference: Reference


def _indicator(indicator, period, exits, selected, margins, on_roll, layout, parameters, stored):
    size, schools = layout.size, len(margins)
    years = denominator_years(indicator, parameters)
    mask = layout.year_mask(years)
    strata_roll = on_roll * mask
    flat = exits.school[selected] * size + exits.stratum[selected]
    strata_exits = _bincount(flat, exits.count[selected], schools * size).reshape(schools, size)
    observed = strata_exits.sum(axis=1)
    denominator = np.rint(strata_roll.sum(axis=1))
    la_roll_known = (
        strata_roll.sum(axis=0) if stored is None else _strata_arrays(stored.strata, layout)[1]
    )
    strata_exits = _fold_unrecorded(strata_exits, la_roll_known, len(layout.nc_years))

    if stored is None:
        reference = _reference(
            indicator, period, strata_exits, strata_roll, observed, denominator, layout, parameters
        )
    else:
        reference = stored
    la_exits, la_roll = _strata_arrays(reference.strata, layout)
    with np.errstate(divide="ignore", invalid="ignore"):
        stratum_rates = np.where(la_roll > 0, la_exits / la_roll, 0.0)
    expected = (strata_roll * stratum_rates).sum(axis=1)
    if stored is None:
        reference.phi, reference.phi_applied = _overdispersion(
            observed, denominator, expected, parameters
        )
    in_years = np.isin(
        np.arange(len(layout.nc_years)),
        [layout.year_index[y] for y in years if y in layout.year_index],
    )
    roll_sums = margins[:, in_years, :].sum(axis=1)
    roll_by_trait = {
        "on_roll": roll_sums[:, 0],
        "fsm": roll_sums[:, 1],
        "sen": roll_sums[:, 2] + roll_sums[:, 3],
        "ehcp": roll_sums[:, 3],
        "social_care": roll_sums[:, 4],
    }
    school_of = exits.school[selected]
    exits_by_trait = {
        trait: _bincount(school_of, exits.count[selected] * values[selected], schools)
        for trait, values in exits.traits.items()
    }
    return _Figures(
        indicator,
        period,
        observed,
        denominator,
        expected,
        {},
        exits_by_trait,
        roll_by_trait,
        reference,
    )


def _limits_add(computed: list["_Figures"], parameters: Parameters) -> None:
    """Every school's limits for every indicator and period, in one scipy call per level."""
    if not computed:
        return
    phi = np.concatenate(
        [
            np.full(len(f.observed), f.reference.phi if f.reference.phi_applied else 1.0)
            for f in computed
        ]
    )
    denominator = np.concatenate([f.denominator for f in computed])
    expected = np.concatenate([f.expected for f in computed])
    observed = np.concatenate([f.observed for f in computed])
    bounds = np.cumsum([len(f.observed) for f in computed])[:-1]
    for name, level in (("warning", parameters.warning_level), ("alert", parameters.alert_level)):
        limits = stats.funnel_limits(
            denominator,
            expected,
            level,
            phi=phi,
            observed=observed,
            exact_below_n=parameters.exact_below_denominator,
            exact_below_o=parameters.exact_below_observed,
        )
        parts = [np.split(values, bounds) for values in limits]
        for figures, lower, upper, exact in zip(computed, *parts, strict=True):
            figures.limits[name] = (lower.tolist(), upper.tolist(), exact.tolist())


def _fold_unrecorded(strata_exits: np.ndarray, la_roll: np.ndarray, years: int) -> np.ndarray:
    """Exits in a characteristic the LA's rolls do not record (no FSM, SEN or social-care counts
    in the file) are standardised as if the pupil did not have it: a stratum with no pupils on
    roll would otherwise count its exits in O and add nothing to E."""
    cells = strata_exits.reshape(len(strata_exits), years, 3, 2, 2).copy()
    roll = la_roll.reshape(years, 3, 2, 2)
    if not roll[:, :, :, 1].sum():  # social care
        cells[..., 0] += cells[..., 1]
        cells[..., 1] = 0
    if not roll[:, :, 1, :].sum():  # FSM
        cells[:, :, :, 0, :] += cells[:, :, :, 1, :]
        cells[:, :, :, 1, :] = 0
    if not roll[:, 1:, :, :].sum():  # SEN support and EHC plans
        cells[:, :, 0] += cells[:, :, 1:].sum(axis=2)
        cells[:, :, 1:] = 0
    return cells.reshape(strata_exits.shape)


def _strata_arrays(strata: dict, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """The LA's exits and roll per stratum in this layout's order (a stored reference may have
    been computed with other NC years)."""
    if strata.get("keys") == layout.keys:
        return np.array(strata["exits"]), np.array(strata["roll"])
    position = {key: i for i, key in enumerate(strata.get("keys", ()))}
    exits, roll = np.zeros(layout.size), np.zeros(layout.size)
    for i, key in enumerate(layout.keys):
        if key in position:
            exits[i] = strata["exits"][position[key]]
            roll[i] = strata["roll"][position[key]]
    return exits, roll


def _reference(
    indicator, period, strata_exits, strata_roll, observed, denominator, layout, parameters
) -> Reference:
    la_exits, la_roll = strata_exits.sum(axis=0), strata_roll.sum(axis=0)
    strata = {"keys": layout.keys, "exits": la_exits.tolist(), "roll": la_roll.tolist()}
    total_observed, total_denominator = int(observed.sum()), int(denominator.sum())
    return Reference(
        indicator=indicator,
        period=period,
        observed=total_observed,
        denominator=total_denominator,
        rate=total_observed / total_denominator if total_denominator else None,
        schools=int((denominator > 0).sum()),
        phi=1.0,
        phi_applied=False,
        strata=strata,
    )


def _overdispersion(observed, denominator, expected, parameters) -> tuple[float, bool]:
    """Spiegelhalter's multiplicative overdispersion over the schools with enough pupils."""
    usable = denominator >= parameters.min_denominator
    phi, k = stats.winsorised_overdispersion(
        observed[usable].astype(int).tolist(),
        denominator[usable].astype(int).tolist(),
        expected[usable].tolist(),
        winsor=parameters.winsorise,
    )
    applied = parameters.overdispersion and stats.overdispersion_applies(phi, k)
    return float(phi), bool(applied)


def _band(observed, denominator, lower, warning, alert, parameters) -> str:
    if denominator < parameters.min_denominator or observed < parameters.min_observed:
        return FunnelBand.INSUFFICIENT
    if observed > alert:
        return FunnelBand.ABOVE_ALERT
    if observed > warning:
        return FunnelBand.ABOVE_WARNING
    if observed < lower:
        return FunnelBand.BELOW
    return FunnelBand.WITHIN


def _school_results(figures: _Figures, school_ids, parameters) -> list[SchoolResult]:
    warning_lower, warning_upper, exact = figures.limits["warning"]
    _, alert_upper, _ = figures.limits["alert"]
    la_rate = figures.reference.rate
    observed_all = figures.observed.astype(int).tolist()
    denominator_all = figures.denominator.astype(int).tolist()
    expected_all = figures.expected.tolist()
    exits = {trait: v.astype(int).tolist() for trait, v in figures.exits_by_trait.items()}
    roll = {trait: np.rint(v).astype(int).tolist() for trait, v in figures.roll_by_trait.items()}
    found = []
    for row, school_id in enumerate(school_ids):
        observed, denominator = observed_all[row], denominator_all[row]
        if not observed and not denominator:
            continue  # not applicable: Years 10-11 at a primary school, or no roll yet
        expected = expected_all[row]
        has_roll = denominator > 0
        found.append(
            SchoolResult(
                school_id=school_id,
                indicator=figures.indicator,
                period=figures.period,
                observed=observed,
                denominator=denominator,
                expected=expected,
                rate=observed / denominator if has_roll else None,
                la_rate=la_rate,
                ratio=observed / expected if expected > 0 else None,
                warning_lower=warning_lower[row] if has_roll else None,
                warning_upper=warning_upper[row] if has_roll else None,
                alert_upper=alert_upper[row] if has_roll else None,
                exact_limits=exact[row],
                band=_band(
                    observed,
                    denominator,
                    warning_lower[row],
                    warning_upper[row],
                    alert_upper[row],
                    parameters,
                ),
                breakdown={
                    "exits": {trait: values[row] for trait, values in exits.items()},
                    "roll": {trait: values[row] for trait, values in roll.items()},
                },
            )
        )
    return found


# --- Rules --------------------------------------------------------------------------------------


def _apply_rules(results, references, cases, periods, parameters, school_ids):
    """Mark the rules each year's indicators meet, and the alerts for the latest years."""
    by_key = {(r.school_id, r.indicator, r.period.period_type, r.period.start): r for r in results}
    reference_by_key = {
        (ref.indicator, ref.period.start): ref
        for ref in references
        if ref.period.period_type == "year"
    }
    years = sorted({p.academic_year for p in periods if p.period_type == "year"})
    alert_years = set(years[-parameters.alert_years :])
    year_periods = {p.academic_year: p for p in periods if p.period_type == "year"}
    prompted = _prompted_cases(cases, parameters)
    alerts = []
    for year, period in sorted(year_periods.items()):
        previous = year_periods.get(year - 1)
        for school_id in school_ids:

            def result(indicator, of_period=period, school=school_id):
                return by_key.get((school, indicator, "year", of_period.start))

            found = _rules_for(
                result,
                previous,
                reference_by_key,
                period,
                prompted.get((school_id, year), []),
                parameters,
            )
            for rule, indicator, group, evidence in found:
                target = result(indicator)
                if target is None:
                    continue
                target.rules_met.append(f"{rule}:{group}" if group else rule)
                if year in alert_years:
                    alerts.append(
                        AlertCandidate(
                            school_id, rule, indicator, group, period, _evidence(target, evidence)
                        )
                    )
    return alerts


def _rules_for(result, previous, reference_by_key, period, cases, parameters):
    found = []
    for indicator in OVERALL_INDICATORS:
        current = result(indicator)
        if current is None:
            continue
        if current.band == FunnelBand.ABOVE_ALERT:
            found.append(("R1", indicator, "", {}))
        before = result(indicator, previous) if previous else None
        if current.band in ABOVE and before is not None and before.band in ABOVE:
            found.append(("R2", indicator, "", {"previous": _figures_of(before)}))
    for indicator in DESTINATION_INDICATORS:
        current = result(indicator)
        if current and current.band in ABOVE and current.observed >= parameters.r3_min_observed:
            found.append(("R3", indicator, "", {}))
    timing = _timing(result, reference_by_key, period, parameters)
    if timing:
        found.append(("R4", "N5", "", {"timing": timing}))
    for group, relative in _disproportion(result("N1"), parameters):
        found.append(("R5", "N1", group, {"relative_risk": relative}))
    exits_to_home_education = result("N2")
    if exits_to_home_education and len(cases) >= parameters.r6_min_cases:
        counts = defaultdict(int)
        for case in cases:
            for prompt in case["prompts"]:
                counts[prompt] += 1
        found.append(("R6", "N2", "", {"cases": cases, "prompt_counts": dict(counts)}))
    return found


def _timing(result, reference_by_key, period, parameters) -> dict | None:
    """R4: the share of Year 10–11 exits in the pre-census window, against the rest of the LA."""
    key_stage_4, window = result("N4"), result("N5")
    la_key_stage_4 = reference_by_key.get(("N4", period.start))
    la_window = reference_by_key.get(("N5", period.start))
    if not (key_stage_4 and window and la_key_stage_4 and la_window):
        return None
    if (
        key_stage_4.observed < parameters.r4_min_observed
        or window.observed < parameters.min_observed
    ):
        return None
    rest_window = la_window.observed - window.observed
    rest_key_stage_4 = la_key_stage_4.observed - key_stage_4.observed
    p_value = stats.two_proportion_z_test(
        window.observed, key_stage_4.observed, rest_window, rest_key_stage_4
    )
    if p_value >= parameters.r4_p_value:
        return None
    return {
        "window_exits": window.observed,
        "key_stage_4_exits": key_stage_4.observed,
        "la_window_exits": rest_window,
        "la_key_stage_4_exits": rest_key_stage_4,
        "p_value": p_value,
    }


def _disproportion(current: SchoolResult | None, parameters):
    """R5: relative risk of leaving for each group against the rest of the school's pupils."""
    if current is None or current.denominator < parameters.min_denominator:
        return []
    exits, roll = current.breakdown["exits"], current.breakdown["roll"]
    found = []
    for group in R5_GROUPS:
        in_group, on_roll = exits[group], roll[group]
        if in_group < parameters.r5_min_group_exits:
            continue
        risk = stats.relative_risk(
            in_group,
            on_roll,
            current.observed - in_group,
            roll["on_roll"] - on_roll,
            level=parameters.r5_level,
        )
        if risk and risk.ratio >= parameters.r5_min_relative_risk and risk.lower > 1:
            found.append(
                (
                    group,
                    {
                        "group_exits": in_group,
                        "group_on_roll": on_roll,
                        "ratio": risk.ratio,
                        "lower": risk.lower,
                        "upper": risk.upper,
                    },
                )
            )
    return found


def _prompted_cases(cases, parameters) -> dict:
    prompted = defaultdict(list)
    for case in cases:
        prompts = case_prompts(case, parameters)
        if prompts:
            year = academic_year_start(case.deletion_date)
            prompted[(case.school_id, year)].append(
                {"notification": case.notification_id, "prompts": prompts}
            )
    return prompted


def _figures_of(result: SchoolResult) -> dict:
    return {
        "period_label": result.period.label,
        "observed": result.observed,
        "denominator": result.denominator,
        "expected": result.expected,
        "rate": result.rate,
        "la_rate": result.la_rate,
        "ratio": result.ratio,
        "warning_lower": result.warning_lower,
        "warning_upper": result.warning_upper,
        "alert_upper": result.alert_upper,
        "exact_limits": result.exact_limits,
        "band": result.band,
    }


def _evidence(result: SchoolResult, extra: dict) -> dict:
    return {
        **_figures_of(result),
        "in_progress": result.period.end < date(result.period.academic_year + 1, 8, 31),
        "breakdown": result.breakdown,
        **extra,
    }
