"""Routing and the closed loop: what each matched return does to the child's casework."""

from datetime import timedelta

import pytest
from django.utils import timezone

from registry.models import (
    Action,
    ChildFlag,
    CMEEpisode,
    CMEStatus,
    EHEEpisode,
    EHEStatus,
    EpisodeStatusChange,
    FlagType,
)
from schools_feed.models import (
    Channel,
    DestinationCheck,
    DestinationCheckStatus,
    Notification,
    NotificationEventType,
    NotificationKind,
    NotificationStatus,
)
from schools_feed.services import intake, reconciliation, review
from schools_feed.services.routing import GROUND_I_BREACH_ACTION
from tests.factories import (
    ChildFactory,
    ChildFlagFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    SchoolFactory,
)

TODAY = timezone.localdate()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", is_local=True)


@pytest.fixture
def destination(db):
    return SchoolFactory(urn="999102", laestab="8732456", is_local=True)


def pupil(**values) -> dict:
    base = {
        "upn": "H801200001001",
        "legal_surname": "Hartley",
        "legal_forenames": "Amelia",
        "date_of_birth": "2015-03-14",
        "sex": "F",
        "address_line_1": "14 Willow Crescent",
        "postcode": "CB7 9QT",
        "parent_1_name": "Claire Hartley",
        "parent_1_phone": "07700900231",
    }
    return {**base, **values}


def send(school, kind, **values) -> Notification:
    submission, checked = intake.notification_submit(
        school=school, by=None, channel=Channel.WEB_FORM, return_type=kind, values=pupil(**values)
    )
    return submission.notifications.get()


def send_home_education(school) -> Notification:
    """A deletion to home education (ground f), two days ago, after the parent's letter."""
    return send(
        school,
        NotificationKind.DELETION,
        ground="f",
        deletion_date=day(-2),
        parent_notice_date=day(-4),
    )


def amelia_on_the_register():
    """The child ``pupil()`` describes, already known to the register."""
    return ChildFactory(
        upn="H801200001001",
        legal_forenames="Amelia",
        legal_surname="Hartley",
        date_of_birth=TODAY.replace(year=2015, month=3, day=14),
    )


def events(notification) -> list[str]:
    return list(notification.events.values_list("event_type", flat=True))


def test_deletion_to_home_education_opens_an_ehe_episode_when_the_child_is_new(school):
    notification = send_home_education(school)
    assert notification.status == NotificationStatus.ROUTED
    episode = EHEEpisode.objects.get(child=notification.child)
    assert (episode.status, episode.start_date, episode.previous_school) == (
        EHEStatus.NOTIFIED,
        TODAY - timedelta(days=2),
        school,
    )
    assert episode.opening_notification == notification
    # Recorded when the return was written, so its history says so from the first row.
    assert notification.history.get().opened_ehe_episode_id == episode.pk
    assert EpisodeStatusChange.objects.filter(ehe_episode=episode).count() == 1
    assert Action.objects.filter(ehe_episode=episode).exists()
    assert NotificationEventType.NEW_CHILD_CREATED in events(notification)
    assert NotificationEventType.EHE_EPISODE_OPENED in events(notification)
    assert episode.history.first().history_change_reason == "school_feed"


def test_undoing_a_link_names_the_case_the_return_opened_and_leaves_it_on_the_record(
    school, ehe_officer
):
    notification = send_home_education(school)
    episode = EHEEpisode.objects.get(child=notification.child)
    review.notification_link_undo(notification=notification, by=ehe_officer, why="Wrong child")
    detail = notification.events.get(event_type=NotificationEventType.LINK_UNDONE).detail
    assert detail.endswith(f"Cases it opened, still on that record: {episode}")
    episode.refresh_from_db()
    assert episode.opening_notification == notification


def test_home_education_for_a_child_already_home_educated_updates_the_open_episode(school):
    child = amelia_on_the_register()
    EHEEpisodeFactory(child=child)
    notification = send_home_education(school)
    assert notification.child == child
    assert EHEEpisode.objects.filter(child=child).count() == 1
    assert NotificationEventType.EHE_EPISODE_UPDATED in events(notification)
    assert notification.opened_ehe_episode is None


def test_the_grace_period_holds_home_education_until_beat_routes_it(school, settings):
    settings.FEED_EHE_GRACE_DAYS = 5
    notification = send_home_education(school)
    assert notification.status == NotificationStatus.MATCHED
    assert notification.route_after == TODAY + timedelta(days=3)
    assert not EHEEpisode.objects.exists()
    assert reconciliation.notifications_route_due() == 0
    settings.FEED_EHE_GRACE_DAYS = 1
    Notification.objects.filter(pk=notification.pk).update(route_after=TODAY)
    assert reconciliation.notifications_route_due() == 1
    episode = EHEEpisode.objects.get(child=notification.child)
    assert episode.opening_notification == notification
    assert notification.history.latest().opened_ehe_episode_id == episode.pk


def test_a_child_on_a_child_protection_plan_raises_the_consent_advisory(school, settings):
    child = amelia_on_the_register()
    ChildFlagFactory(child=child, flag_type=FlagType.CHILD_PROTECTION_PLAN)
    settings.STATUTORY_RULES = '{"consent_s434a_commenced_on": null}'
    notification = send_home_education(school)
    assert NotificationEventType.CONSENT_ADVISORY in events(notification)
    assert Action.objects.filter(child=child, description__startswith="Advisory").exists()


def test_with_s434a_commenced_a_consent_case_is_raised(school, settings):
    settings.STATUTORY_RULES = '{"consent_s434a_commenced_on": "2026-01-01"}'
    child = amelia_on_the_register()
    ChildFlagFactory(child=child, flag_type=FlagType.SECTION_47_ENQUIRY)
    notification = send_home_education(school)
    assert NotificationEventType.CONSENT_CASE in events(notification)


def test_the_consent_action_falls_due_after_the_las_own_number_of_days(school, settings):
    """docs/rules/ehe.md §5: the due date is LA policy in the rulebook, not written in code."""
    settings.STATUTORY_RULES = (
        '{"consent_s434a_commenced_on": "2026-01-01", "consent_decision_action_days": 4}'
    )
    child = amelia_on_the_register()
    ChildFlagFactory(child=child, flag_type=FlagType.SECTION_47_ENQUIRY)
    send_home_education(school)
    action = Action.objects.get(
        child=child, ehe_episode__isnull=False, description__icontains="consent"
    )
    assert action.due_date == timezone.localdate() + timedelta(days=4)


@pytest.mark.parametrize(
    ("values", "opens_cme"),
    [
        ({"ground": "i"}, True),
        ({"ground": "h"}, True),
        ({"ground": "g"}, True),
        ({"ground": "g", "new_address": "3 New Road, Leeds"}, False),
        ({"ground": "n"}, True),
        ({"ground": "n", "destination_urn": "777777"}, False),
        ({"ground": "k"}, False),
    ],
)
def test_deletions_that_may_mean_missing_education_open_a_cme_episode(school, values, opens_cme):
    notification = send(school, NotificationKind.DELETION, deletion_date=day(-1), **values)
    assert CMEEpisode.objects.filter(child=notification.child).exists() is opens_cme
    if opens_cme:
        episode = CMEEpisode.objects.get(child=notification.child)
        assert episode.status == CMEStatus.ENQUIRIES_OPEN
        assert episode.opening_notification == notification
        # The first enquiries; a deletion on an absence ground with no joint enquiry before it
        # also gives the officer a Ground I breach action (test_ground_i_gate.py).
        first_enquiries = Action.objects.filter(cme_episode=episode).exclude(
            description__startswith=GROUND_I_BREACH_ACTION
        )
        assert first_enquiries.count() == 3


def test_a_safeguarding_flag_raises_an_immediate_alert_with_the_cme_episode(school):
    child = amelia_on_the_register()
    ChildFlagFactory(child=child, flag_type=FlagType.CHILD_IN_NEED)
    notification = send(school, NotificationKind.DELETION, ground="i", deletion_date=day(-1))
    assert NotificationEventType.SAFEGUARDING_ALERT in events(notification)
    assert Action.objects.get(child=child, description__startswith="Safeguarding").due_date == TODAY


def test_a_named_local_destination_waits_for_its_new_pupil_return(school, destination):
    deletion = send(
        school,
        NotificationKind.DELETION,
        ground="a",
        deletion_date=day(-1),
        destination_urn=destination.urn,
        destination_start_date=day(2),
    )
    check = DestinationCheck.objects.get(deletion=deletion)
    assert (check.status, check.destination_school) == (DestinationCheckStatus.PENDING, destination)
    new_pupil = send(destination, NotificationKind.NEW_PUPIL, starting_date=day(0))
    check.refresh_from_db()
    assert check.status == DestinationCheckStatus.CONFIRMED
    assert check.new_pupil_return == new_pupil
    assert NotificationEventType.DESTINATION_CONFIRMED in events(new_pupil)


def test_no_new_pupil_return_in_time_opens_a_destination_unconfirmed_cme_enquiry(
    school, destination, settings
):
    settings.STATUTORY_RULES = '{"destination_check_days": 10}'
    deletion = send(
        school,
        NotificationKind.DELETION,
        ground="a",
        deletion_date=day(-1),
        destination_urn=destination.urn,
        destination_start_date=day(-12),
    )
    assert reconciliation.destination_checks_expire() == 1
    assert reconciliation.destination_checks_expire() == 0  # idempotent
    check = DestinationCheck.objects.get(deletion=deletion)
    assert check.status == DestinationCheckStatus.UNCONFIRMED
    episode = CMEEpisode.objects.get(child=deletion.child, end_date__isnull=True)
    assert episode.opening_notification == deletion
    assert deletion.history.latest().opened_cme_episode_id == episode.pk
    assert NotificationEventType.DESTINATION_UNCONFIRMED in events(deletion)


def test_a_destination_outside_the_la_waits_for_an_officer_to_confirm_the_arrival(school):
    """docs/rules/registration.md §6.2: every named destination is checked; outside the LA an
    officer confirms the arrival."""
    elsewhere = SchoolFactory(urn="555555", is_local=False)
    deletion = send(
        school,
        NotificationKind.DELETION,
        ground="a",
        deletion_date=day(-1),
        destination_urn=elsewhere.urn,
    )
    check = DestinationCheck.objects.get(deletion=deletion)
    assert check.status == DestinationCheckStatus.AWAITING_OFFICER
    assert NotificationEventType.DESTINATION_EXPECTED in events(deletion)


def test_a_new_pupil_return_closes_open_cme_as_located_in_school(school):
    child = amelia_on_the_register()
    episode = CMEEpisodeFactory(child=child, start_date=TODAY - timedelta(days=30))
    send(school, NotificationKind.NEW_PUPIL, starting_date=day(-1))
    episode.refresh_from_db()
    assert (episode.status, episode.located_school, episode.end_date) == (
        CMEStatus.LOCATED_IN_SCHOOL,
        school,
        TODAY - timedelta(days=1),
    )


def test_a_new_pupil_return_ends_home_education_as_returned_to_school(school):
    child = amelia_on_the_register()
    episode = EHEEpisodeFactory(child=child, start_date=TODAY - timedelta(days=60))
    send(school, NotificationKind.NEW_PUPIL, starting_date=day(-1))
    episode.refresh_from_db()
    assert episode.status == EHEStatus.RETURNED_TO_SCHOOL
    assert episode.status_changes.filter(to_status=EHEStatus.RETURNED_TO_SCHOOL).exists()


def test_a_permanent_exclusion_sets_the_flag_and_the_sixth_day_action(school):
    notification = send(school, NotificationKind.DELETION, ground="o", deletion_date=day(-1))
    assert ChildFlag.objects.filter(
        child=notification.child, flag_type=FlagType.PERMANENTLY_EXCLUDED
    ).exists()
    action = Action.objects.get(child=notification.child)
    assert "sixth school day" in action.description
    assert NotificationEventType.SIXTH_DAY_ACTION in events(notification)


def test_a_ten_day_absence_return_flags_the_child_at_risk_once(school):
    first = send(
        school,
        NotificationKind.TEN_DAY_ABSENCE,
        absence_start_date=day(-14),
        consecutive_days_absent="10",
    )
    second = send(
        school,
        NotificationKind.TEN_DAY_ABSENCE,
        absence_start_date=day(-21),
        consecutive_days_absent="12",
    )
    assert first.child == second.child
    assert ChildFlag.objects.filter(flag_type=FlagType.AT_RISK_OF_CME).count() == 1
    assert NotificationEventType.AT_RISK_FLAGGED in events(first)


def test_a_cme_referral_for_a_pupil_who_never_arrived_opens_cme(school):
    notification = send(
        school,
        NotificationKind.CME_REFERRAL,
        referrer_name="Ann Head",
        safeguarding_concerns="Sibling on a CP plan",
    )
    episode = CMEEpisode.objects.get(child=notification.child)
    assert episode.source == "non_arrival"
    assert episode.safeguarding_concerns == "Sibling on a CP plan"


def test_a_suspension_is_recorded_without_a_case(school):
    notification = send(
        school,
        NotificationKind.EXCLUSION,
        exclusion_type="suspension",
        exclusion_start_date=day(-3),
        exclusion_days="2",
    )
    assert events(notification)[-1] == NotificationEventType.EXCLUSION_RECORDED
    assert not Action.objects.exists()


def test_routing_events_appear_on_the_childs_timeline(school, ehe_officer, client):
    notification = send_home_education(school)
    client.force_login(ehe_officer)
    page = client.get(f"/children/{notification.child_id}/")
    assert page.status_code == 200
    assert "EHE episode opened" in page.content.decode()
