"""EHE and CME casework rules (issue 13): the casework clocks read from the rulebook, the "Rules in
force" page, closing cases at the end of compulsory school age, closing a CME case only on an
outcome the guidance allows or a manager's decision, and the s.437 timings."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registry import lifecycle
from registry.lifecycle import LifecycleErrors
from registry.models import (
    Action,
    ActionStatus,
    CMEEpisode,
    CMEStatus,
    Decision,
    EHEEpisode,
    EHEStatus,
    EnforcementStepType,
    EpisodeStatusChange,
    Role,
)
from registry.rulebook import RulebookError, rules
from registry.school_age import compulsory_school_age_end
from registry.services import episodes
from registry.services.episodes import EpisodeErrors
from registry.tasks import episodes_close_over_compulsory_school_age_task
from registry.views.rules import rule_value_text
from schools_feed.models import DestinationCheck, NotificationKind
from tests.factories import (
    ActionFactory,
    ChildFactory,
    CMEEpisodeFactory,
    ContactFactory,
    EHEEpisodeFactory,
    SchoolFactory,
    sign_in,
)
from tests.schools_feed.test_routing import send, send_home_education

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", is_local=True)


@pytest.fixture
def inclusion_lead(user_with_role):
    return user_with_role(Role.INCLUSION_LEAD, username="inclusion-lead")


# --- 1. Casework clocks come from the rulebook ------------------------------------------------


def test_the_first_ehe_contact_falls_due_on_the_las_ehe_first_contact_days(school, settings):
    """ehe_first_contact_days (docs/rules/ehe.md §2): the first review and the first-contact
    action are due that many days after the deletion, as the LA sets it."""
    settings.STATUTORY_RULES = '{"ehe_first_contact_days": 7}'
    notification = send_home_education(school)
    episode = EHEEpisode.objects.get(child=notification.child)
    due = notification.deletion_date + timedelta(days=7)
    assert episode.next_review_due == due
    action = Action.objects.get(ehe_episode=episode, description__startswith="Make first contact")
    assert action.due_date == due


def test_a_new_cme_episodes_enquiry_actions_fall_due_on_the_las_cme_clocks(school, settings):
    """cme_first_checks_days, cme_home_visit_days, cme_wider_checks_days (docs/rules/cme.md §4)."""
    settings.STATUTORY_RULES = (
        '{"cme_first_checks_days": 1, "cme_home_visit_days": 4, "cme_wider_checks_days": 12}'
    )
    notification = send(
        school, NotificationKind.DELETION, ground="i", deletion_date=str(TODAY - timedelta(1))
    )
    episode = CMEEpisode.objects.get(child=notification.child)
    start = max(episode.start_date, TODAY)
    due = sorted(Action.objects.filter(cme_episode=episode).values_list("due_date", flat=True))
    assert [start + timedelta(days=d) for d in (1, 4, 12)] == [d for d in due if d > start]


def test_a_destination_check_falls_due_on_the_las_destination_check_days(school, settings):
    """destination_check_days (docs/rules/registration.md §6): the named school's new pupil
    return is expected within the LA's days of the expected start."""
    settings.STATUTORY_RULES = '{"destination_check_days": 4}'
    destination = SchoolFactory(urn="999102", laestab="8732456", is_local=True)
    start = TODAY + timedelta(days=3)
    deletion = send(
        school,
        NotificationKind.DELETION,
        ground="a",
        deletion_date=(TODAY - timedelta(days=1)).isoformat(),
        destination_urn=destination.urn,
        destination_start_date=start.isoformat(),
    )
    assert DestinationCheck.objects.get(deletion=deletion).due_by == start + timedelta(days=4)


# --- 2. The "Rules in force" page --------------------------------------------------------------


def test_administrators_see_every_rule_in_force_with_its_value_unit_and_source(
    client, administrator, settings
):
    """The rulebook's rules in force, as the LA set them (registry/rulebook.py; the s.437
    period, docs/rules/ehe.md §4)."""
    settings.STATUTORY_RULES = '{"s437_response_days": 21}'
    sign_in(client, administrator)
    page = client.get(reverse("registry:rules-in-force"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "s.437(1) notice: time the parent has to respond" in text
    assert "21 days" in text
    assert "docs/rules/ehe.md §4" in text
    assert "Not commenced (no date set)" in text
    assert reverse("registry:rules-in-force") in client.get(reverse("home")).content.decode()


def test_the_inclusion_lead_sees_the_rules_in_force_and_an_officer_does_not(
    client, inclusion_lead, ehe_officer
):
    sign_in(client, inclusion_lead)
    assert client.get(reverse("registry:rules-in-force")).status_code == 200
    sign_in(client, ehe_officer)
    assert client.get(reverse("registry:rules-in-force")).status_code == 403


def test_a_rule_value_is_shown_as_a_reader_says_it():
    assert rule_value_text(15, "school days") == "15 school days"
    assert rule_value_text(date(2027, 9, 1), "") == "1 September 2027"
    assert rule_value_text(None, "") == "Not commenced (no date set)"
    assert rule_value_text("unsuitable", "") == "unsuitable"


# --- 3. End of compulsory school age -----------------------------------------------------------


def _school_leaver():
    """A child whose compulsory school age ended on the last day of the latest school year that
    has ended, with an open EHE and an open CME episode from before then, each with an action."""
    born_by = episodes.latest_birth_date_past_compulsory_school_age(TODAY)
    child = ChildFactory(date_of_birth=date(born_by.year - 1, 11, 20))
    start = compulsory_school_age_end(child.date_of_birth) - timedelta(days=60)
    ehe = EHEEpisodeFactory(child=child, start_date=start, status=EHEStatus.SUITABLE)
    cme = CMEEpisodeFactory(child=child, start_date=start, missing_since=start)
    ActionFactory(child=child, ehe_episode=ehe, due_date=start)
    ActionFactory(child=child, cme_episode=cme, due_date=start)
    return child, ehe, cme


def test_the_periodic_task_closes_episodes_over_compulsory_school_age_on_the_last_day():
    """Over compulsory school age (docs/rules/episode-lifecycle.md §1, §2): after the last
    Friday in June of the school year the child turns 16, each open EHE and CME episode closes
    as "over compulsory school age" on that day, through the lifecycle (a status event, history),
    and its open actions close with it; a younger child's episodes stay open. A second run
    changes nothing."""
    child, ehe, cme = _school_leaver()
    last_day = compulsory_school_age_end(child.date_of_birth)
    younger = EHEEpisodeFactory(child=ChildFactory(date_of_birth=date(TODAY.year - 12, 1, 5)))

    assert episodes_close_over_compulsory_school_age_task() == "closed 2"

    ehe.refresh_from_db()
    cme.refresh_from_db()
    assert (ehe.status, ehe.end_date) == (EHEStatus.OVER_COMPULSORY_SCHOOL_AGE, last_day)
    assert (cme.status, cme.end_date) == (CMEStatus.OVER_COMPULSORY_SCHOOL_AGE, last_day)
    events = EpisodeStatusChange.objects.filter(child=child)
    assert sorted(events.values_list("to_status", "effective_date")) == [
        ("over_csa", last_day),
        ("over_csa", last_day),
    ]
    assert ehe.history.first().status == EHEStatus.OVER_COMPULSORY_SCHOOL_AGE
    assert not Action.objects.filter(child=child, status=ActionStatus.OPEN).exists()
    younger.refresh_from_db()
    assert younger.end_date is None

    assert episodes_close_over_compulsory_school_age_task() == "closed 0"
    assert EpisodeStatusChange.objects.filter(child=child).count() == 2


def test_no_episode_closes_on_the_last_day_of_compulsory_school_age_itself():
    """The child is of compulsory school age until the end of that day (registry/school_age.py,
    docs/rules/episode-lifecycle.md §1)."""
    child, ehe, _ = _school_leaver()
    last_day = compulsory_school_age_end(child.date_of_birth)
    assert episodes.episodes_close_over_compulsory_school_age(on=last_day) == 0
    assert episodes.episodes_close_over_compulsory_school_age(on=last_day + timedelta(1)) == 2


def test_the_children_past_compulsory_school_age_are_chosen_by_one_date_of_birth_cut_off():
    """The cut-off is the last birthday of the school year whose compulsory school age has ended
    (docs/rules/episode-lifecycle.md §1)."""
    for on in (date(2026, 6, 26), date(2026, 6, 27), date(2026, 12, 5), date(2027, 1, 1)):
        born_by = episodes.latest_birth_date_past_compulsory_school_age(on)
        assert compulsory_school_age_end(born_by) < on
        assert compulsory_school_age_end(born_by + timedelta(days=1)) >= on


def test_a_cme_episode_may_close_over_compulsory_school_age_through_the_lifecycle():
    """CME gains the closing status "over compulsory school age" (docs/rules/cme.md §7)."""
    assert CMEStatus.OVER_COMPULSORY_SCHOOL_AGE in lifecycle.CME.closing
    for status in lifecycle.CME.open_statuses:
        assert CMEStatus.OVER_COMPULSORY_SCHOOL_AGE in lifecycle.CME.moves[status]


# --- 4. Closing a CME case ---------------------------------------------------------------------


def test_a_cme_case_closed_with_only_a_reason_is_refused(cme_officer):
    """Closing a CME case (docs/rules/cme.md §7): only on an outcome the guidance allows or a
    manager's recorded decision; an officer's reason alone is not enough."""
    episode = CMEEpisodeFactory()
    with pytest.raises(ValidationError) as refused:
        episodes.cme_episode_status_change(
            episode=episode,
            by=cme_officer,
            status=CMEStatus.CLOSED,
            effective_date=TODAY,
            reason="No longer needed",
        )
    assert refused.value.message_dict["status"] == [LifecycleErrors.CME_CLOSE_NEEDS_OUTCOME]
    episode.refresh_from_db()
    assert episode.end_date is None


def test_a_manager_closing_a_cme_case_must_say_why(administrator):
    """docs/rules/cme.md §7: the manager's decision records who and why."""
    episode = CMEEpisodeFactory()
    with pytest.raises(ValidationError) as refused:
        episodes.cme_episode_status_change(
            episode=episode,
            by=administrator,
            status=CMEStatus.CLOSED,
            effective_date=TODAY,
            reason="Enquiries exhausted",
        )
    assert refused.value.message_dict["manager_decision"] == [LifecycleErrors.NO_MANAGER_DECISION]


def test_a_managers_decision_closes_a_cme_case_and_is_recorded_with_who_and_why(inclusion_lead):
    """docs/rules/cme.md §7: a manager (administrators and the inclusion lead hold the manager's
    capability) closes the case; the decision is on the child's file."""
    episode = CMEEpisodeFactory()
    episodes.cme_episode_status_change(
        episode=episode,
        by=inclusion_lead,
        status=CMEStatus.CLOSED,
        effective_date=TODAY,
        reason="Enquiries exhausted",
        manager_decision="Every enquiry in the procedure made; reviewed at panel",
    )
    episode.refresh_from_db()
    assert (episode.status, episode.end_date) == (CMEStatus.CLOSED, TODAY)
    decision = Decision.objects.get(cme_episode=episode)
    assert (decision.decided_by, decision.reason) == (
        inclusion_lead,
        "Every enquiry in the procedure made; reviewed at panel",
    )
    event = EpisodeStatusChange.objects.get(cme_episode=episode, to_status=CMEStatus.CLOSED)
    assert "reviewed at panel" in event.reason


def test_the_cme_status_form_shows_why_a_bare_close_is_refused(client, cme_officer):
    """docs/rules/cme.md §7, on the form."""
    episode = CMEEpisodeFactory()
    sign_in(client, cme_officer)
    page = client.post(
        reverse("registry:cme-episode-status", args=[episode.pk]),
        {
            "status": CMEStatus.CLOSED,
            "effective_date_0": TODAY.day,
            "effective_date_1": TODAY.month,
            "effective_date_2": TODAY.year,
            "reason": "Done",
        },
    )
    assert page.status_code == 200
    assert LifecycleErrors.CME_CLOSE_NEEDS_OUTCOME in page.content.decode().replace("&#x27;", "'")


def test_a_cme_case_still_closes_as_found_without_a_manager(cme_officer):
    """docs/rules/cme.md §7: a found child's case closes on the outcome, officer's own call."""
    episode = CMEEpisodeFactory()
    episodes.cme_episode_status_change(
        episode=episode,
        by=cme_officer,
        status=CMEStatus.CONFIRMED_ABROAD,
        effective_date=TODAY,
        reason="Family confirmed",
        abroad_evidence="Letter from the new school in Lisbon",
    )
    episode.refresh_from_db()
    assert episode.status == CMEStatus.CONFIRMED_ABROAD


# --- 5. s.437 timing ---------------------------------------------------------------------------


def _notice(episode, by, served_on):
    return episodes.enforcement_step_record(
        episode=episode, by=by, step_type=EnforcementStepType.S437_NOTICE, served_on=served_on
    )


def test_a_s437_notices_response_date_is_the_served_date_plus_the_s437_response_days(
    ehe_officer,
):
    """s.437(1)-(2): not less than 15 days to satisfy the LA (docs/rules/ehe.md §4)."""
    served = TODAY - timedelta(days=3)
    step = _notice(EHEEpisodeFactory(), ehe_officer, served)
    assert step.respond_by == served + timedelta(days=15)
    assert "the parent has until" in str(step)


def test_an_la_override_of_s437_response_days_changes_the_response_date(ehe_officer, settings):
    """s437_response_days set by the LA in STATUTORY_RULES (docs/rules/ehe.md §4)."""
    settings.STATUTORY_RULES = '{"s437_response_days": 21}'
    served = TODAY - timedelta(days=3)
    assert _notice(EHEEpisodeFactory(), ehe_officer, served).respond_by == served + timedelta(21)


def test_the_s437_response_period_may_not_be_set_below_15_days(settings):
    """s.437(2): "not less than 15 days" (docs/rules/ehe.md §4)."""
    settings.STATUTORY_RULES = '{"s437_response_days": 10}'
    with pytest.raises(RulebookError):
        rules()


def test_serving_a_s437_notice_by_status_records_the_step_with_its_response_date(ehe_officer):
    """docs/rules/ehe.md §4: the status change records the step, dated, with the period."""
    episode = EHEEpisodeFactory(status=EHEStatus.CONCERNS)
    episodes.ehe_episode_status_change(
        episode=episode,
        by=ehe_officer,
        status=EHEStatus.S437_NOTICE_SERVED,
        effective_date=TODAY,
        reason="No evidence of education",
    )
    step = episode.enforcement_steps.get()
    assert (step.step_type, step.respond_by) == (
        EnforcementStepType.S437_NOTICE,
        TODAY + timedelta(days=rules().s437_response_days),
    )


def test_an_sao_before_the_response_date_is_refused_without_a_managers_reason(
    ehe_officer, administrator
):
    """docs/rules/ehe.md §4: a notice of intention or an order waits for the parent's response
    date, unless a manager records why (the reason is kept on the step)."""
    episode = EHEEpisodeFactory()
    notice = _notice(episode, ehe_officer, TODAY - timedelta(days=5))
    with pytest.raises(ValidationError) as refused:
        episodes.enforcement_step_record(
            episode=episode, by=ehe_officer, step_type="sao_issued", served_on=TODAY
        )
    assert "served_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        episodes.enforcement_step_record(
            episode=episode,
            by=ehe_officer,
            step_type=EnforcementStepType.SAO_ISSUED,
            served_on=TODAY,
            before_response_date_reason="The child is at risk",
        )
    assert refused.value.message_dict["before_response_date_reason"] == [
        EpisodeErrors.NOT_A_MANAGER
    ]
    step = episodes.enforcement_step_record(
        episode=episode,
        by=administrator,
        step_type=EnforcementStepType.SAO_ISSUED,
        served_on=TODAY,
        before_response_date_reason="The child is at risk",
    )
    assert step.before_response_date_reason == "The child is at risk"
    assert TODAY <= notice.respond_by


def test_a_notice_of_intention_after_the_response_date_is_recorded_with_its_nomination_period(
    ehe_officer,
):
    """docs/rules/ehe.md §4: after the response date; the parent then has
    sao_school_nomination_days to choose another school, shown on the record."""
    episode = EHEEpisodeFactory(start_date=TODAY - timedelta(days=60))
    _notice(episode, ehe_officer, TODAY - timedelta(days=30))
    step = episodes.enforcement_step_record(
        episode=episode,
        by=ehe_officer,
        step_type=EnforcementStepType.NOTICE_OF_INTENTION,
        served_on=TODAY,
    )
    assert step.respond_by == TODAY + timedelta(days=rules().sao_school_nomination_days)
    assert "may choose another school until" in str(step)


def test_a_notice_of_intention_needs_a_s437_notice_first(ehe_officer):
    """s.437(3) follows a s.437(1) notice (docs/rules/ehe.md §4)."""
    with pytest.raises(ValidationError) as refused:
        episodes.enforcement_step_record(
            episode=EHEEpisodeFactory(),
            by=ehe_officer,
            step_type=EnforcementStepType.NOTICE_OF_INTENTION,
            served_on=TODAY,
        )
    assert refused.value.message_dict["step_type"] == [EpisodeErrors.NO_NOTICE_TO_SATISFY]


def test_the_2026_procedures_steps_are_offered_only_once_it_commences(ehe_officer, settings):
    """ss.436H-436Q behind sao_2026_procedure_commenced_on (docs/rules/ehe.md §4)."""
    before = [value for value, _ in episodes.enforcement_step_choices(on=TODAY)]
    assert before[:2] == [EnforcementStepType.S437_NOTICE, EnforcementStepType.NOTICE_OF_INTENTION]
    settings.STATUTORY_RULES = f'{{"sao_2026_procedure_commenced_on": "{TODAY.isoformat()}"}}'
    after = [value for value, _ in episodes.enforcement_step_choices(on=TODAY)]
    assert after[:2] == [
        EnforcementStepType.PRELIMINARY_NOTICE,
        EnforcementStepType.SCHOOL_NOMINATION_NOTICE,
    ]
    assert EnforcementStepType.S437_NOTICE not in after
    with pytest.raises(ValidationError):
        _notice(EHEEpisodeFactory(), ehe_officer, TODAY)
    yesterday = [v for v, _ in episodes.enforcement_step_choices(on=TODAY - timedelta(1))]
    assert yesterday == before


def test_once_the_2026_procedure_commences_serving_a_notice_records_a_preliminary_notice(
    ehe_officer, settings
):
    """docs/rules/ehe.md §4."""
    settings.STATUTORY_RULES = f'{{"sao_2026_procedure_commenced_on": "{TODAY.isoformat()}"}}'
    episode = EHEEpisodeFactory(status=EHEStatus.CONCERNS)
    episodes.ehe_episode_status_change(
        episode=episode,
        by=ehe_officer,
        status=EHEStatus.S437_NOTICE_SERVED,
        effective_date=TODAY,
        reason="No evidence of education",
    )
    assert episode.enforcement_steps.get().step_type == EnforcementStepType.PRELIMINARY_NOTICE


def test_the_step_form_warns_when_no_informal_enquiries_are_recorded(client, ehe_officer):
    """Informal enquiries before a s.437(1) notice (docs/rules/ehe.md §4): a warning, not a
    refusal; gone once a contact is logged on the episode."""
    episode = EHEEpisodeFactory(assigned_officer=ehe_officer)
    sign_in(client, ehe_officer)
    url = reverse("registry:ehe-enforcement-step-create", args=[episode.pk])
    warning = EpisodeErrors.NO_INFORMAL_ENQUIRIES.split(" (")[0]
    assert warning in client.get(url).content.decode()
    ContactFactory(child=episode.child, ehe_episode=episode, recorded_by=ehe_officer)
    assert warning not in client.get(url).content.decode()


def test_the_step_form_records_a_s437_notice_and_the_record_shows_its_response_date(
    client, ehe_officer
):
    """docs/rules/ehe.md §4: the response date is computed and shown on the child's record."""
    episode = EHEEpisodeFactory(assigned_officer=ehe_officer)
    sign_in(client, ehe_officer)
    response = client.post(
        reverse("registry:ehe-enforcement-step-create", args=[episode.pk]),
        {
            "step_type": EnforcementStepType.S437_NOTICE,
            "served_on_0": TODAY.day,
            "served_on_1": TODAY.month,
            "served_on_2": TODAY.year,
        },
    )
    assert response.status_code == 302
    respond_by = TODAY + timedelta(days=rules().s437_response_days)
    record = client.get(reverse("registry:child-detail", args=[episode.child_id]))
    assert f"{respond_by.day} {respond_by:%b %Y}" in record.content.decode()
