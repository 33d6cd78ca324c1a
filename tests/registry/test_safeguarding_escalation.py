"""Safeguarding escalation (docs/rules/cme.md §6): a child with a safeguarding flag whose case
becomes EHE or CME, by any path, or who gains such a flag while a case is open, raises one
same-day alert with an action, on the home page of the officer it is addressed to until
acknowledged."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from registry import lifecycle
from registry.csv_output import write_csv
from registry.models import (
    Action,
    CMESource,
    EHEEpisode,
    EHEStatus,
    FlagType,
    InformationSource,
    Role,
    SafeguardingAlert,
    SafeguardingTrigger,
)
from registry.services import episodes as episode_services
from registry.services import safeguarding
from registry.services.children import flag_add
from registry.services.history import ChangeReason
from schools_feed.models import Channel, NotificationEventType, NotificationKind
from schools_feed.services import intake
from tests.factories import (
    ChildFactory,
    ChildFlagFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    SchoolFactory,
    UserFactory,
    sign_in,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _home_education_return(school):
    """A deletion to home education (ground f) two days ago for the child ``_amelia`` makes."""
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


def _amelia():
    return ChildFactory(
        upn="H801200001001",
        legal_forenames="Amelia",
        legal_surname="Hartley",
        date_of_birth=TODAY.replace(year=2015, month=3, day=14),
    )


def _alert_is_same_day_with_action(alert, officer):
    assert alert.raised_on == TODAY
    assert alert.addressed_to == officer
    assert alert.action.owner == officer
    assert alert.action.due_date == TODAY
    assert alert.action.description.startswith("Safeguarding: refer to MASH")


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", is_local=True)


def test_a_deletion_to_home_education_of_a_child_on_a_cp_plan_raises_one_same_day_alert(
    school, ehe_officer
):
    """docs/rules/cme.md §6: withdrawn to home education with a CP plan, through feed routing."""
    child = _amelia()
    ChildFlagFactory(child=child, flag_type=FlagType.CHILD_PROTECTION_PLAN)

    notification = _home_education_return(school)

    episode = EHEEpisode.objects.get(child=child)
    alert = SafeguardingAlert.objects.get(child=child)
    assert (alert.trigger, alert.ehe_episode) == (SafeguardingTrigger.EHE_OPENED, episode)
    _alert_is_same_day_with_action(alert, ehe_officer)
    assert "Child protection plan" in alert.grounds
    assert NotificationEventType.SAFEGUARDING_ALERT in set(
        notification.events.values_list("event_type", flat=True)
    )
    # The bulk hook run again for the same episode raises nothing more.
    again = lifecycle.episodes_opened_bulk_apply(
        [episode], by=None, fallback_owner=ehe_officer, reason=ChangeReason.ROUTING
    )
    assert again == []
    assert SafeguardingAlert.objects.filter(child=child).count() == 1


def test_a_deletion_to_home_education_of_a_child_with_no_safeguarding_flag_raises_no_alert(
    school, ehe_officer
):
    """docs/rules/cme.md §6: only the safeguarding flags raise an alert."""
    child = _amelia()
    ChildFlagFactory(child=child, flag_type=FlagType.FSM)

    _home_education_return(school)

    assert EHEEpisode.objects.filter(child=child).exists()
    assert not SafeguardingAlert.objects.exists()


def test_an_officer_opening_cme_for_a_child_under_s47_raises_one_same_day_alert(cme_officer):
    """docs/rules/cme.md §6: becoming CME by an officer's opening, with a s.47 enquiry."""
    child = ChildFactory()
    ChildFlagFactory(child=child, flag_type=FlagType.SECTION_47_ENQUIRY)

    episode = episode_services.cme_episode_open(
        child=child,
        by=cme_officer,
        start_date=TODAY,
        source=CMESource.SCHOOL_REFERRAL,
        missing_since=TODAY,
        assigned_officer=cme_officer,
    )

    alert = SafeguardingAlert.objects.get(child=child)
    assert (alert.trigger, alert.cme_episode) == (SafeguardingTrigger.CME_OPENED, episode)
    _alert_is_same_day_with_action(alert, cme_officer)
    again = safeguarding.escalate_if_needed(
        episode=episode, trigger=SafeguardingTrigger.CME_OPENED, by=cme_officer
    )
    assert again is None
    assert SafeguardingAlert.objects.filter(child=child).count() == 1


def test_unsuitable_home_education_reclassified_as_cme_raises_an_alert_for_a_looked_after_child(
    ehe_officer,
):
    """docs/rules/cme.md §6: becoming CME from unsuitable EHE goes through the same opening."""
    child = ChildFactory()
    ChildFlagFactory(child=child, flag_type=FlagType.LOOKED_AFTER)
    ehe = EHEEpisodeFactory(
        child=child, status=EHEStatus.UNSUITABLE, start_date=TODAY - timedelta(days=30)
    )

    episode_services.ehe_episode_status_change(
        episode=ehe,
        by=ehe_officer,
        status=EHEStatus.BECAME_CME,
        effective_date=TODAY,
        reason="Education found unsuitable; no improvement",
    )

    triggers = set(SafeguardingAlert.objects.filter(child=child).values_list("trigger", flat=True))
    assert triggers == {SafeguardingTrigger.CME_OPENED}


def test_a_safeguarding_flag_recorded_while_a_cme_episode_is_open_raises_one_alert(cme_officer):
    """docs/rules/cme.md §6: gaining a safeguarding flag while a CME episode is open."""
    episode = CMEEpisodeFactory(assigned_officer=cme_officer)

    flag_add(
        child=episode.child,
        by=cme_officer,
        flag_type=FlagType.CHILD_IN_NEED,
        valid_from=TODAY,
        source=InformationSource.SOCIAL_CARE,
    )
    flag_add(
        child=episode.child,
        by=cme_officer,
        flag_type=FlagType.CHILD_IN_NEED,
        valid_from=TODAY,
        source=InformationSource.SCHOOL_RETURN,
    )

    alert = SafeguardingAlert.objects.get(child=episode.child)
    assert (alert.trigger, alert.cme_episode) == (SafeguardingTrigger.FLAG_ADDED, episode)
    _alert_is_same_day_with_action(alert, cme_officer)


def test_a_flag_that_is_not_a_safeguarding_flag_raises_no_alert(cme_officer):
    """docs/rules/cme.md §6: free school meals is not a safeguarding flag."""
    episode = CMEEpisodeFactory(assigned_officer=cme_officer)

    flag_add(
        child=episode.child,
        by=cme_officer,
        flag_type=FlagType.FSM,
        valid_from=TODAY,
        source=InformationSource.SCHOOL_RETURN,
    )

    assert not SafeguardingAlert.objects.exists()


def test_a_case_no_officer_holds_sends_the_alert_to_the_las_safeguarding_team(
    settings, user_with_role
):
    """docs/rules/cme.md §6: with no officer on the case, the rulebook's safeguarding team."""
    settings.STATUTORY_RULES = '{"safeguarding_team": "MASH liaison"}'
    team_member = user_with_role(Role.CME_OFFICER, team="MASH liaison")
    colleague = user_with_role(Role.CME_OFFICER, username="colleague", team="MASH liaison")
    child = ChildFactory()
    ChildFlagFactory(child=child, flag_type=FlagType.CHILD_PROTECTION_PLAN)

    episode_services.cme_episode_open(
        child=child,
        by=None,
        start_date=TODAY,
        source=CMESource.SCHOOL_REFERRAL,
        missing_since=TODAY,
    )

    alert = SafeguardingAlert.objects.get(child=child)
    assert alert.addressed_team == "MASH liaison"
    assert alert.action.owner in {team_member, colleague}
    assert SafeguardingAlert.objects.addressed_to(colleague).filter(pk=alert.pk).exists()


def test_the_alert_is_on_the_officers_home_page_until_acknowledged_with_who_and_when(
    client, cme_officer
):
    """docs/rules/cme.md §6: on the home page until acknowledged; who and when are recorded."""
    child = ChildFactory(legal_surname="Safeguardqx")
    ChildFlagFactory(child=child, flag_type=FlagType.SECTION_47_ENQUIRY)
    episode_services.cme_episode_open(
        child=child,
        by=cme_officer,
        start_date=TODAY,
        source=CMESource.SCHOOL_REFERRAL,
        missing_since=TODAY,
        assigned_officer=cme_officer,
    )
    alert = SafeguardingAlert.objects.get(child=child)
    sign_in(client, cme_officer)

    home = client.get(reverse("home")).content.decode()
    assert "Safeguarding alerts" in home
    assert "Safeguardqx" in home

    response = client.post(reverse("registry:safeguarding-alert-acknowledge", args=[alert.pk]))

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == cme_officer
    assert alert.acknowledged_at is not None
    assert alert.history.count() == 2
    assert "Safeguarding alerts" not in client.get(reverse("home")).content.decode()
    # The same-day action stays until it is done.
    assert Action.objects.open().filter(pk=alert.action_id).exists()


def test_an_officer_the_alert_is_not_addressed_to_cannot_acknowledge_it(client, cme_officer):
    """docs/rules/cme.md §6: only those it is addressed to acknowledge an alert."""
    other = UserFactory(role=Role.CME_OFFICER, username="other-cme")
    child = ChildFactory()
    ChildFlagFactory(child=child, flag_type=FlagType.SECTION_47_ENQUIRY)
    episode_services.cme_episode_open(
        child=child,
        by=cme_officer,
        start_date=TODAY,
        source=CMESource.SCHOOL_REFERRAL,
        missing_since=TODAY,
        assigned_officer=cme_officer,
    )
    alert = SafeguardingAlert.objects.get(child=child)
    sign_in(client, other)

    response = client.post(reverse("registry:safeguarding-alert-acknowledge", args=[alert.pk]))

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_a_migrated_open_ehe_case_of_a_looked_after_child_raises_one_alert(tmp_path):
    """docs/rules/cme.md §6: the legacy migration opens episodes through the same bulk hook."""
    child = ChildFactory(upn="H801200001001", legal_surname="Hartley", legal_forenames="Amelia")
    ChildFlagFactory(child=child, flag_type=FlagType.LOOKED_AFTER)
    headers = ["UPN", "Surname", "Forename", "DOB", "Sex", "Register", "Status", "Start date"]
    row = [
        "H801200001001",
        "Hartley",
        "Amelia",
        child.date_of_birth.strftime("%d/%m/%Y"),
        "F",
        "EHE",
        "Education suitable",
        "01/09/2023",
    ]
    path = tmp_path / "legacy.csv"
    path.write_bytes(write_csv(headers, [row]))

    call_command("import_children", str(path), stdout=StringIO())

    alert = SafeguardingAlert.objects.get(child=child)
    assert (alert.trigger, alert.ehe_episode) == (
        SafeguardingTrigger.EHE_OPENED,
        EHEEpisode.objects.get(child=child),
    )
    assert alert.action.due_date == TODAY
