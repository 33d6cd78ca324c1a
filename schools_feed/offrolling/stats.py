"""Statistics for funnel plots and the off-rolling comparisons. Pure: no Django, no database.

Control limits follow Spiegelhalter DJ (2005), "Funnel plots for comparing institutional
performance", Statistics in Medicine 24:1185-1202: exact binomial (or Poisson) limits with the
interpolation of appendix A.1.1, a normal approximation for large units, and a multiplicative
overdispersion factor estimated from winsorised z-scores. Manktelow BN & Seaton SE (2012),
"Specifying the probability characteristics of funnel plot control limits: an investigation of
three approaches", PLoS ONE 7(9):e45723, compare interpolation methods for exact limits and show
that the choice matters most when few events are expected: hence exact limits for small units.

All limits are returned as COUNTS of events, so they compare directly with an observed count.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy.stats import binom, norm, poisson

_STANDARD_NORMAL = NormalDist()


@dataclass(frozen=True)
class Limit:
    """One pair of funnel limits, as counts; `exact` records which method produced them."""

    lower: float
    upper: float
    exact: bool


@dataclass(frozen=True)
class RelativeRisk:
    ratio: float
    lower: float
    upper: float


def z_for_level(level: float) -> float:
    """The two-sided normal quantile, so a 'level' means the same in every method here."""
    _check_level(level)
    return _STANDARD_NORMAL.inv_cdf(1 - (1 - level) / 2)


def binomial_count_limits(n: int, p0: float, level: float) -> tuple[float, float]:
    """Exact binomial limits on a count, interpolated so they move smoothly with n.

    A discrete quantile jumps in whole steps; Spiegelhalter's interpolation (2005, A.1.1) gives a
    continuous limit whose exceedance probability is as close to the nominal one as the data allow.
    """
    _check_level(level)
    if not 0 <= p0 <= 1:
        raise ValueError(f"p0 must lie in [0, 1], not {p0}")
    if n == 0 or p0 in (0, 1):
        # The count is certain (0 or n): there is nothing to interpolate and no tail to divide by.
        return float(n * p0), float(n * p0)
    return _interpolated_limits(binom(n, p0), level)


def poisson_count_limits(expected: float, level: float) -> tuple[float, float]:
    """Exact Poisson limits on a count, for rare events where the denominator does not matter."""
    _check_level(level)
    if expected < 0:
        raise ValueError(f"expected must not be negative, not {expected}")
    if expected == 0:
        return 0.0, 0.0
    return _interpolated_limits(poisson(expected), level)


def normal_count_limits(n: int, p0: float, level: float, phi: float = 1.0) -> tuple[float, float]:
    """Normal-approximation limits on a count; adequate once n and the expected count are large."""
    _check_level(level)
    _check_phi(phi)
    centre = n * p0
    half_width = z_for_level(level) * math.sqrt(phi * n * p0 * (1 - p0))
    return max(centre - half_width, 0.0), centre + half_width


def funnel_limit(
    n: int,
    expected: float,
    level: float,
    *,
    phi: float = 1.0,
    observed: int | None = None,
    exact_below_n: int = 100,
    exact_below_o: int = 10,
) -> Limit:
    """Limits for one unit: exact where the normal approximation is poor (small n or few events).

    Overdispersion widens the exact limits about the expected count by sqrt(phi), which matches
    what phi does to the normal limits' standard deviation.
    """
    _check_phi(phi)
    p0 = expected / n if n else 0.0
    small = n < exact_below_n or (observed is not None and observed < exact_below_o)
    if not small:
        return Limit(*normal_count_limits(n, p0, level, phi), exact=False)
    lower, upper = binomial_count_limits(n, p0, level)
    if phi > 1:
        lower, upper = _widen(lower, expected, phi), _widen(upper, expected, phi)
    return Limit(max(lower, 0.0), upper, exact=True)


def funnel_limits(
    n: np.ndarray,
    expected: np.ndarray,
    level: float,
    *,
    phi: float | np.ndarray = 1.0,
    observed: np.ndarray | None = None,
    exact_below_n: int = 100,
    exact_below_o: int = 10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``funnel_limit`` for many units at once: (lower, upper, exact) arrays. ``phi`` may differ
    by unit (units of several indicators computed together).

    The recompute needs limits for every school, indicator and period; one scipy call for all
    of them instead of one per school keeps a county's recompute within seconds.
    """
    _check_level(level)
    phi = np.broadcast_to(np.asarray(phi, dtype=float), np.shape(n))
    if np.any(phi <= 0):
        raise ValueError("phi must be positive")
    n = np.asarray(n, dtype=float)
    expected = np.asarray(expected, dtype=float)
    has_units = n > 0
    p0 = np.clip(np.divide(expected, n, out=np.zeros_like(expected), where=has_units), 0, 1)
    exact = n < exact_below_n
    if observed is not None:
        exact |= np.asarray(observed) < exact_below_o

    half_width = z_for_level(level) * np.sqrt(phi * n * p0 * (1 - p0))
    normal_lower, normal_upper = np.maximum(expected - half_width, 0.0), expected + half_width

    tail = (1 - level) / 2
    certain = ~has_units | (p0 == 0) | (p0 == 1)
    exact_lower = np.where(certain, n * p0, _interpolated_binomial(n, p0, tail))
    exact_upper = np.where(certain, n * p0, _interpolated_binomial(n, p0, 1 - tail))
    widening = np.sqrt(np.maximum(phi, 1.0))
    exact_lower = expected + widening * (exact_lower - expected)
    exact_upper = expected + widening * (exact_upper - expected)
    lower = np.where(exact, np.maximum(exact_lower, 0.0), normal_lower)
    upper = np.where(exact, exact_upper, normal_upper)
    return lower, upper, exact


def _interpolated_binomial(n: np.ndarray, p0: np.ndarray, p: float) -> np.ndarray:
    """The vector form of ``_interpolated_quantile`` for binomial distributions."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.maximum(np.nan_to_num(binom.ppf(p, n, p0)), 0)
        r = np.where((r > 0) & (binom.cdf(r - 1, n, p0) >= p), r - 1, r)
        r = np.where(binom.cdf(r, n, p0) < p, r + 1, r)
        at, below = binom.cdf(r, n, p0), binom.cdf(r - 1, n, p0)
        alpha = np.where(at > below, (at - p) / (at - below), 0.0)
    return r - alpha


def winsorised_overdispersion(
    observed: Sequence[int],
    denominators: Sequence[int],
    expected: Sequence[float],
    winsor: float = 0.10,
) -> tuple[float, int]:
    """Spiegelhalter's overdispersion factor phi and the number of units k it rests on.

    The z-scores are winsorised first so that the very units a funnel plot should flag do not
    inflate phi and hide themselves.
    """
    if not 0 <= winsor < 0.5:
        raise ValueError(f"winsor must lie in [0, 0.5), not {winsor}")
    scores = _z_scores(observed, denominators, expected)
    k = len(scores)
    if k < 2:
        return 1.0, k
    low, high = np.percentile(scores, [100 * winsor, 100 * (1 - winsor)])
    clipped = np.clip(scores, low, high)
    return float(np.mean(clipped**2)), k


def overdispersion_applies(phi: float, k: int) -> bool:
    """Whether phi is larger than chance allows: k*phi is roughly chi-squared on k df."""
    if k == 0:
        return False
    return phi > 1 + 2 * math.sqrt(2 / k)


def two_proportion_z_test(o1: int, n1: int, o2: int, n2: int) -> float:
    """One-sided p-value that proportion 1 exceeds proportion 2 (pooled standard error).

    Returns 1.0 when there is no evidence to weigh: an empty group, or a pooled proportion of 0 or
    1 (no variance).
    """
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (o1 + o2) / (n1 + n2)
    if pooled in (0, 1):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(norm.sf((o1 / n1 - o2 / n2) / se))


def relative_risk(a: int, n1: int, b: int, n2: int, level: float = 0.95) -> RelativeRisk | None:
    """Risk a/n1 against b/n2 with a log-method (Katz) confidence interval.

    A zero count makes the log ratio infinite, so the Haldane-Anscombe correction (0.5 to each
    count, 1 to each total) is applied when either count is zero. None when a group is empty.
    """
    if n1 == 0 or n2 == 0:
        return None
    if not (0 <= a <= n1 and 0 <= b <= n2):
        raise ValueError(f"counts must lie within their totals: {a}/{n1}, {b}/{n2}")
    if a == 0 or b == 0:
        a, b, n1, n2 = a + 0.5, b + 0.5, n1 + 1, n2 + 1
    ratio = (a / n1) / (b / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    margin = z_for_level(level) * se
    return RelativeRisk(ratio, ratio * math.exp(-margin), ratio * math.exp(margin))


def _interpolated_limits(distribution, level: float) -> tuple[float, float]:
    """Lower and upper interpolated quantiles of a frozen discrete distribution."""
    tail = (1 - level) / 2
    lower = _interpolated_quantile(distribution, tail)
    upper = _interpolated_quantile(distribution, 1 - tail)
    return max(lower, 0.0), upper


def _interpolated_quantile(distribution, p: float) -> float:
    """r_p - alpha, with r_p the smallest r such that P(X <= r) >= p (Spiegelhalter 2005, A.1.1).

    P(X <= r_p - 1) < p <= P(X <= r_p), so the denominator is P(X = r_p) > 0.
    """
    r = _smallest_r_reaching(distribution, p)
    at, below = distribution.cdf(r), distribution.cdf(r - 1)
    alpha = (at - p) / (at - below)
    return float(r - alpha)


def _smallest_r_reaching(distribution, p: float) -> int:
    """scipy's ppf, checked against the cdf so a rounding slip cannot move r_p by one."""
    r = max(int(distribution.ppf(p)), 0)
    while r > 0 and distribution.cdf(r - 1) >= p:
        r -= 1
    while distribution.cdf(r) < p:
        r += 1
    return r


def _widen(limit: float, expected: float, phi: float) -> float:
    return expected + math.sqrt(phi) * (limit - expected)


def _z_scores(
    observed: Sequence[int], denominators: Sequence[int], expected: Sequence[float]
) -> np.ndarray:
    """Binomial z-scores of the units where the expected count has a variance."""
    scores = [
        (o - e) / math.sqrt(e * (1 - e / n))
        for o, n, e in zip(observed, denominators, expected, strict=True)
        if n > 0 and 0 < e < n
    ]
    return np.asarray(scores, dtype=float)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, not {level}")


def _check_phi(phi: float) -> None:
    if phi <= 0:
        raise ValueError(f"phi must be positive, not {phi}")
