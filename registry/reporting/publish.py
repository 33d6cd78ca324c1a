"""DfE rounding and suppression for figures that leave the service (docs/rules/statistics.md §5).

LA and regional counts are rounded to the nearest 10 (national to the nearest 100). A count that
rounds to 0 but is not 0 is shown as "low"; a percentage or rate worked out from such a count would
give it away, so it is shown as "x" (unavailable). Percentages and rates are worked out from the
unrounded counts, then given to one decimal place.
"""

from decimal import ROUND_HALF_UP, Decimal

LOW = "low"
SUPPRESSED = "x"
NOT_APPLICABLE = "z"
LA_ROUNDING = 10
NATIONAL_ROUNDING = 100


def published_count(count: int | None, *, base: int = LA_ROUNDING) -> str:
    if count is None:
        return SUPPRESSED
    if count == 0:
        return "0"
    rounded = int((Decimal(count) / base).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * base
    return str(rounded) if rounded else LOW


def is_suppressed(count: int | None, *, base: int = LA_ROUNDING) -> bool:
    return published_count(count, base=base) in (LOW, SUPPRESSED)


def one_decimal(value: float | Decimal) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def published_ratio(
    count: int | None, of: int | None, *, per: int = 100, base: int = LA_ROUNDING
) -> str:
    """``count`` per ``per`` of ``of`` (a percentage, or a rate per 100 of a population)."""
    if not of:
        return NOT_APPLICABLE if of == 0 else SUPPRESSED
    if is_suppressed(count, base=base):
        return SUPPRESSED
    return one_decimal(Decimal(count) * per / Decimal(of))


def exact_ratio(count: int, of: int | None, *, per: int = 100) -> str:
    """The same ratio unsuppressed, for the return the LA sends to DfE and its own staff."""
    if not of:
        return NOT_APPLICABLE if of == 0 else SUPPRESSED
    return one_decimal(Decimal(count) * per / Decimal(of))


# Cells a figure column may hold besides numbers: the DfE symbols, "n/a" and blanks.
FIGURE_SYMBOLS = frozenset({LOW, SUPPRESSED, NOT_APPLICABLE, "n/a", "c", "u", "-", "–", ""})


def is_figure(cell) -> bool:
    """Whether a table cell is a figure (drawn right-aligned): a number, written with commas,
    a sign or a per cent sign or not, or one of the symbols that stand in for one."""
    if isinstance(cell, bool):
        return False
    if cell is None or isinstance(cell, int | float):
        return True
    text = str(cell).strip().replace(",", "").rstrip("%")
    if text.lower() in FIGURE_SYMBOLS:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def figure_columns(columns: list, rows: list[list]) -> list[bool]:
    """Which columns of a table hold figures; the first always names the row."""
    width = max([len(columns), *(len(row) for row in rows)], default=0)
    return [
        index > 0 and all(is_figure(row[index]) for row in rows if index < len(row))
        for index in range(width)
    ]
