"""Who was in EHE or CME on a date, and what happened over a period, from effective-dated facts
only (ADR 0008). Nothing here reads a record's current status or a history table:

- an episode covers the days from its start date up to, not including, its end date (the date its
  closing status took effect), so a child who returned to school on census day is not counted;
- an episode's primary reason on a day comes from its dated reason changes (``reason_on``);
- flows are dated rows: episode start dates, status changes by effective date, enforcement steps by
  the date served;
- the NC year is the expected one for the child's date of birth on the day (the DfE's "expected
  year group"), and the CME time-missing band is measured to the day;
- a child is counted only on days they are of compulsory school age (docs/rules/statistics.md
  §3.5), whether or not their episode has been closed yet;
- an EHE child whose education has been found unsuitable counts as CME, not EHE, from the stage
  the LA's policy names, once, even with a CME episode open too (docs/rules/statistics.md §3.6).

A count "as at" a past date is therefore the same today as on that date, whatever has happened to
the children since, unless an officer has since recorded a fact dated on or before it.
"""

from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from itertools import groupby

from django.db.models import Exists, OuterRef, Q

from registry.models import (
    EHE_CLOSED_STATUSES,
    Child,
    CMEEpisode,
    CMEReason,
    EHEEpisode,
    EHEStatus,
    EnforcementStep,
    EnforcementStepType,
    EpisodeReasonChange,
    EpisodeStatusChange,
    time_missing_band,
)
from registry.rulebook import rules
from registry.school_age import (
    compulsory_school_age_end,
    compulsory_school_age_start,
    expected_nc_year,
    is_compulsory_school_age,
)

CHILD_FIELDS = ("child_id", "child__sex", "child__date_of_birth")


@dataclass(frozen=True)
class ChildOnDay:
    """A child counted on a day, with the characteristics the DfE breakdowns need."""

    child_id: str
    episode_id: str
    sex: str
    nc_year: str  # "R", "1" … "11", or "" outside Reception to Year 11 (see NC_YEARS)
    reason: str
    time_missing_band: str = ""  # CME only
    days_missing: int | None = None  # CME only


@dataclass(frozen=True)
class EpisodeEvent:
    child_id: str
    episode_id: str
    on: date
    what: str


def covering(day: date) -> Q:
    """Episodes that cover ``day``: started on or before it, not ended by it."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gt=day))


def overlapping(first: date, last: date) -> Q:
    """Episodes that cover at least one day from ``first`` to ``last`` inclusive."""
    return Q(start_date__lte=last) & (Q(end_date__isnull=True) | Q(end_date__gt=first))


def not_merged(child_id: str = "child_id") -> Exists:
    """Leaves out rows of a duplicate record merged into another. A NOT EXISTS over the few
    merged records, rather than a join to every child: the join was most of the pack's time."""
    return ~Exists(Child.objects.filter(pk=OuterRef(child_id), merged_into__isnull=False))


def _counted(queryset):
    return queryset.filter(not_merged())


def reasons_on(day: date, *, episodes: dict[str, str], episode_field: str) -> dict[str, str]:
    """Each episode's primary reason on ``day``, given its current reason (episode id → reason).

    A reason change says "from this date the reason is X"; a later-recorded change supersedes an
    earlier-recorded one for the days both cover. So the reason on ``day`` is the new reason of the
    most recently recorded change effective on or before it; with none, the reason the episode was
    opened with (the old reason of its first recorded change); with no changes, the current one.
    """
    changes = EpisodeReasonChange.objects.filter(
        **{f"{episode_field}_id__in": list(episodes)}
    ).values_list(f"{episode_field}_id", "from_reason", "to_reason", "effective_date", "changed_at")
    by_episode = defaultdict(list)
    for episode_id, from_reason, to_reason, effective_date, changed_at in changes.iterator():
        by_episode[str(episode_id)].append((changed_at, effective_date, from_reason, to_reason))
    reasons = dict(episodes)
    for episode_id, rows in by_episode.items():
        rows.sort()
        in_force = [to_reason for _, effective, _, to_reason in rows if effective <= day]
        reasons[episode_id] = in_force[-1] if in_force else rows[0][2]
    return reasons


# --- Compulsory school age (docs/rules/statistics.md §3.5) ----------------------------------------


@cache
def school_age_dates_of_birth(day: date) -> tuple[date, date]:
    """The earliest and latest dates of birth of a child of compulsory school age on ``day``.

    Both the first and the last day of compulsory school age move forward with the date of birth,
    so the children of that age on a day are exactly those born in one span, which the database
    can filter on. Found by halving, from the two ends in ``registry.school_age``."""
    oldest, youngest = day.toordinal() - 20 * 366, day.toordinal()
    low, high = oldest, youngest  # the latest birth whose compulsory school age has begun
    while low < high:
        middle = (low + high + 1) // 2
        if compulsory_school_age_start(date.fromordinal(middle)) <= day:
            low = middle
        else:
            high = middle - 1
    latest = low
    low, high = oldest, youngest  # the earliest birth whose compulsory school age has not ended
    while low < high:
        middle = (low + high) // 2
        if compulsory_school_age_end(date.fromordinal(middle)) >= day:
            high = middle
        else:
            low = middle + 1
    return date.fromordinal(low), date.fromordinal(latest)


def of_school_age(day: date, date_of_birth: str = "child__date_of_birth") -> Q:
    """Rows whose child is of compulsory school age on ``day``."""
    return Q(**{f"{date_of_birth}__range": school_age_dates_of_birth(day)})


def _school_age_window(
    first: date, last: date, start: date, end: date | None, date_of_birth: date
) -> tuple[date, date] | None:
    """The days from ``first`` to ``last`` that an episode (``start``, ``end``) covers while the
    child is of compulsory school age, as (first day, last day), or None when there are none."""
    low = max(first, start, compulsory_school_age_start(date_of_birth))
    high = min(last, compulsory_school_age_end(date_of_birth))
    if end is not None:
        high = min(high, end - timedelta(days=1))
    return (low, high) if low <= high else None


# --- Unsuitable home education counts as missing education (docs/rules/statistics.md §3.6) --------

# How far an EHE episode has gone after its education was found unsuitable: its status, or an
# enforcement step served while it is at one of these statuses. The LA's policy
# (``unsuitable_ehe_counts_as_cme_from``) says from which stage the child counts as CME.
UNSUITABLE_STAGES = {
    EHEStatus.UNSUITABLE: 1,
    EHEStatus.S437_NOTICE_SERVED: 2,
    EHEStatus.SAO_STEPS: 3,
}
STEP_STAGES = {
    EnforcementStepType.S437_NOTICE: 2,
    EnforcementStepType.NOTICE_OF_INTENTION: 3,
    EnforcementStepType.SAO_ISSUED: 3,
}
POLICY_STAGES = {"unsuitable": 1, "s437_notice": 2, "sao": 3}

Run = tuple[date, date | None]  # from a day up to, not including, another (None: still running)


@dataclass(frozen=True)
class UnsuitableEHE:
    """An EHE episode whose education was found unsuitable, and the days it counts as CME."""

    episode_id: str
    child_id: str
    start_date: date
    end_date: date | None
    date_of_birth: date
    runs: tuple[Run, ...]

    def cme_since(self, day: date) -> date | None:
        """The day the child began counting as CME, if they count as CME on ``day``."""
        if day < self.start_date or (self.end_date is not None and day >= self.end_date):
            return None
        for since, until in self.runs:
            if since <= day and (until is None or day < until):
                return since
        return None

    def counts_as_cme_between(self, first: date, last: date) -> bool:
        return any(since <= last and (until is None or until > first) for since, until in self.runs)


def _a_day_outside(first: date, last: date, runs) -> bool:
    """Whether some day from ``first`` to ``last`` is in none of ``runs`` ([from, to) each)."""
    day = first
    for since, until in sorted(runs, key=lambda run: run[0]):
        if since > day:
            break
        if until is None:
            return False
        day = max(day, until)
    return day <= last


def _runs(events: list[tuple], needed: int) -> tuple[Run, ...]:
    """The runs of days an episode counts as CME, from its dated events (day, 0, changed_at,
    stage of the new status) and (day, 1, None, stage of the step), taking each day's events
    together: the status in force says whether the education is unsuitable at all, and the
    furthest stage reached since it became so says whether the policy's stage is reached."""
    runs: list[Run] = []
    since = None
    status_stage = step_stage = 0
    for day, on_the_day in groupby(sorted(events), key=lambda event: event[0]):
        for _, kind, _, stage in on_the_day:
            if kind == 0:
                status_stage = stage
                step_stage = step_stage if stage else 0
            elif status_stage:
                step_stage = max(step_stage, stage)
        counting = status_stage > 0 and max(status_stage, step_stage) >= needed
        if counting and since is None:
            since = day
        elif not counting and since is not None:
            runs.append((since, day))
            since = None
    if since is not None:
        runs.append((since, None))
    return tuple(runs)


# Within ``one_reading`` the EHE episodes found unsuitable are read once: the DCS pack counts CME
# on some 26 days and periods, and read them afresh for each.
_reading: ContextVar[dict | None] = ContextVar("asat_reading", default=None)


@contextmanager
def one_reading():
    """One report's figures, taken from one reading of the episodes found unsuitable."""
    token = _reading.set({})
    try:
        yield
    finally:
        _reading.reset(token)


def unsuitable_ehe_episodes() -> dict[str, UnsuitableEHE]:
    """Every EHE episode ever found unsuitable (or taken to s.437 / SAO stages), by episode id,
    with the days it counts as CME under the LA's policy; read once within ``one_reading``. Do
    not change the dict returned."""
    reading = _reading.get()
    if reading is None:
        return _unsuitable_ehe_episodes_read()
    if "unsuitable" not in reading:
        reading["unsuitable"] = _unsuitable_ehe_episodes_read()
    return reading["unsuitable"]


def _unsuitable_ehe_episodes_read() -> dict[str, UnsuitableEHE]:
    """Few episodes, three queries."""
    needed = POLICY_STAGES[rules().unsuitable_ehe_counts_as_cme_from]
    found = EpisodeStatusChange.objects.filter(
        ehe_episode__isnull=False, to_status__in=list(UNSUITABLE_STAGES)
    ).values("ehe_episode_id")
    episodes = list(
        _counted(EHEEpisode.objects.filter(id__in=found)).values_list(
            "id", "child_id", "start_date", "end_date", "child__date_of_birth"
        )
    )
    if not episodes:
        return {}
    ids = [row[0] for row in episodes]
    events = defaultdict(list)
    changes = EpisodeStatusChange.objects.filter(ehe_episode_id__in=ids).values_list(
        "ehe_episode_id", "effective_date", "changed_at", "to_status"
    )
    for episode_id, on, changed_at, to_status in changes:
        events[episode_id].append((on, 0, changed_at, UNSUITABLE_STAGES.get(to_status, 0)))
    steps = EnforcementStep.objects.filter(
        episode_id__in=ids, step_type__in=list(STEP_STAGES)
    ).values_list("episode_id", "served_on", "step_type")
    for episode_id, on, step_type in steps:
        events[episode_id].append((on, 1, None, STEP_STAGES[step_type]))
    return {
        str(episode_id): UnsuitableEHE(
            str(episode_id), str(child_id), start, end, born, _runs(events[episode_id], needed)
        )
        for episode_id, child_id, start, end, born in episodes
    }


def counting_as_cme_on(day: date) -> dict[str, UnsuitableEHE]:
    """The EHE episodes that count as CME on ``day``, for children of compulsory school age."""
    return {
        episode_id: episode
        for episode_id, episode in unsuitable_ehe_episodes().items()
        if episode.cme_since(day) and is_compulsory_school_age(episode.date_of_birth, day)
    }


# --- Who is counted on a day and over a period ---------------------------------------------------


def _children_on(
    day: date,
    model,
    episode_field: str,
    extra_fields: tuple[str, ...] = (),
    *,
    school_age: bool = True,
    episode_ids: list[str] | None = None,
):
    """Each child an episode of ``model`` covers on ``day``: the row, and the child's
    characteristics and primary reason on that day. Only children of compulsory school age that
    day (with ``school_age=False``, only the others)."""
    age = of_school_age(day)
    episodes = model.objects.filter(covering(day), age if school_age else ~age)
    if episode_ids is not None:
        episodes = episodes.filter(id__in=episode_ids)
    rows = (
        _counted(episodes)
        .order_by("child_id", "start_date")
        .values("id", "primary_reason", *CHILD_FIELDS, *extra_fields)
    )
    # At most one open episode of a kind per child; should two ever cover a day, count the child
    # once, with the later episode.
    by_child = {row["child_id"]: row for row in rows.iterator(chunk_size=5000)}
    episodes = {str(row["id"]): row["primary_reason"] for row in by_child.values()}
    reasons = reasons_on(day, episodes=episodes, episode_field=episode_field)
    for row in by_child.values():
        child = ChildOnDay(
            child_id=str(row["child_id"]),
            episode_id=str(row["id"]),
            sex=row["child__sex"],
            nc_year=expected_nc_year(row["child__date_of_birth"], day),
            reason=reasons[str(row["id"])],
        )
        yield row, child


def _cme_episodes_on(day: date):
    return _counted(CMEEpisode.objects.filter(covering(day), of_school_age(day)))


def children_on_count(model, day: date) -> int:
    """How many children are in EHE (``model`` EHEEpisode) or missing education (CMEEpisode) on
    ``day``, counted as the DfE return counts them: of compulsory school age, and a child counted
    as CME (unsuitable home education, or a CME episode open too) counted once, as CME
    (docs/rules/statistics.md §3.5, §3.6)."""
    episodes = _counted(model.objects.filter(covering(day), of_school_age(day)))
    converted = counting_as_cme_on(day)
    if model is EHEEpisode:
        missing = _cme_episodes_on(day).values("child_id")
        counted = episodes.exclude(id__in=list(converted)).exclude(child_id__in=missing)
        return counted.values("child_id").distinct().count()
    children = {episode.child_id for episode in converted.values()}
    already = episodes.filter(child_id__in=children).values_list("child_id", flat=True)
    extra = children - {str(child_id) for child_id in already}
    return episodes.values("child_id").distinct().count() + len(extra)


def in_ehe_on(day: date) -> list[ChildOnDay]:
    """Children in EHE on ``day``: of compulsory school age, and not counted as CME (unsuitable
    home education, or a CME episode open too)."""
    converted = counting_as_cme_on(day)
    missing = {
        str(child_id) for child_id in _cme_episodes_on(day).values_list("child_id", flat=True)
    }
    return [
        child
        for _, child in _children_on(day, EHEEpisode, "ehe_episode")
        if child.episode_id not in converted and child.child_id not in missing
    ]


def missing_education_on(day: date) -> list[ChildOnDay]:
    """Children missing education on ``day``: of compulsory school age, with an open CME episode
    or home educated unsuitably (from the policy's stage). Such a child's primary reason is "Home
    education unsuitable" and their time missing runs from the day they began counting as CME; a
    child with both is counted once, by the CME episode."""
    children = _children_on(day, CMEEpisode, "cme_episode", extra_fields=("missing_since",))
    missing = [
        replace(
            child,
            time_missing_band=time_missing_band(row["missing_since"], day),
            days_missing=_days_missing(row["missing_since"], day),
        )
        for row, child in children
    ]
    converted = counting_as_cme_on(day)
    if not converted:
        return missing
    counted = {child.child_id for child in missing}
    home_educated = _children_on(day, EHEEpisode, "ehe_episode", episode_ids=list(converted))
    for _, child in home_educated:
        if child.child_id in counted:
            continue
        since = converted[child.episode_id].cme_since(day)
        missing.append(
            replace(
                child,
                reason=CMEReason.EHE_UNSUITABLE,
                time_missing_band=time_missing_band(since, day),
                days_missing=_days_missing(since, day),
            )
        )
    return missing


def not_of_school_age_on(model, day: date) -> list[ChildOnDay]:
    """Children an episode of ``model`` covers on ``day`` who are not of compulsory school age
    that day: never counted; the validation report lists them so the episode can be closed."""
    field = "ehe_episode" if model is EHEEpisode else "cme_episode"
    return [child for _, child in _children_on(day, model, field, school_age=False)]


def _days_missing(missing_since: date | None, day: date) -> int | None:
    return (day - missing_since).days if missing_since and missing_since <= day else None


def children_at_any_point(model, first: date, last: date) -> set[str]:
    """Children in EHE (``model`` EHEEpisode) or missing education (CMEEpisode) on at least one
    day from ``first`` to ``last`` on which they were of compulsory school age; a day an EHE child
    counts as CME (unsuitable home education, or a CME episode open too) is a CME day, not an EHE
    one."""
    rows = _counted(model.objects.filter(overlapping(first, last))).values_list(
        "id", "child_id", "start_date", "end_date", "child__date_of_birth"
    )
    unsuitable = unsuitable_ehe_episodes()
    cme_days = defaultdict(list)  # child id -> the runs of days a CME episode covers
    if model is EHEEpisode:
        cme_rows = _counted(CMEEpisode.objects.filter(overlapping(first, last))).values_list(
            "child_id", "start_date", "end_date"
        )
        for child_id, start, end in cme_rows:
            cme_days[str(child_id)].append((start, end))
    children = set()
    for episode_id, child_id, start, end, born in rows.iterator(chunk_size=5000):
        window = _school_age_window(first, last, start, end, born)
        if window is None:
            continue
        found_unsuitable = unsuitable.get(str(episode_id))
        runs = [
            *(found_unsuitable.runs if found_unsuitable else ()),
            *cme_days.get(str(child_id), ()),
        ]
        if model is CMEEpisode or _a_day_outside(*window, runs):
            children.add(str(child_id))
    if model is CMEEpisode:
        for episode in unsuitable.values():
            window = _school_age_window(
                first, last, episode.start_date, episode.end_date, episode.date_of_birth
            )
            if window is not None and episode.counts_as_cme_between(*window):
                children.add(episode.child_id)
    return children


def children_starting(model, first: date, last: date) -> int:
    """How many children started an episode of ``model`` in the period while of compulsory
    school age; for CME, also the EHE children who began to count as CME in it, each child once
    (docs/rules/statistics.md §3.6)."""
    starts = _counted(model.objects.filter(start_date__gte=first, start_date__lte=last))
    rows = starts.values_list("child_id", "start_date", "child__date_of_birth")
    children = {
        str(child_id)
        for child_id, start, born in rows.iterator()
        if is_compulsory_school_age(born, start)
    }
    if model is CMEEpisode:
        children |= {
            episode.child_id
            for episode in unsuitable_ehe_episodes().values()
            for since, _ in episode.runs
            if first <= since <= last and is_compulsory_school_age(episode.date_of_birth, since)
        }
    return len(children)


def ehe_starts(first: date, last: date) -> list[dict]:
    """EHE episodes that started in the period while the child was of compulsory school age, with
    what the previous-school breakdown needs."""
    starts = (
        _counted(EHEEpisode.objects.filter(start_date__gte=first, start_date__lte=last))
        .order_by("start_date", "id")
        .values(
            "id",
            "child_id",
            "start_date",
            "source",
            "previous_school__type_group",
            "previous_school__type_name",
            "previous_school__phase",
            "child__date_of_birth",
        )
    )
    return [
        start
        for start in starts
        if is_compulsory_school_age(start["child__date_of_birth"], start["start_date"])
    ]


def ehe_endings(first: date, last: date) -> list[EpisodeEvent]:
    """EHE episodes that closed in the period, by the status that closed them."""
    rows = (
        EpisodeStatusChange.objects.filter(
            ehe_episode__isnull=False,
            to_status__in=EHE_CLOSED_STATUSES,
            effective_date__gte=first,
            effective_date__lte=last,
        )
        .filter(not_merged())
        .order_by("effective_date", "changed_at")
        .values_list("child_id", "ehe_episode_id", "effective_date", "to_status")
    )
    return [EpisodeEvent(str(c), str(e), on, what) for c, e, on, what in rows]


def enforcement_steps(first: date, last: date) -> list[EpisodeEvent]:
    rows = (
        EnforcementStep.objects.filter(served_on__gte=first, served_on__lte=last)
        .filter(not_merged("episode__child_id"))
        .order_by("served_on")
        .values_list("episode__child_id", "episode_id", "served_on", "step_type")
    )
    return [EpisodeEvent(str(c), str(e), on, what) for c, e, on, what in rows]


def returned_to_school(events: list[EpisodeEvent]) -> list[EpisodeEvent]:
    return [event for event in events if event.what == EHEStatus.RETURNED_TO_SCHOOL]
