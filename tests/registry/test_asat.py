"""The "as at" engine: who was in EHE or CME on a day, and with which primary reason, from dated
facts only (ADR 0008)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from registry.models import (
    Child,
    CMEEpisode,
    EHEEpisode,
    EHEReason,
    EHEStatus,
    EpisodeReasonChange,
    TimeMissingBand,
)
from registry.reporting import asat
from registry.services import episodes
from registry.services.episodes import EpisodeErrors
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

CENSUS_DAY = date(2025, 10, 2)


def _open_ehe(officer, *, start=date(2025, 9, 10), reason=EHEReason.MENTAL_HEALTH, **child):
    return episodes.ehe_episode_open(
        child=ChildFactory(**child),
        by=officer,
        start_date=start,
        source="parent",
        primary_reason=reason,
    )


def test_a_child_is_counted_from_the_start_date_up_to_but_not_on_the_day_home_education_ended(
    ehe_officer,
):
    episode = _open_ehe(ehe_officer, start=date(2025, 9, 10))
    episodes.ehe_episode_status_change(
        episode=episode,
        by=ehe_officer,
        status=EHEStatus.RETURNED_TO_SCHOOL,
        effective_date=CENSUS_DAY,
        reason="Started at Oakfield",
    )

    assert [c.episode_id for c in asat.in_ehe_on(CENSUS_DAY - timedelta(days=1))] == [
        str(episode.pk)
    ]
    assert asat.in_ehe_on(CENSUS_DAY) == []
    assert asat.in_ehe_on(date(2025, 9, 9)) == []


def test_the_nc_year_is_the_expected_one_on_the_day_not_today(ehe_officer):
    _open_ehe(ehe_officer, date_of_birth=date(2010, 5, 1))

    (child,) = asat.in_ehe_on(CENSUS_DAY)

    assert child.nc_year == "11"  # in Year 12 today, 2026/27


def test_a_reason_changed_after_the_census_day_leaves_the_census_day_reason_as_it_was(
    ehe_officer,
):
    episode = _open_ehe(ehe_officer, reason=EHEReason.UNKNOWN)
    episodes.ehe_episode_update(
        episode=episode,
        by=ehe_officer,
        primary_reason=EHEReason.MENTAL_HEALTH,
        reason_effective_date=date(2025, 11, 3),
        why="Parent told us at the first visit",
    )

    assert [c.reason for c in asat.in_ehe_on(CENSUS_DAY)] == [EHEReason.UNKNOWN]
    assert [c.reason for c in asat.in_ehe_on(date(2025, 11, 3))] == [EHEReason.MENTAL_HEALTH]


def test_a_reason_dated_from_the_start_applies_to_earlier_census_days_and_overrides_older_changes(
    ehe_officer,
):
    episode = _open_ehe(ehe_officer, reason=EHEReason.UNKNOWN)
    episodes.ehe_episode_update(
        episode=episode,
        by=ehe_officer,
        primary_reason=EHEReason.LIFESTYLE,
        reason_effective_date=date(2025, 11, 3),
    )
    # Learnt later: the reason was physical health all along.
    episodes.ehe_episode_update(
        episode=episode,
        by=ehe_officer,
        primary_reason=EHEReason.PHYSICAL_HEALTH,
        reason_effective_date=episode.start_date,
    )

    assert [c.reason for c in asat.in_ehe_on(CENSUS_DAY)] == [EHEReason.PHYSICAL_HEALTH]
    assert [c.reason for c in asat.in_ehe_on(date(2025, 12, 1))] == [EHEReason.PHYSICAL_HEALTH]
    assert EpisodeReasonChange.objects.filter(ehe_episode=episode).count() == 2


def test_a_reason_cannot_be_dated_before_the_episode_or_in_the_future(ehe_officer):
    episode = _open_ehe(ehe_officer)

    for when, message in (
        (episode.start_date - timedelta(days=1), EpisodeErrors.DATE_BEFORE_START),
        (timezone.localdate() + timedelta(days=1), EpisodeErrors.DATE_IN_FUTURE),
    ):
        with pytest.raises(ValidationError) as refused:
            episodes.ehe_episode_update(
                episode=episode,
                by=ehe_officer,
                primary_reason=EHEReason.RELIGIOUS,
                reason_effective_date=when,
            )
        assert refused.value.message_dict == {"reason_effective_date": [message]}
    episode.refresh_from_db()
    assert episode.primary_reason == EHEReason.MENTAL_HEALTH
    assert not EpisodeReasonChange.objects.exists()


def test_editing_other_fields_records_no_reason_change(ehe_officer):
    episode = _open_ehe(ehe_officer)

    episodes.ehe_episode_update(episode=episode, by=ehe_officer, educator="parents")

    assert not EpisodeReasonChange.objects.exists()


def test_a_cme_reason_change_is_dated_and_the_time_band_is_measured_to_the_day(cme_officer):
    episode = episodes.cme_episode_open(
        child=ChildFactory(),
        by=cme_officer,
        start_date=date(2025, 9, 1),
        source="school_referral",
        primary_reason="whereabouts_unknown",
        missing_since=date(2025, 7, 10),
    )
    episodes.cme_episode_reason_change(
        episode=episode, by=cme_officer, primary_reason="believed_abroad", why="Neighbour"
    )

    (on_census_day,) = asat.missing_education_on(CENSUS_DAY)
    (later,) = asat.missing_education_on(date(2025, 10, 3))

    assert on_census_day.reason == "whereabouts_unknown"
    assert on_census_day.days_missing == 84
    assert on_census_day.time_missing_band == TimeMissingBand.UP_TO_12_WEEKS
    assert later.time_missing_band == TimeMissingBand.OVER_12_WEEKS
    assert CMEEpisode.objects.get().primary_reason == "believed_abroad"


def test_any_point_counts_children_once_and_leaves_out_episodes_outside_the_period(ehe_officer):
    first = _open_ehe(ehe_officer, start=date(2025, 9, 10))
    episodes.ehe_episode_status_change(
        episode=first,
        by=ehe_officer,
        status=EHEStatus.RETURNED_TO_SCHOOL,
        effective_date=date(2025, 10, 20),
        reason="School place",
    )
    episodes.ehe_episode_open(
        child=first.child, by=ehe_officer, start_date=date(2026, 1, 5), source="parent"
    )
    ended_before = _open_ehe(ehe_officer, start=date(2025, 3, 1))
    episodes.ehe_episode_status_change(
        episode=ended_before,
        by=ehe_officer,
        status=EHEStatus.MOVED_AWAY,
        effective_date=date(2025, 9, 1),
        reason="Moved to Kent",
    )

    anytime = asat.children_at_any_point(EHEEpisode, date(2025, 9, 1), date(2026, 8, 31))
    endings = asat.ehe_endings(date(2025, 9, 1), date(2026, 8, 31))

    assert anytime == {str(first.child_id)}
    assert [event.what for event in endings] == [EHEStatus.MOVED_AWAY, EHEStatus.RETURNED_TO_SCHOOL]
    assert [event.on for event in asat.returned_to_school(endings)] == [date(2025, 10, 20)]


def test_a_record_merged_into_another_is_counted_nowhere(ehe_officer):
    kept = _open_ehe(ehe_officer)
    duplicate = _open_ehe(ehe_officer)
    episodes.ehe_episode_status_change(
        episode=duplicate,
        by=ehe_officer,
        status=EHEStatus.S437_NOTICE_SERVED,
        effective_date=date(2025, 9, 20),
        reason="No evidence of education",
    )
    episodes.ehe_episode_status_change(
        episode=duplicate,
        by=ehe_officer,
        status=EHEStatus.MOVED_AWAY,
        effective_date=CENSUS_DAY + timedelta(days=1),
        reason="Moved",
    )
    # As a merge leaves a duplicate: pointing at the record kept (merges move the episodes too;
    # the gate must hold even for a row a merge missed).
    Child.objects.filter(pk=duplicate.child_id).update(merged_into=kept.child)
    year = (date(2025, 9, 1), date(2026, 8, 31))

    assert [c.child_id for c in asat.in_ehe_on(CENSUS_DAY)] == [str(kept.child_id)]
    assert asat.children_at_any_point(EHEEpisode, *year) == {str(kept.child_id)}
    assert asat.ehe_endings(*year) == []
    assert asat.enforcement_steps(*year) == []
