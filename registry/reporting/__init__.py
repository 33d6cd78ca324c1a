"""Statistics from the register: "as at" counts, the DfE termly return and the DCS quarterly pack
(domain.md §4, ADR 0008)."""
