"""Reads of the CME primary reasons, which are data (``CMEReasonCode``, docs/rules/statistics.md
§4.2): the choices officers see, a code's label, and the DfE category each code is counted under in
the return.

Migration 0015 seeds the table. ``STARTING_REASONS`` is the same list, used only when the table
is empty (a test database another test has flushed), so that a read never fails or changes
meaning; the register never writes it from here.
"""

from dataclasses import dataclass

from registry.models import CMEReason, CMEReasonCode

# The DfE category an unmapped reason is counted under (docs/rules/statistics.md §4.2).
OTHER_CATEGORY = "Other"

# (code, label, DfE category, order): the reasons the register started with (migration 0015).
STARTING_REASONS = (
    (
        CMEReason.BELIEVED_MOVED_ABROAD,
        "Believed to have moved out of the country",
        "Believed to have moved out of the country",
        10,
    ),
    (
        CMEReason.APPLICATION_AWAITING_OUTCOME,
        "School application awaiting outcome",
        "School application awaiting outcome",
        20,
    ),
    (
        CMEReason.OFFERED_PLACE_NOT_STARTED,
        "Offered a school place, not yet started",
        "Offered a school place, not yet started",
        30,
    ),
    (
        "no_application",
        "Not on roll and no application made",
        "Not on roll and no application made",
        40,
    ),
    (CMEReason.EHE_UNSUITABLE, "Home education unsuitable", "Home education unsuitable", 50),
    (CMEReason.WHEREABOUTS_UNKNOWN, "Whereabouts unknown", "Whereabouts unknown", 60),
    (
        "moved_uk_unknown",
        "Moved within the UK, whereabouts unknown",
        "Moved within the UK, whereabouts unknown",
        70,
    ),
    (
        "travelling",
        "Gypsy, Roma or Traveller family travelling",
        "Gypsy, Roma or Traveller family travelling",
        80,
    ),
    (
        "excluded_no_provision",
        "Permanently excluded, no provision yet",
        "Permanently excluded, no provision yet",
        90,
    ),
    (CMEReason.OTHER, "Other", OTHER_CATEGORY, 900),
    (CMEReason.UNKNOWN, "Unknown", "Unknown", 910),
)


@dataclass(frozen=True)
class ReasonRow:
    code: str
    label: str
    dfe_category: str
    order: int
    active: bool


def cme_reason_rows() -> list[ReasonRow]:
    """Every CME primary reason, active or not, in order."""
    rows = [
        ReasonRow(*values)
        for values in CMEReasonCode.objects.order_by("order", "label").values_list(
            "code", "label", "dfe_category", "order", "active"
        )
    ]
    return rows or [ReasonRow(*values, True) for values in STARTING_REASONS]


def cme_reason_choices() -> list[tuple[str, str]]:
    """The reasons an officer may choose: the active ones, in order (a callable for forms)."""
    return [(row.code, row.label) for row in cme_reason_rows() if row.active]


def cme_reason_labels() -> dict[str, str]:
    return {row.code: row.label for row in cme_reason_rows()}


def cme_reason_label(code: str) -> str:
    """A code's label; a code that is not in the table is shown as it is stored."""
    return cme_reason_labels().get(code, code or "Unknown")


@dataclass(frozen=True)
class DfECategories:
    """How the return counts CME reasons: each code's category and the categories' order."""

    by_code: dict[str, str]  # code -> DfE category; unmapped codes are absent
    order: list[str]  # every category of an active reason, and "Other", in order

    def category_of(self, code: str) -> str:
        return self.by_code.get(code, OTHER_CATEGORY)

    def is_mapped(self, code: str) -> bool:
        return code in self.by_code


def cme_dfe_categories() -> DfECategories:
    rows = cme_reason_rows()
    by_code = {row.code: row.dfe_category.strip() for row in rows if row.dfe_category.strip()}
    order: list[str] = []
    for row in rows:
        category = by_code.get(row.code)  # an unmapped reason does not place "Other"
        if row.active and category and category not in order:
            order.append(category)
    if OTHER_CATEGORY not in order:
        order.append(OTHER_CATEGORY)
    return DfECategories(by_code=by_code, order=order)
