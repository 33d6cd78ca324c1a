"""s.434A consent as a gate once commenced (docs/rules/ehe.md §5): before the commencement date
in the rulebook, only an advisory; from it, a withdrawal of a relevant child opens a consent case
and the EHE episode is not lawful, and cannot be found suitable, until consent is recorded."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registry.lifecycle import LifecycleErrors
from registry.models import (
    Action,
    ConsentS434A,
    Decision,
    DecisionType,
    EHEEpisode,
    EHEStatus,
    EstablishmentTypeGroup,
    FlagType,
)
from registry.services import consent
from registry.services import episodes as episode_services
from schools_feed.models import Channel, NotificationEventType, NotificationKind
from schools_feed.services import intake
from tests.factories import ChildFactory, ChildFlagFactory, SchoolFactory, sign_in

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
COMMENCED = '{"consent_s434a_commenced_on": "2026-01-01"}'


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", is_local=True)


def _amelia(*flags):
    child = ChildFactory(
        upn="H801200001001",
        legal_forenames="Amelia",
        legal_surname="Hartley",
        date_of_birth=TODAY.replace(year=2015, month=3, day=14),
    )
    for flag_type in flags:
        ChildFlagFactory(child=child, flag_type=flag_type)
    return child


def _withdrawn_to_home_education(school):
    values = {
        "upn": "H801200001001",
        "legal_surname": "Hartley",
        "legal_forenames": "Amelia",
        "date_of_birth": "2015-03-14",
        "sex": "F",
        "address_line_1": "14 Willow Crescent",
        "postcode": "CB7 9QT",
        "parent_1_name": "Claire Hartley",
        "parent_1_phone": "07700900231",
        "ground": "f",
        "deletion_date": (TODAY - timedelta(days=2)).isoformat(),
        "parent_notice_date": (TODAY - timedelta(days=4)).isoformat(),
    }
    submission, _ = intake.notification_submit(
        school=school,
        by=None,
        channel=Channel.WEB_FORM,
        return_type=NotificationKind.DELETION,
        values=values,
    )
    return submission.notifications.get()


def _events(notification) -> set[str]:
    return set(notification.events.values_list("event_type", flat=True))


def _find_suitable(episode, by):
    return episode_services.ehe_episode_status_change(
        episode=episode,
        by=by,
        status=EHEStatus.SUITABLE,
        effective_date=TODAY,
        reason="Visit: a full-time, suitable education",
    )


def test_before_s434a_commences_a_cp_plan_childs_withdrawal_carries_only_the_advisory(
    school, ehe_officer, settings
):
    """docs/rules/ehe.md §5: not commenced, so an advisory on the episode and no gate."""
    settings.STATUTORY_RULES = '{"consent_s434a_commenced_on": null}'
    child = _amelia(FlagType.CHILD_PROTECTION_PLAN)

    notification = _withdrawn_to_home_education(school)

    episode = EHEEpisode.objects.get(child=child)
    assert episode.consent_s434a == ConsentS434A.ADVISORY
    assert "Condition B" in episode.consent_s434a_grounds
    assert NotificationEventType.CONSENT_ADVISORY in _events(notification)
    assert NotificationEventType.CONSENT_CASE not in _events(notification)
    assert Action.objects.filter(ehe_episode=episode, description__startswith="Advisory").exists()
    _find_suitable(episode, ehe_officer)
    episode.refresh_from_db()
    assert episode.status == EHEStatus.SUITABLE


def test_once_s434a_commences_a_s47_childs_withdrawal_opens_a_consent_case_and_gates_suitable(
    school, ehe_officer, settings
):
    """docs/rules/ehe.md §5: commenced, so a consent case, and not lawful until consent."""
    settings.STATUTORY_RULES = COMMENCED
    child = _amelia(FlagType.SECTION_47_ENQUIRY)

    notification = _withdrawn_to_home_education(school)

    episode = EHEEpisode.objects.get(child=child)
    assert episode.consent_s434a == ConsentS434A.AWAITED
    assert episode.consent_s434a_outstanding
    assert NotificationEventType.CONSENT_CASE in _events(notification)
    assert Action.objects.filter(ehe_episode=episode, description__startswith="s.434A").exists()
    with pytest.raises(ValidationError) as refused:
        _find_suitable(episode, ehe_officer)
    assert LifecycleErrors.CONSENT_OUTSTANDING in refused.value.messages
    episode.refresh_from_db()
    assert episode.status == EHEStatus.NOTIFIED


def test_the_childs_record_shows_the_withdrawal_is_not_lawful_until_consent(
    client, school, ehe_officer, settings
):
    """docs/rules/ehe.md §5: a visible state on the child's record."""
    settings.STATUTORY_RULES = COMMENCED
    child = _amelia(FlagType.CHILD_PROTECTION_PLAN)
    _withdrawn_to_home_education(school)
    sign_in(client, ehe_officer)

    page = client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()

    assert ConsentS434A.AWAITED.label in page


def test_recording_consent_lets_the_education_be_found_suitable(school, ehe_officer, settings):
    """docs/rules/ehe.md §5: consent recorded as a decision lifts the gate."""
    settings.STATUTORY_RULES = COMMENCED
    child = _amelia(FlagType.CHILD_PROTECTION_PLAN)
    _withdrawn_to_home_education(school)
    episode = EHEEpisode.objects.get(child=child)

    consent.ehe_consent_record(
        episode=episode,
        by=ehe_officer,
        given=True,
        decided_on=TODAY,
        reason="Suitable arrangements; the social worker agrees",
    )

    episode.refresh_from_db()
    assert episode.consent_s434a == ConsentS434A.GIVEN
    assert Decision.objects.filter(
        ehe_episode=episode, decision_type=DecisionType.CONSENT, decided_by=ehe_officer
    ).exists()
    _find_suitable(episode, ehe_officer)
    episode.refresh_from_db()
    assert episode.status == EHEStatus.SUITABLE


def test_a_refused_consent_keeps_the_gate_shut(school, ehe_officer, settings):
    """docs/rules/ehe.md §5: refused consent: home education stays unlawful."""
    settings.STATUTORY_RULES = COMMENCED
    child = _amelia(FlagType.CHILD_PROTECTION_PLAN)
    _withdrawn_to_home_education(school)
    episode = EHEEpisode.objects.get(child=child)

    consent.ehe_consent_record(
        episode=episode, by=ehe_officer, given=False, decided_on=TODAY, reason="Best interests"
    )

    with pytest.raises(ValidationError):
        _find_suitable(episode, ehe_officer)


def test_a_withdrawal_before_the_commencement_date_is_not_gated(school, settings):
    """docs/rules/ehe.md §5: the section applies to withdrawals from its commencement."""
    settings.STATUTORY_RULES = (
        f'{{"consent_s434a_commenced_on": "{(TODAY + timedelta(days=30)).isoformat()}"}}'
    )
    child = _amelia(FlagType.CHILD_PROTECTION_PLAN)

    _withdrawn_to_home_education(school)

    assert EHEEpisode.objects.get(child=child).consent_s434a == ConsentS434A.ADVISORY


def test_flags_the_regulations_add_count_only_when_the_rulebook_lists_them(school, settings):
    """docs/rules/ehe.md §5: variants (a child in need, say) are configuration."""
    settings.STATUTORY_RULES = COMMENCED
    child = _amelia(FlagType.CHILD_IN_NEED)
    _withdrawn_to_home_education(school)
    assert EHEEpisode.objects.get(child=child).consent_s434a == ConsentS434A.NOT_NEEDED

    settings.STATUTORY_RULES = json.dumps(
        {"consent_s434a_commenced_on": "2026-01-01", "consent_s434a_extra_flags": ["child_in_need"]}
    )
    grounds = consent.s434a_grounds(flags={FlagType.CHILD_IN_NEED}, special_school_placement=False)
    assert grounds == ["Condition B: Child in need"]


def test_a_special_school_placement_with_an_ehc_plan_is_condition_a(settings, db):
    """docs/rules/ehe.md §5: Condition A, through the register's special-school test."""
    settings.STATUTORY_RULES = COMMENCED
    special = SchoolFactory(
        urn="999103", laestab="8737001", is_local=True, type_group=EstablishmentTypeGroup.SPECIAL
    )
    _amelia(FlagType.EHCP)

    notification = _withdrawn_to_home_education(special)

    episode = EHEEpisode.objects.get(child=notification.child)
    assert episode.consent_s434a == ConsentS434A.AWAITED
    assert consent.CONDITION_A in episode.consent_s434a_grounds


def test_an_ehe_officer_records_consent_on_the_episodes_page(client, school, ehe_officer, settings):
    """docs/rules/ehe.md §5: the consent decision is recorded from the child's record."""
    settings.STATUTORY_RULES = COMMENCED
    child = _amelia(FlagType.CHILD_PROTECTION_PLAN)
    _withdrawn_to_home_education(school)
    episode = EHEEpisode.objects.get(child=child)
    sign_in(client, ehe_officer)
    record = client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()
    url = reverse("registry:ehe-episode-consent", args=[episode.pk])
    assert url in record

    response = client.post(
        url,
        {
            "outcome": "given",
            "decided_on_0": str(TODAY.day),
            "decided_on_1": str(TODAY.month),
            "decided_on_2": str(TODAY.year),
            "reason": "Suitable arrangements in place; social worker consulted",
        },
    )

    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.consent_s434a == ConsentS434A.GIVEN
    assert url not in client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()
