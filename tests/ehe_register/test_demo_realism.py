"""The demo reads like a real county: school names as GIAS spells them, officers' own words on the
timeline, a population to the authority's scale and actions open on the days the pack counts."""

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from ehe_register.demo import scales
from ehe_register.demo.build import (
    CME_ACTIONS,
    CME_CONTACTS,
    CME_OPENING_REASONS,
    EHE_ACTIONS,
    EHE_CONTACTS,
    EHE_OPENING_REASONS,
    STATUS_REASONS,
    school_name,
)
from registry.lifecycle import CME, EHE
from registry.models import (
    Action,
    CMEEpisode,
    CMESource,
    CMEStatus,
    Contact,
    EHEEpisode,
    EHESource,
    EHEStatus,
    EpisodeStatusChange,
    PopulationEstimate,
)
from schools_feed.models import Notification, School


def test_a_county_of_400_schools_has_400_different_names_and_none_numbered():
    county = scales.SCALES["county"]
    secondary = max(2, county.schools // 4)
    names = [school_name(i, secondary=True) for i in range(secondary)]
    names += [school_name(i, secondary=False) for i in range(county.schools - secondary)]

    assert len(set(names)) == county.schools
    assert [name for name in names if re.search(r"\d", name)] == []


def test_every_source_a_demo_case_opens_from_has_an_opening_reason():
    assert set(CME_OPENING_REASONS) - set(CMESource.values) == set()
    assert set(EHE_OPENING_REASONS) - set(EHESource.values) == set()


def test_every_open_status_has_next_actions_for_its_own_register():
    assert set(EHE_ACTIONS) == EHE.open_statuses
    assert set(CME_ACTIONS) == CME.open_statuses


def test_every_status_a_case_moves_to_has_an_officers_reason():
    opening = {EHEStatus.NOTIFIED, CMEStatus.ENQUIRIES_OPEN}
    moved_to = (set(EHEStatus.values) | set(CMEStatus.values)) - opening

    assert moved_to - set(STATUS_REASONS) == set()


@pytest.mark.django_db
def test_the_seeded_demo_reads_like_a_real_authority():
    call_command(
        "seed_demo",
        "--scale",
        "tiny",
        "--seed",
        "7",
        "--allow-without-debug",
        stdout=io.StringIO(),
    )
    today = timezone.localdate()
    quarter_end = date(today.year if today.month > 3 else today.year - 1, 9, 30)
    if quarter_end > today:
        quarter_end = date(today.year - 1, 9, 30)

    timeline_words = [
        *EpisodeStatusChange.objects.values_list("reason", flat=True),
        *Notification.objects.values_list("match_explanation", flat=True),
    ]
    assert [words for words in timeline_words if "demo" in words.lower()] == []
    assert not School.objects.filter(name__regex=r"\d").exists()
    population = PopulationEstimate.objects.order_by("-mid_year").first().aged_5_to_16
    assert population > scales.SCALES["tiny"].pupils_on_roll  # independent pupils too
    made_by_quarter_end = Action.objects.filter(
        created_at__date__lte=quarter_end, status="open"
    ).count()
    assert made_by_quarter_end > 0


# Words that belong to one register's casework only: an education to judge is EHE work, a child
# to find is CME work (docs/rules/ehe.md, docs/rules/cme.md §4).
EHE_ONLY_WORDS = ("education report", "annual review", "education provision", "samples of work")
CME_ONLY_WORDS = ("last known", "lost pupil", "mash", "not found", "neighbour")


@pytest.fixture
def seeded(db):
    call_command(
        "seed_demo",
        "--scale",
        "tiny",
        "--seed",
        "11",
        "--allow-without-debug",
        stdout=io.StringIO(),
    )


def texts(model, episode_field, text_field):
    return list(
        model.objects.filter(**{f"{episode_field}__isnull": False}).values_list(
            text_field, flat=True
        )
    )


def test_cme_cases_carry_cme_actions_and_contacts_never_ehe_ones(seeded):
    cme_words = texts(Action, "cme_episode", "description") + texts(
        Contact, "cme_episode", "summary"
    )
    ehe_only = {*(t for ts in EHE_ACTIONS.values() for t in ts), *(c[2] for c in EHE_CONTACTS)}

    assert cme_words
    assert [t for t in cme_words if t in ehe_only] == []
    assert [t for t in cme_words if any(w in t.lower() for w in EHE_ONLY_WORDS)] == []


def test_ehe_cases_carry_ehe_actions_and_contacts_never_cme_ones(seeded):
    ehe_words = texts(Action, "ehe_episode", "description") + texts(
        Contact, "ehe_episode", "summary"
    )
    cme_only = {*(t for ts in CME_ACTIONS.values() for t in ts), *(c[2] for c in CME_CONTACTS)}

    assert ehe_words
    assert [t for t in ehe_words if t in cme_only] == []
    assert [t for t in ehe_words if any(w in t.lower() for w in CME_ONLY_WORDS)] == []


def test_an_open_case_has_an_action_for_where_it_has_got_to(seeded):
    for model, field, actions in (
        (EHEEpisode, "ehe_episode", EHE_ACTIONS),
        (CMEEpisode, "cme_episode", CME_ACTIONS),
    ):
        for episode in model.objects.filter(end_date__isnull=True):
            open_actions = Action.objects.filter(**{field: episode}, status="open")
            assert {a.description for a in open_actions} <= set(actions[episode.status])


def test_every_episode_opens_for_the_reason_its_source_gives(seeded):
    """The first entry on a case's timeline agrees with the source on its summary: a case from
    another LA does not open on "the school's return"."""
    mismatched = []
    for model, field, reasons in (
        (CMEEpisode, "cme_episode", CME_OPENING_REASONS),
        (EHEEpisode, "ehe_episode", EHE_OPENING_REASONS),
    ):
        for episode in model.objects.all():
            opening = EpisodeStatusChange.objects.get(**{field: episode}, from_status="")
            school = ""
            if episode.source == "school_deletion":
                school = episode.opening_notification.school.name
            elif episode.source == "non_arrival":
                # The school the child did not arrive at, named first.
                school = opening.reason.removesuffix(reasons["non_arrival"].format(school=""))
                assert School.objects.filter(name=school).exists()
            expected = reasons[episode.source].format(school=school)
            if opening.reason != expected:
                mismatched.append((episode.get_source_display(), opening.reason))

    assert mismatched == []
    assert CMEEpisode.objects.filter(source="school_deletion").exists()
    assert CMEEpisode.objects.exclude(source="school_deletion").exists()
