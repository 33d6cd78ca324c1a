"""The demo LA's school calendar, 2024/25 to 2026/27: six half terms a year, the early May bank
holiday (the one bank holiday that falls in term) and two INSET days a year for each school, so
the clocks counted in school days (docs/rules/registration.md §5.3) run as they would in an LA.
"""

import random
from datetime import date

from simple_history.utils import bulk_create_with_history

from registry.models import ClosureDay, ClosureKind, School, Term
from registry.services.history import ChangeReason

TERMS = [
    ("Autumn 1 2024", date(2024, 9, 3), date(2024, 10, 25)),
    ("Autumn 2 2024", date(2024, 11, 4), date(2024, 12, 20)),
    ("Spring 1 2025", date(2025, 1, 6), date(2025, 2, 14)),
    ("Spring 2 2025", date(2025, 2, 24), date(2025, 4, 4)),
    ("Summer 1 2025", date(2025, 4, 22), date(2025, 5, 23)),
    ("Summer 2 2025", date(2025, 6, 2), date(2025, 7, 22)),
    ("Autumn 1 2025", date(2025, 9, 3), date(2025, 10, 24)),
    ("Autumn 2 2025", date(2025, 11, 3), date(2025, 12, 19)),
    ("Spring 1 2026", date(2026, 1, 5), date(2026, 2, 13)),
    ("Spring 2 2026", date(2026, 2, 23), date(2026, 3, 27)),
    ("Summer 1 2026", date(2026, 4, 13), date(2026, 5, 22)),
    ("Summer 2 2026", date(2026, 6, 1), date(2026, 7, 22)),
    ("Autumn 1 2026", date(2026, 9, 3), date(2026, 10, 23)),
    ("Autumn 2 2026", date(2026, 11, 2), date(2026, 12, 18)),
    ("Spring 1 2027", date(2027, 1, 4), date(2027, 2, 12)),
    ("Spring 2 2027", date(2027, 2, 22), date(2027, 3, 25)),
    ("Summer 1 2027", date(2027, 4, 12), date(2027, 5, 28)),
    ("Summer 2 2027", date(2027, 6, 7), date(2027, 7, 21)),
]
BANK_HOLIDAYS_IN_TERM = [date(2025, 5, 5), date(2026, 5, 4), date(2027, 5, 3)]
INSET_DAYS_A_YEAR = 2


def demo_calendar_build(*, schools: list[School], rng: random.Random) -> str:
    """Write the calendar; returns what it wrote, for the seed's progress lines."""
    terms = [Term(name=name, first_day=first, last_day=last) for name, first, last in TERMS]
    bulk_create_with_history(terms, Term, default_change_reason=ChangeReason.SEED_DEMO)
    closures = [
        ClosureDay(date=day, kind=ClosureKind.CLOSURE, description="Early May bank holiday")
        for day in BANK_HOLIDAYS_IN_TERM
    ]
    # A school's INSET days fall on the first day of a half term or the last day of the year.
    for year in range(3):
        choices = [first for _, first, _ in TERMS[year * 6 + 1 : year * 6 + 6]]
        choices.append(TERMS[year * 6 + 5][2])
        for school in schools:
            for day in rng.sample(choices, INSET_DAYS_A_YEAR):
                closures.append(ClosureDay(school=school, date=day, description="Staff training"))
    bulk_create_with_history(closures, ClosureDay, default_change_reason=ChangeReason.SEED_DEMO)
    return f"school calendar: {len(terms)} terms, {len(closures)} closure and INSET days"
