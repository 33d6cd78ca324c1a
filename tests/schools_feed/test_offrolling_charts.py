"""Chart geometry for the off-rolling pages (offrolling.charts), tested as pure functions: where
the points and limit curves fall, the axes, and the colours and shapes the templates draw."""

import re

import pytest

from schools_feed.offrolling import charts, stats

LA_RATE = 0.03
SIZES = [40, 90, 150, 300, 600, 1200]


def _school(n, rate, band="within", label=None):
    return charts.FunnelPoint(label=label or f"School of {n}", n=n, rate=rate, band=band)


def _funnel(points=None, **kwargs):
    points = points or [_school(n, LA_RATE) for n in SIZES]
    return charts.funnel_chart(points=points, la_rate=LA_RATE, **kwargs)


def _contrast_with_white(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_every_school_is_plotted_inside_the_plot_area():
    points = [
        _school(40, 0.0),
        _school(90, 0.11, "above_998"),
        _school(1200, 0.031),
        _school(600, 0.001, "below"),
    ]

    chart = _funnel(points)

    assert len(chart.points) == len(points)
    for point in chart.points:
        assert chart.plot.contains(point.x, point.y), point


def test_the_axes_start_at_zero_and_reach_past_the_largest_school_and_highest_rate():
    chart = _funnel([_school(90, 0.11, "above_998"), _school(1200, 0.031)])

    assert chart.x_ticks[0].label == "0"
    assert chart.y_ticks[0].label == "0%"
    assert chart.x_scale.high >= 1200
    assert chart.y_scale.high >= 0.11
    assert [t.position for t in chart.y_ticks] == sorted(
        (t.position for t in chart.y_ticks), reverse=True
    )  # up the page as the rate grows


def test_the_95_limits_lie_inside_the_99_8_limits_around_the_la_rate_at_every_size():
    chart = _funnel()

    for i, _ in enumerate(chart.alert_upper.n):
        assert chart.alert_lower.rates[i] <= chart.warning_lower.rates[i] <= LA_RATE
        assert LA_RATE <= chart.warning_upper.rates[i] <= chart.alert_upper.rates[i]
    assert any(
        w < a for w, a in zip(chart.warning_upper.rates, chart.alert_upper.rates, strict=True)
    )


def test_the_limits_narrow_towards_the_la_rate_as_schools_get_larger():
    chart = _funnel()

    upper = chart.alert_upper
    assert upper.rate_at(1200) < upper.rate_at(300) < upper.rate_at(40)
    assert chart.warning_lower.rate_at(1200) > chart.warning_lower.rate_at(40)


def test_the_limit_curves_are_the_funnel_limits_of_a_school_of_each_size_at_the_la_rate():
    chart = _funnel()

    for n, rate in zip(chart.alert_upper.n, chart.alert_upper.rates, strict=True):
        expected = stats.funnel_limit(n, n * LA_RATE, 0.998).upper / n
        assert rate == pytest.approx(expected)


def test_the_limits_are_drawn_over_about_forty_sizes_from_the_smallest_school_to_the_largest():
    chart = _funnel()

    sizes = chart.warning_upper.n
    assert 30 <= len(sizes) <= 40
    assert sizes[0] <= min(SIZES)
    assert sizes[-1] >= max(SIZES)
    assert len(re.findall("[ML]", chart.warning_upper.path)) == len(sizes)


def test_a_school_above_the_99_8_limit_is_plotted_above_the_curve_and_an_ordinary_one_below():
    n = 600
    limit = stats.funnel_limit(n, n * LA_RATE, 0.998).upper / n
    chart = _funnel([_school(n, limit * 1.3, "above_998", "High"), _school(n, LA_RATE)])

    high, ordinary = chart.points
    curve_y = chart.y_scale(chart.alert_upper.rate_at(n))
    assert high.y < curve_y  # SVG y grows downwards: above the curve is a smaller y
    assert ordinary.y > chart.y_scale(chart.warning_upper.rate_at(n))
    assert ordinary.y == pytest.approx(chart.la_rate_y)


def test_overdispersion_widens_the_limits():
    plain, widened = _funnel(phi=1.0), _funnel(phi=2.0)

    assert widened.alert_upper.rate_at(1200) > plain.alert_upper.rate_at(1200)
    assert widened.warning_upper.rate_at(300) > plain.warning_upper.rate_at(300)


def test_a_phi_below_one_never_narrows_the_limits():
    assert _funnel(phi=0.5).alert_upper.rates == _funnel(phi=1.0).alert_upper.rates


def test_the_chart_counts_schools_by_band_for_its_description():
    chart = _funnel(
        [
            _school(90, 0.2, "above_998"),
            _school(300, 0.07, "above_95"),
            _school(600, 0.07, "above_95"),
            _school(20, 0.0, "insufficient"),
        ]
    )

    assert (chart.above_alert, chart.above_warning, chart.insufficient) == (1, 2, 1)
    assert chart.highest_rate_text == "20.0%"
    assert (chart.warning_percent, chart.alert_percent, chart.la_rate_text) == (
        "95%",
        "99.8%",
        "3.0%",
    )


def test_each_band_has_its_own_shape_and_a_colour_with_3_to_1_contrast_on_white():
    shapes = [shape for shape, _ in charts.MARKERS.values()]

    assert len(set(shapes)) == len(shapes)  # not colour alone
    for _, colour in charts.MARKERS.values():
        assert _contrast_with_white(colour) >= 3
    assert _contrast_with_white(charts.LIMIT_COLOUR) >= 3
    assert _contrast_with_white(charts.LINE_COLOUR) >= 3


def test_a_point_carries_its_title_for_hover_and_screen_readers():
    chart = _funnel([charts.FunnelPoint("Oakfield", 300, 0.05, "above_95", "Oakfield: 15 exits")])

    (point,) = chart.points
    assert (point.title, point.shape, point.filled) == ("Oakfield: 15 exits", "square", True)
    assert point.path.startswith("M")


def test_one_school_alone_still_gets_a_funnel_around_it():
    chart = _funnel([_school(250, 0.04)])

    (point,) = chart.points
    assert chart.plot.contains(point.x, point.y)
    assert chart.alert_upper.n[0] < 250 < chart.alert_upper.n[-1]


@pytest.mark.parametrize(
    ("value", "ceiling", "step"),
    [(0.9, 1.0, 0.2), (7.3, 8.0, 2.0), (1234, 1250, 250), (0.0312, 0.04, 0.01)],
)
def test_axis_maxima_are_a_whole_number_of_round_steps(value, ceiling, step):
    assert charts.nice_ceiling(value) == pytest.approx((ceiling, step))


def test_figures_are_formatted_the_same_way_everywhere():
    assert charts.percent_text(0.03125) == "3.1%"
    assert charts.decimal_text(6.14) == "6.1"
    assert charts.ratio_text(1.966) == "1.97"
    assert charts.percent_text(None) == charts.decimal_text(None) == "–"


# --- The trend chart ----------------------------------------------------------------------------


def test_the_trend_chart_puts_a_marker_for_each_year_with_a_value_and_leaves_a_gap_for_none():
    chart = charts.line_chart(
        x_labels=["2022/23", "2023/24", "2024/25"],
        series=[
            charts.Series("This school", [0.02, None, 0.05]),
            charts.Series("Expected", [0.03, 0.03, 0.03], dash="6 4", shape="square"),
        ],
    )

    school, expected = chart.series
    assert [m.title for m in school.markers] == [
        "This school, 2022/23: 2.0%",
        "This school, 2024/25: 5.0%",
    ]
    assert school.path.count("M") == 2  # two separate points
    assert "L" not in school.path
    assert expected.path.count("M") == 1
    assert expected.path.count("L") == 2
    for series in chart.series:
        for marker in series.markers:
            assert chart.plot.contains(marker.x, marker.y)
    assert [t.label for t in chart.x_ticks] == ["2022/23", "2023/24", "2024/25"]


def test_a_higher_rate_is_drawn_higher_on_the_trend_chart():
    chart = charts.line_chart(
        x_labels=["2023/24", "2024/25"], series=[charts.Series("This school", [0.01, 0.04])]
    )

    low, high = chart.series[0].markers
    assert high.y < low.y
    assert low.x < high.x


def test_a_trend_chart_of_one_year_puts_it_in_the_middle():
    chart = charts.line_chart(x_labels=["2025/26"], series=[charts.Series("This school", [0.02])])

    (marker,) = chart.series[0].markers
    assert marker.x == pytest.approx((chart.plot.left + chart.plot.right) / 2)
    assert not chart.is_empty
