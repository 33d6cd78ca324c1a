"""An officer's everyday journeys on a child's file, as a new user takes them: the parent's phone
the school sent, CME referrals and enquiries with their outcomes, closing a case with its
actions, following up a contact, a new case from a school's return reaching an officer, and Cancel
returning to where the officer came from."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.assignment import postcode_district
from registry.lifecycle import LifecycleErrors
from registry.models import (
    Action,
    ActionStatus,
    CMEEnquiry,
    CMEStatus,
    EHEEpisode,
    OfficerAssignmentRule,
    Role,
    SocialCareReferral,
)
from registry.services.casework import ACTION_CLOSED_WITH_CASE
from registry.services.episodes import EpisodeErrors
from schools_feed.models import NotificationKind
from tests.factories import (
    ActionFactory,
    CarerFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    SchoolFactory,
    UserFactory,
)
from tests.pages import page_text
from tests.schools_feed.test_routing import amelia_on_the_register, send, send_home_education

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return page_text(response)


# --- The parent's phone ---------------------------------------------------------------------


def test_the_emergency_phone_the_school_sent_is_shown_on_the_record(client, ehe_officer):
    carer = CarerFactory(phone="", emergency_phone="07700 900231", address="14 Willow Crescent")
    EHEEpisodeFactory(child=carer.child)
    client.force_login(ehe_officer)

    page = _page(client, reverse("registry:child-detail", args=[carer.child.pk]))

    assert "Emergency contact phone" in page
    assert "07700 900231" in page
    assert "14 Willow Crescent" in page
    assert "Not known" not in page.split("Parents and carers")[1].split("Flags")[0]


# --- CME: enquiries, referrals and their outcomes --------------------------------------------


def test_enquiries_and_referrals_appear_on_the_childs_timeline(client, cme_officer):
    episode = CMEEpisodeFactory(start_date=TODAY - timedelta(days=20))
    client.force_login(cme_officer)
    client.post(
        reverse("registry:cme-enquiry-create", args=[episode.pk]),
        {
            "enquiry_type": "previous_school",
            "made_on_0": (TODAY - timedelta(days=3)).day,
            "made_on_1": (TODAY - timedelta(days=3)).month,
            "made_on_2": (TODAY - timedelta(days=3)).year,
            "outcome": "The school has no forwarding address",
        },
    )
    client.post(
        reverse("registry:referral-create", args=[episode.pk]),
        {
            "referred_to": "mash",
            "referred_on_0": TODAY.day,
            "referred_on_1": TODAY.month,
            "referred_on_2": TODAY.year,
            "reason": "Not seen since the summer; younger sibling also absent",
        },
    )
    assert CMEEnquiry.objects.filter(episode=episode).count() == 1

    page = _page(client, reverse("registry:child-detail", args=[episode.child.pk]))
    timeline = page.split('class="app-timeline"')[1]

    assert "CME enquiry: Previous school" in timeline
    assert "The school has no forwarding address" in timeline
    assert "Referred to MASH" in timeline
    assert "younger sibling also absent" in timeline


def test_a_referrals_outcome_is_recorded_and_shown_with_who_recorded_it(client, cme_officer):
    episode = CMEEpisodeFactory(start_date=TODAY - timedelta(days=20))
    referral = SocialCareReferral.objects.create(
        episode=episode,
        referred_to="mash",
        referred_on=TODAY - timedelta(days=5),
        reason="Concerns",
        referred_by=cme_officer,
    )
    client.force_login(cme_officer)
    record = _page(client, reverse("registry:child-detail", args=[episode.child.pk]))
    outcome_url = reverse("registry:referral-outcome", args=[referral.pk])
    assert outcome_url in record  # the record offers to record it while it is awaited

    response = client.post(
        outcome_url,
        {
            "outcome": "strategy",
            "outcome_on_0": TODAY.day,
            "outcome_on_1": TODAY.month,
            "outcome_on_2": TODAY.year,
            "note": "Strategy discussion on Friday",
        },
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.outcome, referral.outcome_on, referral.outcome_by) == (
        "strategy",
        TODAY,
        cme_officer,
    )
    record = _page(client, reverse("registry:child-detail", args=[episode.child.pk]))
    assert "Referral outcome from MASH: Strategy discussion / s.47 enquiry" in record
    assert "Strategy discussion on Friday" in record
    assert outcome_url not in record


def test_a_referral_outcome_dated_before_the_referral_is_refused_on_the_form(client, cme_officer):
    episode = CMEEpisodeFactory(start_date=TODAY - timedelta(days=20))
    referral = SocialCareReferral.objects.create(
        episode=episode, referred_to="mash", referred_on=TODAY, reason="x", referred_by=cme_officer
    )
    client.force_login(cme_officer)
    before = TODAY - timedelta(days=1)

    response = client.post(
        reverse("registry:referral-outcome", args=[referral.pk]),
        {
            "outcome": "nfa",
            "outcome_on_0": before.day,
            "outcome_on_1": before.month,
            "outcome_on_2": before.year,
        },
    )

    assert response.status_code == 200
    assert EpisodeErrors.OUTCOME_BEFORE_REFERRAL in response.content.decode()
    referral.refresh_from_db()
    assert referral.outcome == "awaiting"


def _close_as_located_in_school(client, episode, urn=""):
    return client.post(
        reverse("registry:cme-episode-status", args=[episode.pk]),
        {
            "status": CMEStatus.LOCATED_IN_SCHOOL,
            "effective_date_0": TODAY.day,
            "effective_date_1": TODAY.month,
            "effective_date_2": TODAY.year,
            "reason": "Found on a school roll",
            "located_school_urn": urn,
        },
    )


def test_located_on_a_school_roll_without_saying_which_school_is_refused(client, cme_officer):
    episode = CMEEpisodeFactory(start_date=TODAY - timedelta(days=20), assigned_officer=None)
    client.force_login(cme_officer)

    response = _close_as_located_in_school(client, episode)

    assert response.status_code == 200
    assert LifecycleErrors.NO_LOCATED_SCHOOL in response.content.decode()
    episode.refresh_from_db()
    assert episode.end_date is None


def test_closing_a_cme_case_closes_its_open_actions_and_the_page_says_so_first(client, cme_officer):
    school = SchoolFactory(urn="123456")
    episode = CMEEpisodeFactory(start_date=TODAY - timedelta(days=20))
    on_case = ActionFactory(child=episode.child, cme_episode=episode, owner=cme_officer)
    not_on_case = ActionFactory(child=episode.child, owner=cme_officer)
    client.force_login(cme_officer)
    form = _page(client, reverse("registry:cme-episode-status", args=[episode.pk]))
    assert "Closing the case also closes its 1 open action," in form

    response = _close_as_located_in_school(client, episode, urn=school.urn)

    assert response.status_code == 302
    on_case.refresh_from_db()
    not_on_case.refresh_from_db()
    assert on_case.status == ActionStatus.CANCELLED
    assert on_case.completed_on == TODAY
    assert on_case.completion_note == ACTION_CLOSED_WITH_CASE.format(
        status="Located: on a school roll"
    )
    assert not_on_case.status == ActionStatus.OPEN
    episode.refresh_from_db()
    assert episode.located_school == school
    record = _page(client, reverse("registry:child-detail", args=[episode.child.pk]))
    assert "Found on the roll of" in record


# --- EHE: follow-up, assignment and the order of the timeline ---------------------------------


def test_follow_up_by_on_a_contact_creates_an_action_due_that_day(client, ehe_officer):
    episode = EHEEpisodeFactory(start_date=TODAY - timedelta(days=30))
    follow_up_on = TODAY + timedelta(days=14)
    client.force_login(ehe_officer)

    client.post(
        reverse("registry:contact-create", args=[episode.child.pk]),
        {
            "contact_date_0": TODAY.day,
            "contact_date_1": TODAY.month,
            "contact_date_2": TODAY.year,
            "method": "phone",
            "with_whom": "Mother",
            "summary": "Agreed to send a sample of work",
            "outcome": "spoke",
            "follow_up": "Check the sample of work has arrived",
            "follow_up_date_0": follow_up_on.day,
            "follow_up_date_1": follow_up_on.month,
            "follow_up_date_2": follow_up_on.year,
            "episode": f"ehe:{episode.pk}",
        },
    )

    action = Action.objects.get(child=episode.child)
    assert (action.description, action.due_date, action.owner, action.ehe_episode) == (
        "Check the sample of work has arrived",
        follow_up_on,
        ehe_officer,
        episode,
    )
    assert "Check the sample of work has arrived" in _page(client, reverse("home"))


def test_same_day_timeline_entries_are_in_the_order_they_happened(client, ehe_officer):
    episode = EHEEpisodeFactory(start_date=TODAY - timedelta(days=30))
    client.force_login(ehe_officer)
    for summary in ("First call of the day", "Second call of the day"):
        client.post(
            reverse("registry:contact-create", args=[episode.child.pk]),
            {
                "contact_date_0": TODAY.day,
                "contact_date_1": TODAY.month,
                "contact_date_2": TODAY.year,
                "method": "phone",
                "with_whom": "Mother",
                "summary": summary,
                "outcome": "spoke",
            },
        )

    page = _page(client, reverse("registry:child-detail", args=[episode.child.pk]))

    # Newest first, as the rest of the timeline.
    assert page.index("Second call of the day") < page.index("First call of the day")


def test_postcode_district_is_the_outward_code():
    assert [postcode_district(p) for p in ("rh10 1ab", "RH101AB", "CB7 9QT", "W1A0AX")] == [
        "RH10",
        "RH10",
        "CB7",
        "W1A",
    ]


@pytest.fixture
def feed_school(db):
    return SchoolFactory(urn="999101", laestab="8732999", is_local=True)


def test_a_new_ehe_case_from_a_return_goes_to_the_officer_of_the_schools_rule(client, feed_school):
    by_area = UserFactory(role=Role.EHE_OFFICER, first_name="Area", last_name="Officer")
    by_school = UserFactory(role=Role.EHE_OFFICER, first_name="School", last_name="Officer")
    OfficerAssignmentRule.objects.create(register="ehe", postcode_district="CB7", officer=by_area)
    OfficerAssignmentRule.objects.create(
        register="ehe", school_urn=feed_school.urn, officer=by_school
    )

    notification = send_home_education(feed_school)

    episode = EHEEpisode.objects.get(child=notification.child)
    assert episode.assigned_officer == by_school
    first_contact = Action.objects.get(ehe_episode=episode)
    assert first_contact.owner == by_school
    client.force_login(by_school)
    home = _page(client, reverse("home"))
    assert notification.child.full_name in home.split("Your caseload")[1]
    record = _page(client, reverse("registry:child-detail", args=[notification.child.pk]))
    assert "School Officer" in record
    assert f"by the rule for the return's school (URN {feed_school.urn})" in record


def test_a_new_case_goes_by_postcode_district_when_no_school_rule_covers_it(feed_school):
    by_area = UserFactory(role=Role.EHE_OFFICER)
    UserFactory(role=Role.EHE_OFFICER)  # less loaded, but the area's rule decides
    OfficerAssignmentRule.objects.create(register="ehe", postcode_district="CB7", officer=by_area)

    notification = send_home_education(feed_school)

    assert EHEEpisode.objects.get(child=notification.child).assigned_officer == by_area


def test_with_no_rule_a_new_case_goes_to_the_least_loaded_officer_and_says_so(client, feed_school):
    busy = UserFactory(role=Role.EHE_OFFICER)
    ActionFactory(owner=busy, due_date=TODAY)
    free = UserFactory(role=Role.EHE_OFFICER)

    notification = send_home_education(feed_school)

    episode = EHEEpisode.objects.get(child=notification.child)
    assert episode.assigned_officer == free
    assert Action.objects.get(ehe_episode=episode).owner == free
    client.force_login(free)
    record = _page(client, reverse("registry:child-detail", args=[notification.child.pk]))
    assert "no assignment rule covers this school or postcode district" in record


# --- Cancel and Back --------------------------------------------------------------------------


CASEWORK_FORMS = [
    ("registry:contact-create", "child"),
    ("registry:action-create", "child"),
    ("registry:decision-create", "child"),
    ("registry:child-identity", "child"),
    ("registry:ehe-episode-status", "ehe"),
    ("registry:ehe-episode-assign", "ehe"),
    ("registry:ehe-episode-edit", "ehe"),
    ("registry:cme-episode-status", "cme"),
    ("registry:cme-episode-reason", "cme"),
    ("registry:cme-enquiry-create", "cme"),
    ("registry:referral-create", "cme"),
    ("registry:child-merge", "child"),
]


def _cancel_href(page: str) -> str:
    before = page.split(">Cancel</a>")[0]
    return before.rsplit('href="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(("url_name", "about"), CASEWORK_FORMS)
def test_cancel_on_every_casework_form_returns_to_the_childs_record(
    client, ehe_officer, cme_officer, url_name, about
):
    ehe = EHEEpisodeFactory(start_date=TODAY - timedelta(days=30))
    cme = CMEEpisodeFactory(child=ehe.child, start_date=TODAY - timedelta(days=30))
    target = {"child": ehe.child.pk, "ehe": ehe.pk, "cme": cme.pk}[about]
    client.force_login(cme_officer if about == "cme" else ehe_officer)

    page = _page(client, reverse(url_name, args=[target]))

    assert _cancel_href(page) == reverse("registry:child-detail", args=[ehe.child.pk])


def test_cancel_returns_to_the_page_named_by_next(client, ehe_officer):
    child = EHEEpisodeFactory().child
    client.force_login(ehe_officer)

    page = _page(client, reverse("registry:action-create", args=[child.pk]) + "?next=/")

    assert _cancel_href(page) == "/"


def test_a_next_pointing_at_another_site_is_ignored(client, ehe_officer):
    child = EHEEpisodeFactory().child
    client.force_login(ehe_officer)
    url = reverse("registry:action-create", args=[child.pk])

    page = _page(client, url + "?next=https://attacker.example/phish")

    assert _cancel_href(page) == reverse("registry:child-detail", args=[child.pk])


# --- An officer's home ------------------------------------------------------------------------


def test_home_counts_the_returns_waiting_in_returns_to_match(client, ehe_officer):
    NotificationFactory(status="review")
    NotificationFactory(status="routed")
    client.force_login(ehe_officer)

    page = _page(client, reverse("home"))

    assert "1 return waiting in Returns to match" in page
    assert reverse("schools_feed:review-queue") in page


def test_a_new_pupil_return_that_closes_a_cme_case_closes_its_open_actions(feed_school):
    child = amelia_on_the_register()
    episode = CMEEpisodeFactory(child=child, start_date=TODAY - timedelta(days=30))
    visit = ActionFactory(child=child, cme_episode=episode, description="Visit the home address")

    send(
        feed_school,
        NotificationKind.NEW_PUPIL,
        starting_date=(TODAY - timedelta(days=1)).isoformat(),
    )

    visit.refresh_from_db()
    assert visit.status == ActionStatus.CANCELLED
    assert visit.completion_note == ACTION_CLOSED_WITH_CASE.format(
        status="Located: on a school roll"
    )
    assert visit.history.latest().history_change_reason == "school_feed"
