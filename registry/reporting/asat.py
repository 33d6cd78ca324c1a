"""Who was in EHE or CME on a date, and what happened over a period, from effective-dated facts
only (ADR 0008). Nothing here reads a record's current status or a history table:

- an episode covers the days from its start date up to, not including, its end date (the date its
  closing status took effect), so a child who returned to school on census day is not counted;
- an episode's primary reason on a day comes from its dated reason changes (``reason_on``);
- flows are dated rows: episode start dates, status changes by effective date, enforcement steps by
  the date served;
- the NC year is the expected one for the child's date of birth on the day (the DfE's "expected
  year group"), and the CME time-missing band is measured to the day.

A count "as at" a past date is therefore the same today as on that date, whatever has happened to
the children since, unless an officer has since recorded a fact dated on or before it.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from django.db.models import Exists, OuterRef, Q

from registry.models import (
    EHE_CLOSED_STATUSES,
    Child,
    CMEEpisode,
    EHEEpisode,
    EHEStatus,
    EnforcementStep,
    EpisodeReasonChange,
    EpisodeStatusChange,
    time_missing_band,
)
from registry.school_age import expected_nc_year

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


def _children_on(day: date, model, episode_field: str, extra_fields: tuple[str, ...] = ()):
    """Each child an episode of ``model`` covers on ``day``: the row, and the child's
    characteristics and primary reason on that day."""
    rows = (
        _counted(model.objects.filter(covering(day)))
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


def children_on_count(model, day: date) -> int:
    """How many children episodes of ``model`` cover on ``day``, counted in the database."""
    return _counted(model.objects.filter(covering(day))).values("child_id").distinct().count()


def in_ehe_on(day: date) -> list[ChildOnDay]:
    return [child for _, child in _children_on(day, EHEEpisode, "ehe_episode")]


def missing_education_on(day: date) -> list[ChildOnDay]:
    children = _children_on(day, CMEEpisode, "cme_episode", extra_fields=("missing_since",))
    return [
        replace(
            child,
            time_missing_band=time_missing_band(row["missing_since"], day),
            days_missing=_days_missing(row["missing_since"], day),
        )
        for row, child in children
    ]


def _days_missing(missing_since: date | None, day: date) -> int | None:
    return (day - missing_since).days if missing_since and missing_since <= day else None


def children_at_any_point(model, first: date, last: date) -> set[str]:
    ids = _counted(model.objects.filter(overlapping(first, last))).values_list(
        "child_id", flat=True
    )
    return {str(child_id) for child_id in ids.order_by().distinct().iterator()}


def children_starting(model, first: date, last: date) -> int:
    """How many children started an episode of ``model`` in the period, counted in the database."""
    starts = _counted(model.objects.filter(start_date__gte=first, start_date__lte=last))
    return starts.values("child_id").distinct().count()


def ehe_starts(first: date, last: date) -> list[dict]:
    """EHE episodes that started in the period, with what the previous-school breakdown needs."""
    return list(
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
        )
    )


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
