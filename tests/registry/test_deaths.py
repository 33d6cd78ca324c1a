"""Recording a child's death: the record, the cases, the actions and the officers who held them."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from registry.lifecycle import LifecycleErrors
from registry.models import ActionStatus, CMEStatus, EHEStatus, Role
from registry.services.casework import CaseworkErrors, action_create, contact_log
from registry.services.deaths import DeathMessages, child_death_record
from registry.services.episodes import cme_episode_open, ehe_episode_open
from tests.factories import (
    ActionFactory,
    ChildFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SOURCE = "deletion return from Fenbridge Primary, ground 9(1)(k) Has died"


def test_a_death_is_recorded_on_the_child_with_history():
    child = ChildFactory()
    recorder = UserFactory(role=Role.CME_OFFICER)
    child_death_record(child=child, date_of_death=date(2025, 11, 3), by=recorder, source=SOURCE)
    child.refresh_from_db()
    assert child.date_of_death == date(2025, 11, 3)
    assert child.death_recorded_from == SOURCE
    latest = child.history.first()
    assert (latest.date_of_death, latest.history_user) == (date(2025, 11, 3), recorder)
    assert "Died" in latest.history_change_reason


def test_a_death_closes_every_open_case_with_the_death_as_its_reason():
    ehe = EHEEpisodeFactory(start_date=date(2025, 9, 1))
    cme = CMEEpisodeFactory(child=ehe.child, start_date=date(2025, 9, 1))
    child_death_record(
        child=ehe.child, date_of_death=date(2025, 11, 3), by=UserFactory(), source=SOURCE
    )
    ehe.refresh_from_db()
    cme.refresh_from_db()
    assert (ehe.status, ehe.end_date) == (EHEStatus.CLOSED, date(2025, 11, 3))
    assert (cme.status, cme.end_date) == (CMEStatus.CLOSED, date(2025, 11, 3))
    reasons = set(ehe.child.status_changes.values_list("reason", flat=True))
    assert DeathMessages.CLOSING_REASON.format(source=SOURCE) in reasons


def test_the_officers_holding_the_child_are_alerted_and_its_open_actions_close():
    ehe_officer = UserFactory(role=Role.EHE_OFFICER)
    cme_officer = UserFactory(role=Role.CME_OFFICER)
    episode = EHEEpisodeFactory(assigned_officer=ehe_officer, start_date=date(2025, 9, 1))
    visit = ActionFactory(child=episode.child, owner=cme_officer, description="Visit the home")
    alerts = child_death_record(
        child=episode.child, date_of_death=date(2025, 11, 3), by=UserFactory(), source=SOURCE
    )
    assert {alert.owner for alert in alerts} == {ehe_officer, cme_officer}
    assert all(alert.status == ActionStatus.OPEN for alert in alerts)
    assert all(episode.child.full_name in alert.description for alert in alerts)
    visit.refresh_from_db()
    assert visit.status == ActionStatus.CANCELLED


def test_recording_the_same_death_again_changes_nothing():
    episode = EHEEpisodeFactory(assigned_officer=UserFactory(), start_date=date(2025, 9, 1))
    by = UserFactory()
    first = child_death_record(
        child=episode.child, date_of_death=date(2025, 11, 3), by=by, source=SOURCE
    )
    again = child_death_record(
        child=episode.child, date_of_death=date(2025, 11, 10), by=by, source="a second return"
    )
    episode.child.refresh_from_db()
    assert (len(first), again) == (1, [])
    assert episode.child.date_of_death == date(2025, 11, 3)


def test_a_death_in_the_future_is_refused_and_nothing_changes():
    episode = EHEEpisodeFactory(start_date=date(2025, 9, 1))
    with pytest.raises(ValidationError) as error:
        child_death_record(
            child=episode.child,
            date_of_death=timezone.localdate() + timedelta(days=1),
            by=UserFactory(),
            source=SOURCE,
        )
    assert error.value.message_dict == {"date_of_death": [DeathMessages.IN_FUTURE]}
    episode.refresh_from_db()
    assert episode.end_date is None


def _died(**child_fields):
    child = ChildFactory(**child_fields)
    child_death_record(
        child=child, date_of_death=date(2025, 11, 3), by=UserFactory(), source=SOURCE
    )
    return child


@pytest.mark.parametrize("open_episode", [ehe_episode_open, cme_episode_open])
def test_opening_a_case_for_a_child_whose_death_is_recorded_is_refused(open_episode):
    child = _died()
    with pytest.raises(ValidationError) as error:
        open_episode(child=child, by=UserFactory(), start_date=date(2025, 11, 10), source="other")
    assert error.value.messages == [LifecycleErrors.CHILD_DIED]
    assert not child.ehe_episodes.exists()
    assert not child.cme_episodes.exists()


def test_a_new_action_for_a_child_whose_death_is_recorded_is_refused():
    officer = UserFactory(role=Role.EHE_OFFICER)
    child = _died()
    with pytest.raises(ValidationError) as error:
        action_create(
            child=child, by=officer, description="Visit", owner=officer, due_date=date(2025, 12, 1)
        )
    assert error.value.messages == [CaseworkErrors.CHILD_DIED]


def test_a_contact_with_the_family_after_a_death_is_logged_but_raises_no_follow_up_action():
    officer = UserFactory(role=Role.EHE_OFFICER)
    child = _died()
    contact = {
        "child": child,
        "by": officer,
        "contact_date": date(2025, 11, 10),
        "method": "phone",
        "with_whom": "Mother",
        "summary": "Condolences; the school will return his books",
        "outcome": "spoke",
    }
    actions_before = child.actions.count()
    with pytest.raises(ValidationError) as error:
        contact_log(**contact, follow_up="Ring again", follow_up_date=date(2025, 11, 20))
    logged = contact_log(**contact)

    assert error.value.message_dict == {"follow_up_date": [CaseworkErrors.CHILD_DIED]}
    assert list(child.contacts.all()) == [logged]
    assert child.actions.count() == actions_before
