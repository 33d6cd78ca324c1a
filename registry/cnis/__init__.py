"""The children-not-in-school register (ss.436B-436G of the Education Act 1996; ADR 0016)."""
