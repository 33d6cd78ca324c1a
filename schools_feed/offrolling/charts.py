"""Chart geometry for the off-rolling pages: the funnel plot and the small trend chart. Pure: no
Django, no database. Coordinates are SVG user units (y grows downwards); the templates draw them
and always follow a chart with a table of the same figures.

The funnel plot (Spiegelhalter 2005) puts each school at x = number on roll and y = its case-mix
adjusted rate, (O / E) × the LA rate, so schools with different intakes share one vertical scale.
The limit curves are those of a school of size n whose expected count is n × the LA rate, from
``stats.funnel_limits`` with the run's levels, exact-limit thresholds and, when the LA's schools
are overdispersed, its phi.
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from registry.chart_scales import nice_ceiling
from schools_feed.offrolling import stats

# Band values (models.FunnelBand), repeated here so this module needs no Django.
INSUFFICIENT, BELOW, WITHIN, ABOVE_WARNING, ABOVE_ALERT = (
    "insufficient",
    "below",
    "within",
    "above_95",
    "above_998",
)

# Each band has its own shape as well as its own colour, so nothing relies on colour alone
# (WCAG 1.4.1); every colour has at least 3:1 contrast with the white background (WCAG 1.4.11).
MARKERS = {
    ABOVE_ALERT: ("triangle", "#d4351c"),  # GOV.UK red, 4.9:1
    ABOVE_WARNING: ("square", "#a34f00"),  # dark orange, 5.7:1
    WITHIN: ("circle", "#1d70b8"),  # GOV.UK blue, 5.2:1
    BELOW: ("diamond", "#00703c"),  # GOV.UK green, 6.2:1
    INSUFFICIENT: ("ring", "#505a5f"),  # GOV.UK dark grey, 7.1:1, unfilled
}
LINE_COLOUR = "#0b0c0c"
LIMIT_COLOUR = "#505a5f"
MARKER_RADIUS = 4.5


def percent_text(proportion: float | None) -> str:
    """A proportion as a percentage to one decimal place: 0.0312 -> "3.1%"."""
    return "–" if proportion is None else f"{100 * proportion:.1f}%"


def decimal_text(value: float | None) -> str:
    """A figure to one decimal place: expected counts."""
    return "–" if value is None else f"{value:.1f}"


def ratio_text(value: float | None) -> str:
    """A ratio (observed / expected, a relative risk) to two decimal places."""
    return "–" if value is None else f"{value:.2f}"


@dataclass(frozen=True)
class Tick:
    position: float  # in SVG units along its axis
    label: str


@dataclass(frozen=True)
class PlotArea:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.top <= y <= self.bottom


@dataclass(frozen=True)
class Scale:
    """A linear map from data to SVG units along one axis."""

    low: float
    high: float
    start: float  # SVG position of ``low``
    end: float  # SVG position of ``high``

    def __call__(self, value: float) -> float:
        span = self.high - self.low
        fraction = (value - self.low) / span if span else 0.0
        return self.start + fraction * (self.end - self.start)


def _ticks(high: float, step: float, scale: Scale, label) -> list[Tick]:
    count = round(high / step)
    return [Tick(scale(i * step), label(i * step)) for i in range(count + 1)]


def _number_label(value: float) -> str:
    return f"{value:,.0f}"


def _percent_label(value: float) -> str:
    """An axis label in percent: as few decimals as the step needs."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def marker_path(shape: str, x: float, y: float, r: float = MARKER_RADIUS) -> str:
    """An SVG path for a point's marker, centred on (x, y)."""
    if shape == "square":
        s = r * 0.9
        return f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    if shape == "triangle":
        h = r * 1.2
        return f"M{x:.1f},{y - h:.1f}L{x + h:.1f},{y + h * 0.8:.1f}L{x - h:.1f},{y + h * 0.8:.1f}Z"
    if shape == "diamond":
        h = r * 1.2
        return f"M{x:.1f},{y - h:.1f}L{x + h:.1f},{y:.1f}L{x:.1f},{y + h:.1f}L{x - h:.1f},{y:.1f}Z"
    # circle and ring: two arcs
    return f"M{x - r:.1f},{y:.1f}a{r},{r} 0 1,0 {2 * r:.1f},0a{r},{r} 0 1,0 {-2 * r:.1f},0Z"


def _path(xs: Sequence[float], ys: Sequence[float]) -> str:
    """A polyline; a gap (None) starts a new segment."""
    parts, pen_down = [], False
    for x, y in zip(xs, ys, strict=True):
        if y is None or x is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
    return "".join(parts)


# --- The funnel plot ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelPoint:
    """One school: what the funnel is drawn from."""

    label: str  # the school's name
    n: int  # number on roll (the denominator)
    rate: float  # case-mix adjusted rate, a proportion: (O / E) × LA rate
    band: str
    title: str = ""  # the words shown on hover and read by screen readers


@dataclass(frozen=True)
class PlottedPoint:
    x: float
    y: float
    n: int
    rate: float
    label: str
    title: str
    band: str
    shape: str
    colour: str
    path: str

    @property
    def filled(self) -> bool:
        return self.shape != "ring"


@dataclass(frozen=True)
class LimitCurve:
    """One limit as rates over a range of n, and its path."""

    level: float
    side: str  # "upper" or "lower"
    n: tuple[int, ...]
    rates: tuple[float, ...]
    path: str

    def rate_at(self, n: float) -> float:
        """The limit at n, interpolated between the computed n values."""
        return float(np.interp(n, self.n, self.rates))


@dataclass(frozen=True)
class FunnelChart:
    width: int
    height: int
    plot: PlotArea
    x_scale: Scale
    y_scale: Scale
    points: list[PlottedPoint]
    la_rate: float
    la_rate_y: float
    warning_level: float
    alert_level: float
    warning_upper: LimitCurve
    warning_lower: LimitCurve
    alert_upper: LimitCurve
    alert_lower: LimitCurve
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    phi: float
    band_counts: dict = field(default_factory=dict)

    @property
    def warning_percent(self) -> str:
        return level_text(self.warning_level)

    @property
    def alert_percent(self) -> str:
        return level_text(self.alert_level)

    @property
    def la_rate_text(self) -> str:
        return percent_text(self.la_rate)

    @property
    def above_alert(self) -> int:
        return self.band_counts.get(ABOVE_ALERT, 0)

    @property
    def above_warning(self) -> int:
        return self.band_counts.get(ABOVE_WARNING, 0)

    @property
    def insufficient(self) -> int:
        return self.band_counts.get(INSUFFICIENT, 0)

    @property
    def highest_rate_text(self) -> str:
        return percent_text(max((p.rate for p in self.points), default=None))


def level_text(level: float) -> str:
    """A confidence level as words: 0.998 -> "99.8%"."""
    return f"{100 * level:g}%"


FUNNEL_SIZE = (720, 420)
FUNNEL_MARGINS = (64, 16, 20, 52)  # left, top, right, bottom


def funnel_chart(
    *,
    points: Sequence[FunnelPoint],
    la_rate: float,
    phi: float = 1.0,
    warning_level: float = 0.95,
    alert_level: float = 0.998,
    exact_below_n: int = 100,
    exact_below_o: int = 10,
    curve_points: int = 40,
    size: tuple[int, int] = FUNNEL_SIZE,
) -> FunnelChart:
    """The geometry of a funnel plot. ``phi`` widens the limits (pass 1.0 when the LA's schools
    are not overdispersed); the other parameters are those of the run that computed the bands."""
    width, height = size
    left, top, right, bottom = FUNNEL_MARGINS
    plot = PlotArea(left, top, width - right, height - bottom)
    sizes = [p.n for p in points if p.n > 0] or [1]
    n_low, n_high = min(sizes), max(sizes)

    curve_n = _curve_sizes(n_low, n_high, curve_points)
    limits = {}
    for level in (warning_level, alert_level):
        lower, upper, _ = stats.funnel_limits(
            curve_n,
            curve_n * la_rate,
            level,
            phi=max(phi, 1.0),
            exact_below_n=exact_below_n,
            exact_below_o=exact_below_o,
        )
        limits[level] = (lower / curve_n, upper / curve_n)

    x_high, x_step = nice_ceiling(n_high * 1.05)
    # The y axis shows every school and the limits over most of the range; the limits of the very
    # smallest schools may leave the top of the plot (clipped), which keeps the scale readable.
    middle = len(curve_n) // 3
    y_reach = max(
        max((p.rate for p in points), default=0.0),
        float(limits[alert_level][1][middle]),
        2 * la_rate,
        0.001,
    )
    y_high, y_step = nice_ceiling(y_reach * 1.08)
    x_scale = Scale(0, x_high, plot.left, plot.right)
    y_scale = Scale(0, y_high, plot.bottom, plot.top)

    xs = [x_scale(n) for n in curve_n]

    def curve(level, side):
        rates = limits[level][0 if side == "lower" else 1]
        return LimitCurve(
            level=level,
            side=side,
            n=tuple(int(n) for n in curve_n),
            rates=tuple(float(r) for r in rates),
            path=_path(xs, [y_scale(r) for r in rates]),
        )

    plotted = []
    for point in points:
        shape, colour = MARKERS.get(point.band, MARKERS[WITHIN])
        x, y = x_scale(point.n), y_scale(point.rate)
        plotted.append(
            PlottedPoint(
                x=x,
                y=y,
                n=point.n,
                rate=point.rate,
                label=point.label,
                title=point.title or point.label,
                band=point.band,
                shape=shape,
                colour=colour,
                path=marker_path(shape, x, y),
            )
        )
    return FunnelChart(
        width=width,
        height=height,
        plot=plot,
        x_scale=x_scale,
        y_scale=y_scale,
        points=plotted,
        la_rate=la_rate,
        la_rate_y=y_scale(la_rate),
        warning_level=warning_level,
        alert_level=alert_level,
        warning_upper=curve(warning_level, "upper"),
        warning_lower=curve(warning_level, "lower"),
        alert_upper=curve(alert_level, "upper"),
        alert_lower=curve(alert_level, "lower"),
        x_ticks=_ticks(x_high, x_step, x_scale, _number_label),
        y_ticks=_ticks(100 * y_high, 100 * y_step, Scale(0, 100 * y_high, *_y_span(plot)), _pct),
        phi=phi,
        band_counts=dict(Counter(p.band for p in points)),
    )


def _y_span(plot: PlotArea) -> tuple[float, float]:
    return plot.bottom, plot.top


def _pct(value: float) -> str:
    return _percent_label(value)


def _curve_sizes(n_low: int, n_high: int, count: int) -> np.ndarray:
    """About ``count`` whole sizes from the smallest school to the largest, spaced geometrically:
    the limits change fastest where n is small."""
    low = max(1, math.floor(n_low * 0.9))
    high = max(low + 1, math.ceil(n_high * 1.05))
    sizes = np.unique(np.round(np.geomspace(low, high, count)).astype(int))
    return sizes.astype(float)


# --- The trend chart ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # proportions, one per x label; None leaves a gap
    colour: str = LINE_COLOUR
    dash: str = ""  # an SVG stroke-dasharray; lines differ by style as well as colour
    shape: str = "circle"


@dataclass(frozen=True)
class SeriesMarker:
    x: float
    y: float
    title: str
    path: str


@dataclass(frozen=True)
class PlottedSeries:
    name: str
    colour: str
    dash: str
    shape: str
    path: str
    markers: list[SeriesMarker]


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    plot: PlotArea
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[PlottedSeries]

    @property
    def is_empty(self) -> bool:
        return not any(s.markers for s in self.series)


LINE_SIZE = (560, 260)
LINE_MARGINS = (56, 16, 24, 40)


def line_chart(
    *, x_labels: Sequence[str], series: Sequence[Series], size: tuple[int, int] = LINE_SIZE
) -> LineChart:
    """A small line chart of rates (proportions, drawn as %) over labelled periods."""
    width, height = size
    left, top, right, bottom = LINE_MARGINS
    plot = PlotArea(left, top, width - right, height - bottom)
    values = [v for s in series for v in s.values if v is not None]
    y_high, y_step = nice_ceiling(max([*values, 0.001]) * 1.1)
    y_scale = Scale(0, y_high, plot.bottom, plot.top)
    count = len(x_labels)
    inset = plot.width / (2 * count) if count else 0
    x_scale = Scale(0, max(count - 1, 1), plot.left + inset, plot.right - inset)
    xs = [x_scale(i) if count > 1 else (plot.left + plot.right) / 2 for i in range(count)]

    plotted = []
    for one in series:
        ys = [None if v is None else y_scale(v) for v in one.values]
        markers = [
            SeriesMarker(
                x=x,
                y=y,
                title=f"{one.name}, {label}: {percent_text(v)}",
                path=marker_path(one.shape, x, y, 3.5),
            )
            for x, y, v, label in zip(xs, ys, one.values, x_labels, strict=True)
            if y is not None
        ]
        plotted.append(
            PlottedSeries(one.name, one.colour, one.dash, one.shape, _path(xs, ys), markers)
        )
    return LineChart(
        width=width,
        height=height,
        plot=plot,
        x_ticks=[Tick(x, label) for x, label in zip(xs, x_labels, strict=True)],
        y_ticks=_ticks(100 * y_high, 100 * y_step, Scale(0, 100 * y_high, *_y_span(plot)), _pct),
        series=plotted,
    )
