"""School days: the clocks the law counts in school days (docs/rules/registration.md §5.3).

Every clock counted in school days goes through these functions; none counts weekdays itself.
A school day is a weekday inside one of the LA's terms that is neither a day every school in the
LA is closed (a bank holiday in term) nor one of the school's own INSET or closure days
(``registry.models.Term``, ``registry.models.ClosureDay``).

Where the LA has loaded no calendar at all, every weekday counts, and outside the span of the
calendar it has loaded (before its first term, after its last) every weekday that is not a
closure day counts: a clock then runs early rather than late, which errs on the side of the
child, and never runs forever past the last term loaded.

The calendar is read once for the dates a call needs (``SchoolCalendar.for_range``: three
queries), never a query per day. It is not kept between calls: administrators change it in
another process (the admin, an import) and a clock must see the change at once. Code that
counts many clocks in one go (routing a batch) can load one ``SchoolCalendar`` and reuse it.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Max, Min, Q

from registry.census import term_of
from registry.models import ClosureDay, School, Term

# An academic year's terms, by the month the term starts (ADR 0007's month rule).
AUTUMN, SPRING, SUMMER = "autumn", "spring", "summer"


def _school_id(school: School | int | None) -> int | None:
    return school.pk if isinstance(school, School) else school


@dataclass(frozen=True)
class SchoolCalendar:
    """The LA's calendar for the days ``first`` to ``last``: its terms there, the days every
    school is closed and each school's own closure days."""

    first: date
    last: date
    # The span of the whole calendar loaded (first day of the first term, last day of the last);
    # None when the LA has loaded no terms.
    span: tuple[date, date] | None
    terms: tuple[tuple[date, date], ...] = ()
    la_closures: frozenset[date] = frozenset()
    school_closures: dict[int, frozenset[date]] = field(default_factory=dict)

    @classmethod
    def for_range(cls, first: date, last: date) -> "SchoolCalendar":
        bounds = Term.objects.aggregate(first=Min("first_day"), last=Max("last_day"))
        span = (bounds["first"], bounds["last"]) if bounds["first"] else None
        if span is None:
            return cls(first, last, None)
        terms = tuple(
            Term.objects.filter(first_day__lte=last, last_day__gte=first)
            .order_by("first_day")
            .values_list("first_day", "last_day")
        )
        la_closures, by_school = set(), {}
        for school_id, day in ClosureDay.objects.filter(date__range=(first, last)).values_list(
            "school_id", "date"
        ):
            if school_id is None:
                la_closures.add(day)
            else:
                by_school.setdefault(school_id, set()).add(day)
        return cls(
            first,
            last,
            span,
            terms,
            frozenset(la_closures),
            {school_id: frozenset(days) for school_id, days in by_school.items()},
        )

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def is_school_day(self, day: date, school: School | int | None = None) -> bool:
        if not self.covers(day):
            raise ValueError(f"{day} is outside the calendar loaded ({self.first} to {self.last})")
        if day.weekday() >= 5:
            return False
        if self.span is None:
            return True
        if day in self.la_closures:
            return False
        school_id = _school_id(school)
        if school_id is not None and day in self.school_closures.get(school_id, ()):
            return False
        if day < self.span[0] or day > self.span[1]:
            return True
        return any(first <= day <= last for first, last in self.terms)

    def add_school_days(self, start: date, count: int, school: School | int | None = None):
        """As ``add_school_days``, or None when the answer lies past the dates loaded."""
        day, remaining = start, count
        while remaining > 0:
            day += timedelta(days=1)
            if not self.covers(day):
                return None
            if self.is_school_day(day, school):
                remaining -= 1
        return day


def is_school_day(day: date, school: School | int | None = None) -> bool:
    return SchoolCalendar.for_range(day, day).is_school_day(day, school)


def add_school_days(start: date, count: int, school: School | int | None = None) -> date:
    """The ``count``-th school day after ``start`` (``start`` itself is day 0)."""
    # Enough days for the count with the longest holiday (summer) in between; loaded again
    # from the last day reached in the rare case it is not.
    window = timedelta(days=count * 2 + 60)
    calendar = SchoolCalendar.for_range(start, start + window)
    reached, done = start, 0
    while True:
        found = calendar.add_school_days(reached, count - done, school)
        if found is not None:
            return found
        done += school_days_between_in(calendar, reached + timedelta(days=1), calendar.last, school)
        reached = calendar.last
        calendar = SchoolCalendar.for_range(reached, reached + window)


def school_days_between_in(
    calendar: SchoolCalendar, first: date, last: date, school: School | int | None = None
) -> int:
    count, day = 0, first
    while day <= last:
        count += calendar.is_school_day(day, school)
        day += timedelta(days=1)
    return count


def school_days_between(first: date, last: date, school: School | int | None = None) -> int:
    """How many school days from ``first`` to ``last``, both included (0 if ``last`` is earlier)."""
    if last < first:
        return 0
    return school_days_between_in(SchoolCalendar.for_range(first, last), first, last, school)


def term_containing(day: date) -> Term | None:
    """The LA's term ``day`` falls in; None in a holiday or where no calendar is loaded."""
    return Term.objects.filter(first_day__lte=day, last_day__gte=day).first()


def terms_between(first: date, last: date) -> list[Term]:
    """The LA's terms that overlap ``first`` to ``last``, in order."""
    return list(Term.objects.filter(first_day__lte=last, last_day__gte=first).order_by("first_day"))


def month_rule_term_starts(academic_year: int) -> dict[str, date]:
    """The terms' starts by the month rule (ADR 0007), for an LA with no calendar loaded."""
    return {
        AUTUMN: date(academic_year, 9, 1),
        SPRING: date(academic_year + 1, 1, 1),
        SUMMER: date(academic_year + 1, 4, 1),
    }


def academic_term_starts(academic_year: int) -> dict[str, date]:
    """When the autumn, spring and summer terms of the academic year starting in September
    ``academic_year`` begin, for statistics that count by term (docs/rules/registration.md §5.3).

    Autumn always starts on 1 September, with the academic year. Spring and summer start on the
    first day of the LA's first term starting in those months of the calendar (a half term
    counts), so the Christmas and Easter holidays count in the term before them; a season the
    LA has loaded no term for starts by the month rule (1 January, 1 April)."""
    starts = month_rule_term_starts(academic_year)
    found = (
        Term.objects.filter(
            Q(first_day__gte=date(academic_year + 1, 1, 1))
            & Q(first_day__lte=date(academic_year + 1, 8, 31))
        )
        .order_by("first_day")
        .values_list("first_day", flat=True)
    )
    seen = set()
    for first_day in found:
        season = term_of(first_day)  # the month rule (ADR 0007)
        if season not in seen:
            seen.add(season)
            starts[season] = first_day
    return starts


def academic_term_of(day: date, starts: dict[str, date]) -> str:
    """Which term of its academic year ``day`` falls in, given that year's ``starts``."""
    if day >= starts[SUMMER]:
        return SUMMER
    if day >= starts[SPRING]:
        return SPRING
    return AUTUMN


def calendar_overview(*, today: date) -> dict:
    """What the school calendar page shows: the terms from a year ago on, and how many closure
    and INSET days are still to come (LA-wide and schools' own)."""
    upcoming = ClosureDay.objects.filter(date__gte=today)
    return {
        "terms": Term.objects.filter(last_day__gte=today.replace(year=today.year - 1)),
        "la_closures": upcoming.filter(school=None).count(),
        "school_closures": upcoming.exclude(school=None).count(),
    }
