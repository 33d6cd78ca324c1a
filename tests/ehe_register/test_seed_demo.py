"""seed_demo builds a realistic, deterministic demo authority."""

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from ehe_register.demo.build import DEMO_USERS, demo_password
from registry import identifiers
from registry.models import Child, CMEEpisode, EHEEpisode, Role, User
from schools_feed.models import Notification, School

pytestmark = pytest.mark.django_db


def _seed(*extra):
    out = io.StringIO()
    # Tests run with DEBUG off, as a server does.
    call_command(
        "seed_demo", "--scale", "tiny", "--seed", "7", "--allow-without-debug", *extra, stdout=out
    )
    return out.getvalue()


def test_seed_demo_creates_one_signable_user_per_role_and_prints_the_sign_ins():
    output = _seed()

    for username, role, _, _ in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.role == role
        assert user.check_password(demo_password(username, 7))
        assert username in output
        assert demo_password(username, 7) in output
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="school.user").schools.count() == 2


def test_every_generated_upn_is_valid_and_history_says_seed_demo():
    _seed()

    upns = [upn for upn in Child.objects.values_list("upn", flat=True) if upn]
    assert upns
    assert all(identifiers.is_valid_upn(upn) for upn in upns)
    seeded = Child.history.filter(history_change_reason="seed_demo").count()
    # The demo's example returns go through the real schools feed, which says so.
    from_feed = Child.history.filter(history_change_reason="school_feed").count()
    assert from_feed == 1
    assert seeded + from_feed == Child.objects.count()


def test_rates_follow_the_published_figures_within_tolerance():
    _seed()
    today = timezone.localdate()

    open_ehe = EHEEpisode.objects.filter(end_date__isnull=True).count()
    ehe_girls = EHEEpisode.objects.filter(child__sex="F").count() / EHEEpisode.objects.count()
    open_cme = list(CMEEpisode.objects.filter(end_date__isnull=True))
    unknown_band = sum(e.time_missing_band(today) == "unknown" for e in open_cme) / max(
        len(open_cme), 1
    )

    assert 0.005 <= open_ehe / 2000 <= 0.04  # ≈1.5% of the 2,000 pupils of the tiny authority
    assert 0.35 <= ehe_girls <= 0.7
    assert unknown_band <= 0.35


def test_planted_schools_lose_more_year_10_11_fsm_pupils_to_home_education_than_twins():
    _seed()

    def exits(school):
        return (
            Notification.objects.filter(
                school=school,
                ground__in=["f", "d"],
                nc_year__in=["10", "11"],
                child__flags__flag_type="fsm",
            )
            .values("child")
            .distinct()
            .count()
        )

    planted = School.objects.get(name__endswith="Park Academy", urn="150000")
    twin = School.objects.get(urn="150001")
    assert planted.number_on_roll == twin.number_on_roll
    assert exits(planted) >= exits(twin) + 4


def test_the_same_seed_gives_the_same_children_and_a_second_run_needs_reset(settings):
    settings.DEBUG = True  # --reset is refused outside DEBUG
    _seed()
    first = list(
        Child.objects.order_by("legal_surname", "legal_forenames", "date_of_birth").values_list(
            "legal_forenames", "legal_surname", "date_of_birth"
        )[:200]
    )

    with pytest.raises(CommandError):
        _seed()
    _seed("--reset")
    again = list(
        Child.objects.order_by("legal_surname", "legal_forenames", "date_of_birth").values_list(
            "legal_forenames", "legal_surname", "date_of_birth"
        )[:200]
    )

    assert first == again


def test_if_empty_does_nothing_on_a_seeded_register():
    _seed()
    children = Child.objects.count()

    output = _seed("--if-empty")

    assert Child.objects.count() == children
    assert "nothing seeded" in output


def test_status_histories_agree_with_episode_states():
    _seed()

    closed_without_end = EHEEpisode.objects.filter(
        status="returned_to_school", end_date__isnull=True
    )
    episodes_without_events = EHEEpisode.objects.annotate(n=Count("status_changes")).filter(n=0)

    assert not closed_without_end.exists()
    assert not episodes_without_events.exists()
    assert not CMEEpisode.objects.filter(
        Q(status="located_other_la") & Q(other_la_confirmed_on__isnull=True)
    ).exists()
    assert EHEEpisode.objects.filter(start_date__lt=date(2100, 1, 1)).exists()


def test_reset_is_refused_outside_debug():
    _seed()

    with pytest.raises(CommandError, match="DEBUG"):
        _seed("--reset")


def test_generated_upns_are_unique():
    _seed()

    upns = [upn for upn in Child.objects.values_list("upn", flat=True) if upn]
    assert len(upns) == len(set(upns))


def test_seed_demo_gives_demo_families_parent_sign_ins_and_prints_a_working_link(client):
    """The parent portal (ADR 0014): the demo parents' email addresses and a one-time link."""
    output = _seed()

    parents = User.objects.filter(role=Role.PARENT)
    assert parents.count() == 3
    for parent in parents:
        assert parent.email in output
        assert parent.parent_links.exists()
    link = next(line.strip() for line in output.splitlines() if "sesame=" in line)
    token = link.split("sesame=", 1)[1]
    response = client.post("/parents/sign-in/link/", {"sesame": token})
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200


def test_the_demo_lists_children_recorded_twice_for_the_data_manager_to_compare_and_merge():
    from schools_feed.models import PossibleDuplicate

    output = _seed()

    from registry.models import Address

    # The second records, as a legacy register brought them.
    planted = set(Address.objects.filter(source="migration").values_list("child_id", flat=True))
    listed = [
        {child, other} for child, other in PossibleDuplicate.objects.values_list("child", "other")
    ]
    assert len(planted) == 3
    assert all(any(child in pair for pair in listed) for child in planted)
    assert "children who may be recorded twice:" in output
