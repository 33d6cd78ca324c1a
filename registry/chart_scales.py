"""Axis arithmetic shared by every chart the register draws (the off-rolling monitor's and the
quarterly pack's)."""

import math


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten giving about ``target_ticks`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power  # pragma: no cover - the loop always returns


def nice_ceiling(value: float, target_ticks: int = 5) -> tuple[float, float]:
    """The axis maximum (a whole number of nice steps at or above ``value``) and the step."""
    step = nice_step(value, target_ticks)
    return step * max(math.ceil(value / step - 1e-9), 1), step
