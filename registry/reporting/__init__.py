"""Statistics from the register: "as at" counts, the DfE termly return and the DCS quarterly pack
(docs/rules/statistics.md §3, ADR 0008)."""
