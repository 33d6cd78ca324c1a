"""The funnel-plot statistics, checked against values computed here from first principles.

Expected values use math.comb / math.exp / math.factorial sums and statistics.NormalDist, never
scipy, so a mistake in how the module calls scipy cannot hide in the test. No database.
"""

import math
from statistics import NormalDist

import numpy as np
import pytest

from schools_feed.offrolling.stats import (
    Limit,
    RelativeRisk,
    binomial_count_limits,
    funnel_limit,
    funnel_limits,
    normal_count_limits,
    overdispersion_applies,
    poisson_count_limits,
    relative_risk,
    two_proportion_z_test,
    winsorised_overdispersion,
    z_for_level,
)


def _binomial_cdf(r: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(r + 1))


def _poisson_cdf(r: int, mean: float) -> float:
    return sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(r + 1))


def _interpolated(cdf, p: float) -> float:
    """Spiegelhalter 2005, A.1.1, written out longhand: r_p - alpha."""
    r = 0
    while cdf(r) < p:
        r += 1
    at, below = cdf(r), cdf(r - 1)
    return r - (at - p) / (at - below)


def _by_hand(cdf, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2
    return max(_interpolated(cdf, tail), 0.0), _interpolated(cdf, 1 - tail)


@pytest.mark.parametrize(
    ("level", "z"),
    [(0.95, 1.959963984540054), (0.998, 3.090232306167813), (0.90, 1.6448536269514722)],
)
def test_z_for_level_is_the_two_sided_normal_quantile(level, z):
    assert z_for_level(level) == pytest.approx(z, rel=1e-12)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1])
def test_a_level_outside_zero_and_one_is_refused(level):
    with pytest.raises(ValueError, match="level"):
        z_for_level(level)


@pytest.mark.parametrize(
    ("n", "p0", "level"),
    [
        (20, 0.1, 0.95),
        (20, 0.1, 0.998),
        (45, 0.07, 0.95),
        (45, 0.3, 0.998),
        (99, 0.02, 0.95),
        (99, 0.15, 0.998),
        (250, 0.04, 0.998),
    ],
)
def test_exact_binomial_limits_match_a_direct_sum_of_the_binomial_distribution(n, p0, level):
    expected = _by_hand(lambda r: _binomial_cdf(r, n, p0), level)

    assert binomial_count_limits(n, p0, level) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_exact_binomial_upper_limit_is_interpolated_not_a_whole_count():
    _, upper = binomial_count_limits(45, 0.07, 0.95)

    assert upper != round(upper)
    assert (
        _binomial_cdf(math.ceil(upper) - 1, 45, 0.07)
        < 0.975
        <= _binomial_cdf(math.ceil(upper), 45, 0.07)
    )


def test_exact_binomial_lower_limit_is_clamped_at_zero_when_the_interpolation_goes_below():
    tail = 0.025
    unclamped = _interpolated(lambda r: _binomial_cdf(r, 20, 0.02), tail)

    assert unclamped < 0
    assert binomial_count_limits(20, 0.02, 0.95)[0] == 0.0


@pytest.mark.parametrize(
    ("n", "p0", "limits"),
    [(0, 0.3, (0.0, 0.0)), (40, 0.0, (0.0, 0.0)), (40, 1.0, (40.0, 40.0))],
)
def test_exact_binomial_limits_of_a_certain_count_are_that_count(n, p0, limits):
    assert binomial_count_limits(n, p0, 0.998) == limits


@pytest.mark.parametrize(("mean", "level"), [(0.4, 0.95), (3.2, 0.95), (3.2, 0.998), (12.5, 0.998)])
def test_exact_poisson_limits_match_a_direct_sum_of_the_poisson_distribution(mean, level):
    expected = _by_hand(lambda r: _poisson_cdf(r, mean), level)

    assert poisson_count_limits(mean, level) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_poisson_limits_of_an_expected_count_of_zero_are_zero():
    assert poisson_count_limits(0.0, 0.95) == (0.0, 0.0)


def test_normal_limits_match_the_textbook_proportion_formula_times_n():
    n, p0 = 1200, 0.02
    half = 1.96 * math.sqrt(p0 * (1 - p0) / n)

    lower, upper = normal_count_limits(n, p0, 0.95)

    assert lower == pytest.approx((p0 - half) * n, abs=1e-3)
    assert upper == pytest.approx((p0 + half) * n, abs=1e-3)


def test_normal_limits_take_phi_as_a_variance_multiplier():
    n, p0, phi = 1200, 0.02, 2.25
    half = NormalDist().inv_cdf(0.999) * math.sqrt(phi * n * p0 * (1 - p0))

    assert normal_count_limits(n, p0, 0.998, phi) == pytest.approx((n * p0 - half, n * p0 + half))


def test_normal_lower_limit_is_clamped_at_zero():
    lower, upper = normal_count_limits(30, 0.02, 0.998)

    assert lower == 0.0
    assert upper > 0.6


@pytest.mark.parametrize(
    ("n", "expected", "observed"),
    [(99, 12.0, 15), (50, 5.0, None), (20, 2.0, 0)],
)
def test_funnel_limit_is_exact_below_a_denominator_of_one_hundred(n, expected, observed):
    exact = binomial_count_limits(n, expected / n, 0.95)
    assert exact != pytest.approx(normal_count_limits(n, expected / n, 0.95))

    assert funnel_limit(n, expected, 0.95, observed=observed) == Limit(*exact, exact=True)


@pytest.mark.parametrize("observed", [0, 4, 9])
def test_funnel_limit_is_exact_when_fewer_than_ten_events_were_observed(observed):
    n, expected = 400, 8.0
    exact = binomial_count_limits(n, expected / n, 0.998)

    assert funnel_limit(n, expected, 0.998, observed=observed) == Limit(*exact, exact=True)


@pytest.mark.parametrize(("n", "observed"), [(100, 10), (400, 25), (1200, None)])
def test_funnel_limit_is_normal_for_large_units_with_enough_events(n, observed):
    expected = 0.05 * n
    normal = normal_count_limits(n, 0.05, 0.95)
    assert normal != pytest.approx(binomial_count_limits(n, 0.05, 0.95))

    assert funnel_limit(n, expected, 0.95, observed=observed) == Limit(*normal, exact=False)


def test_funnel_limit_honours_the_thresholds_it_is_given():
    n, expected = 150, 9.0

    assert funnel_limit(n, expected, 0.95, observed=12).exact is False
    assert funnel_limit(n, expected, 0.95, observed=12, exact_below_n=200).exact is True
    assert funnel_limit(n, expected, 0.95, observed=12, exact_below_o=13).exact is True


def test_overdispersion_widens_exact_limits_about_the_expected_count_by_root_phi():
    n, expected, phi = 60, 15.0, 2.25
    lower, upper = binomial_count_limits(n, expected / n, 0.95)
    assert expected - 1.5 * (expected - lower) > 0  # so the clamp at zero plays no part here

    widened = funnel_limit(n, expected, 0.95, phi=phi)

    assert widened.lower == pytest.approx(expected - 1.5 * (expected - lower))
    assert widened.upper == pytest.approx(expected + 1.5 * (upper - expected))
    assert widened.exact is True


def test_overdispersion_widens_normal_limits_through_the_variance():
    n, expected, phi = 1200, 24.0, 2.25
    half = NormalDist().inv_cdf(0.975) * math.sqrt(phi * expected * (1 - expected / n))

    widened = funnel_limit(n, expected, 0.95, phi=phi, observed=30)

    assert (widened.lower, widened.upper) == pytest.approx((expected - half, expected + half))
    assert widened.exact is False


def test_a_phi_of_one_or_less_leaves_exact_limits_alone():
    plain = funnel_limit(50, 5.0, 0.95)

    assert funnel_limit(50, 5.0, 0.95, phi=0.8) == plain
    assert funnel_limit(50, 5.0, 0.95, phi=1.0) == plain


def test_widened_exact_lower_limit_is_clamped_at_zero():
    lower, _ = binomial_count_limits(50, 2.0 / 50, 0.95)
    assert 2.0 - 3 * (2.0 - lower) < 0

    assert funnel_limit(50, 2.0, 0.95, phi=9.0).lower == 0.0


def test_winsorising_pulls_the_extreme_unit_in_before_phi_is_estimated():
    # Every unit expects 10 of 100, so the binomial sd is sqrt(10 * 0.9) = 3 and each O is 10 + 3z.
    z = [-1, 0, 1, 0, -2, 2, 0, 1, -1, 10]
    observed = [10 + 3 * score for score in z]
    # Sorted z: -2 -1 -1 0 0 0 1 1 2 10. Linear percentiles over 9 gaps:
    # 10th at position 0.9 -> -2 + 0.9 * 1 = -1.1;  90th at position 8.1 -> 2 + 0.1 * 8 = 2.8.
    # So -2 becomes -1.1 and 10 becomes 2.8; the rest are unchanged.
    winsorised = [-1, 0, 1, 0, -1.1, 2, 0, 1, -1, 2.8]
    by_hand = sum(score**2 for score in winsorised) / 10  # 17.05 / 10
    assert by_hand == pytest.approx(1.705)

    phi, k = winsorised_overdispersion(observed, [100] * 10, [10.0] * 10)

    assert k == 10
    assert phi == pytest.approx(by_hand)
    assert phi < sum(score**2 for score in z) / 10  # 11.2 without winsorising


def test_winsorised_overdispersion_is_the_plain_mean_square_when_winsor_is_zero():
    z = [-1, 0, 1, 0, -2, 2, 0, 1, -1, 10]
    observed = [10 + 3 * score for score in z]

    phi, _ = winsorised_overdispersion(observed, [100] * 10, [10.0] * 10, winsor=0.0)

    assert phi == pytest.approx(11.2)


def test_winsorised_overdispersion_skips_units_without_a_binomial_variance():
    observed = [5, 13, 0, 0, 30]
    denominators = [50, 100, 0, 40, 30]
    expected = [5.0, 10.0, 0.0, 0.0, 30.0]

    _, k = winsorised_overdispersion(observed, denominators, expected)

    assert k == 2


def test_winsorised_overdispersion_is_one_with_fewer_than_two_units():
    assert winsorised_overdispersion([20], [100], [10.0]) == (1.0, 1)
    assert winsorised_overdispersion([], [], []) == (1.0, 0)


@pytest.mark.parametrize(
    ("phi", "k", "applies"),
    [(2.01, 8, True), (1.99, 8, False), (1.2, 800, True), (1.1, 800, False), (50.0, 0, False)],
)
def test_overdispersion_applies_only_above_one_plus_two_root_two_over_k(phi, k, applies):
    # k = 8: threshold 1 + 2 * sqrt(0.25) = 2.0; k = 800: 1 + 2 * 0.05 = 1.1.
    assert overdispersion_applies(phi, k) is applies


def test_two_proportion_z_test_matches_a_pooled_hand_computation():
    o1, n1, o2, n2 = 12, 50, 30, 200
    pooled = (o1 + o2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (o1 / n1 - o2 / n2) / se

    assert two_proportion_z_test(o1, n1, o2, n2) == pytest.approx(1 - NormalDist().cdf(z))
    assert two_proportion_z_test(o1, n1, o2, n2) == pytest.approx(0.0639, abs=1e-3)


def test_two_proportion_z_test_is_one_sided():
    towards = two_proportion_z_test(12, 50, 30, 200)
    away = two_proportion_z_test(30, 200, 12, 50)

    assert towards + away == pytest.approx(1.0)
    assert away > 0.9


@pytest.mark.parametrize(
    ("o1", "n1", "o2", "n2"),
    [(3, 0, 5, 40), (3, 40, 0, 0), (0, 40, 0, 60), (40, 40, 60, 60)],
)
def test_two_proportion_z_test_gives_no_evidence_without_variance(o1, n1, o2, n2):
    assert two_proportion_z_test(o1, n1, o2, n2) == 1.0


def test_relative_risk_and_its_log_interval_match_a_hand_computation():
    a, n1, b, n2 = 12, 40, 6, 160
    se = math.sqrt(1 / 12 - 1 / 40 + 1 / 6 - 1 / 160)
    margin = NormalDist().inv_cdf(0.975) * se

    risk = relative_risk(a, n1, b, n2)

    assert risk.ratio == pytest.approx(8.0)
    assert risk.lower == pytest.approx(8.0 * math.exp(-margin))
    assert risk.upper == pytest.approx(8.0 * math.exp(margin))
    assert (risk.lower, risk.upper) == pytest.approx((3.20, 20.0), abs=0.01)


def test_relative_risk_interval_widens_with_the_level():
    narrow = relative_risk(12, 40, 6, 160, level=0.95)
    wide = relative_risk(12, 40, 6, 160, level=0.998)

    assert wide.lower < narrow.lower
    assert wide.upper > narrow.upper
    assert wide.ratio == narrow.ratio


@pytest.mark.parametrize(("a", "b"), [(0, 5), (4, 0)])
def test_relative_risk_adds_a_half_to_each_count_when_a_cell_is_zero(a, b):
    n1, n2 = 20, 100
    ca, cb, cn1, cn2 = a + 0.5, b + 0.5, n1 + 1, n2 + 1
    ratio = (ca / cn1) / (cb / cn2)
    margin = NormalDist().inv_cdf(0.975) * math.sqrt(1 / ca - 1 / cn1 + 1 / cb - 1 / cn2)

    risk = relative_risk(a, n1, b, n2)

    assert isinstance(risk, RelativeRisk)
    assert (risk.ratio, risk.lower, risk.upper) == pytest.approx(
        (ratio, ratio / math.exp(margin), ratio * math.exp(margin))
    )


def test_relative_risk_is_not_corrected_when_no_cell_is_zero():
    assert relative_risk(4, 20, 5, 100).ratio == pytest.approx((4 / 20) / (5 / 100))


@pytest.mark.parametrize(("n1", "n2"), [(0, 100), (20, 0)])
def test_relative_risk_is_none_when_a_group_is_empty(n1, n2):
    assert relative_risk(0, n1, 0, n2) is None


@pytest.mark.parametrize("phi", [1.0, 1.8])
def test_funnel_limits_for_many_schools_agree_with_the_one_school_function(phi):
    n = [0, 20, 45, 99, 250, 1200, 1200]
    expected = [0.0, 1.5, 3.2, 9.0, 4.0, 24.0, 0.0]
    observed = [0, 2, 12, 3, 8, 30, 0]

    for level in (0.95, 0.998):
        lower, upper, exact = funnel_limits(
            np.array(n), np.array(expected), level, phi=phi, observed=np.array(observed)
        )
        for i in range(len(n)):
            one = funnel_limit(n[i], expected[i], level, phi=phi, observed=observed[i])
            assert (lower[i], upper[i], bool(exact[i])) == (
                pytest.approx(one.lower, abs=1e-9),
                pytest.approx(one.upper, abs=1e-9),
                one.exact,
            )
