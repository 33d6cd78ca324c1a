"""Services: validation, history with user and reason, domain events, merges."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registry import identifiers
from registry.models import (
    Action,
    Address,
    Child,
    ChildMerge,
    CMEEpisode,
    Contact,
    EHEEpisode,
    EnforcementStep,
    EpisodeStatusChange,
    Role,
)
from registry.services import casework, children, episodes
from registry.services.casework import CaseworkErrors
from registry.services.children import MergeErrors
from registry.services.episodes import EpisodeErrors
from registry.services.history import ChangeReason
from schools_feed.models import Notification
from tests.factories import (
    ActionFactory,
    AddressFactory,
    ChildFactory,
    CMEEpisodeFactory,
    ContactFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    sign_in,
)
from tests.pages import page_text

pytestmark = pytest.mark.django_db


def test_child_create_keeps_history_with_the_user_and_normalises_identifiers(ehe_officer):
    child = children.child_create(
        by=ehe_officer,
        legal_forenames="Zoë",
        legal_surname="O'Brien-Smith",
        date_of_birth=date(2012, 3, 4),
        upn=" h801200001001 ",
        nhs_number="943 476 5919",
    )

    assert child.upn == "H801200001001"
    assert child.nhs_number == "9434765919"
    assert child.search_name == "zoe obrien smith"
    record = child.history.get()
    assert record.history_user == ehe_officer
    assert record.history_change_reason == ChangeReason.MANUAL_EDIT


def test_identity_correction_needs_a_reason_and_a_valid_upn(ehe_officer):
    child = ChildFactory()

    with pytest.raises(ValidationError) as no_reason:
        children.child_identity_correct(child=child, by=ehe_officer, why=" ", legal_surname="Ng")
    with pytest.raises(ValidationError) as bad_upn:
        children.child_identity_correct(
            child=child, by=ehe_officer, why="certificate", upn="Z801200001001"
        )

    assert "why" in no_reason.value.message_dict
    assert identifiers.UPN_CHECK_LETTER in bad_upn.value.message_dict["upn"]
    assert Child.objects.get(pk=child.pk).legal_surname == child.legal_surname


def test_identity_correction_records_old_and_new_values_with_the_reason(ehe_officer):
    child = ChildFactory(legal_surname="Smyth")

    children.child_identity_correct(
        child=child, by=ehe_officer, why="Birth certificate seen", legal_surname="Smith"
    )

    latest, earlier = child.history.order_by("-history_date")[:2]
    change = latest.diff_against(earlier).changes
    assert [(c.field, c.old, c.new) for c in change if c.field == "legal_surname"] == [
        ("legal_surname", "Smyth", "Smith")
    ]
    assert latest.history_change_reason == f"{ChangeReason.MANUAL_EDIT}: Birth certificate seen"


def test_new_address_ends_the_current_one_the_day_before(ehe_officer):
    child = ChildFactory()
    old = AddressFactory(child=child, valid_from=date(2020, 1, 1))

    children.address_add(
        child=child,
        by=ehe_officer,
        line_1="1 New Road",
        postcode="bn111aa",
        valid_from=date(2025, 5, 1),
    )

    old.refresh_from_db()
    assert old.valid_to == date(2025, 4, 30)
    assert Address.objects.current_on(date(2025, 6, 1)).get(child=child).postcode == "BN11 1AA"


def test_opening_an_ehe_episode_writes_the_opening_status_event(ehe_officer):
    child = ChildFactory()

    episode = episodes.ehe_episode_open(
        child=child, by=ehe_officer, start_date=date(2025, 10, 1), source="parent"
    )

    event = EpisodeStatusChange.objects.get(ehe_episode=episode)
    assert (event.from_status, event.to_status, event.effective_date) == (
        "",
        "notified",
        date(2025, 10, 1),
    )


def test_a_second_open_ehe_episode_is_refused(ehe_officer):
    episode = EHEEpisodeFactory()

    with pytest.raises(ValidationError) as error:
        episodes.ehe_episode_open(
            child=episode.child, by=ehe_officer, start_date=date(2025, 11, 1), source="parent"
        )

    assert error.value.messages == [EpisodeErrors.ALREADY_OPEN_EHE]


def test_status_change_needs_a_reason_and_a_date_within_the_episode(ehe_officer):
    episode = EHEEpisodeFactory(start_date=date(2025, 10, 1))

    with pytest.raises(ValidationError) as no_reason:
        episodes.ehe_episode_status_change(
            episode=episode,
            by=ehe_officer,
            status="first_contact",
            effective_date=date(2025, 10, 2),
            reason="",
        )
    with pytest.raises(ValidationError) as too_early:
        episodes.ehe_episode_status_change(
            episode=episode,
            by=ehe_officer,
            status="first_contact",
            effective_date=date(2025, 9, 1),
            reason="phoned",
        )
    with pytest.raises(ValidationError) as future:
        episodes.ehe_episode_status_change(
            episode=episode,
            by=ehe_officer,
            status="first_contact",
            effective_date=timezone.localdate() + timedelta(days=1),
            reason="x",
        )

    assert no_reason.value.message_dict["reason"] == [EpisodeErrors.NO_REASON]
    assert too_early.value.message_dict["effective_date"] == [EpisodeErrors.DATE_BEFORE_START]
    assert future.value.message_dict["effective_date"] == [EpisodeErrors.DATE_IN_FUTURE]


def test_unsuitable_ehe_becoming_cme_closes_ehe_and_opens_a_cme_episode(ehe_officer):
    episode = EHEEpisodeFactory(start_date=date(2025, 9, 10), status="unsuitable")

    episodes.ehe_episode_status_change(
        episode=episode,
        by=ehe_officer,
        status="became_cme",
        effective_date=date(2025, 11, 3),
        reason="Education unsuitable",
    )

    episode.refresh_from_db()
    cme = CMEEpisode.objects.get(child=episode.child)
    assert episode.end_date == date(2025, 11, 3)
    assert (cme.source, cme.start_date, cme.status) == (
        "unsuitable_ehe",
        date(2025, 11, 3),
        "enquiries_open",
    )
    assert list(
        EpisodeStatusChange.objects.filter(child=episode.child).values_list("to_status", flat=True)
    ) == ["became_cme", "enquiries_open"]


def test_serving_a_s437_notice_records_the_enforcement_step(ehe_officer):
    episode = EHEEpisodeFactory(start_date=date(2025, 9, 10), status="unsuitable")

    episodes.ehe_episode_status_change(
        episode=episode,
        by=ehe_officer,
        status="s437_notice",
        effective_date=date(2025, 11, 3),
        reason="No evidence of education",
    )

    assert EnforcementStep.objects.get(episode=episode).step_type == "s437_notice"


def test_cme_case_closes_as_in_another_la_only_when_that_la_confirmed(cme_officer):
    episode = CMEEpisodeFactory(start_date=date(2025, 9, 10))

    with pytest.raises(ValidationError) as error:
        episodes.cme_episode_status_change(
            episode=episode,
            by=cme_officer,
            status="located_other_la",
            effective_date=date(2025, 10, 1),
            reason="Moved to Leeds",
        )
    episodes.cme_episode_status_change(
        episode=episode,
        by=cme_officer,
        status="located_other_la",
        effective_date=date(2025, 10, 1),
        reason="Moved to Leeds",
        other_la_name="Leeds",
        other_la_confirmed_on=date(2025, 10, 1),
    )

    assert error.value.message_dict["other_la_confirmed_on"] == [
        EpisodeErrors.OTHER_LA_NOT_CONFIRMED
    ]
    episode.refresh_from_db()
    assert episode.end_date == date(2025, 10, 1)


def test_confirmed_abroad_needs_evidence(cme_officer):
    episode = CMEEpisodeFactory(start_date=date(2025, 9, 10))

    with pytest.raises(ValidationError) as error:
        episodes.cme_episode_status_change(
            episode=episode,
            by=cme_officer,
            status="confirmed_abroad",
            effective_date=date(2025, 10, 1),
            reason="Family left",
        )

    assert error.value.message_dict["abroad_evidence"] == [EpisodeErrors.NO_ABROAD_EVIDENCE]


def test_a_closed_episode_cannot_change_status(cme_officer):
    episode = CMEEpisodeFactory(
        start_date=date(2025, 9, 10), status="closed", end_date=date(2025, 9, 20)
    )

    with pytest.raises(ValidationError) as error:
        episodes.cme_episode_status_change(
            episode=episode,
            by=cme_officer,
            status="enquiries_open",
            effective_date=date(2025, 10, 1),
            reason="x",
        )

    assert error.value.messages == [EpisodeErrors.CLOSED]


def test_a_cme_officer_cannot_be_assigned_an_ehe_episode(ehe_officer, cme_officer):
    episode = EHEEpisodeFactory()

    with pytest.raises(ValidationError) as error:
        episodes.episode_assign_officer(episode=episode, officer=cme_officer, by=ehe_officer)
    episodes.episode_assign_officer(episode=episode, officer=ehe_officer, by=ehe_officer)

    assert error.value.message_dict["officer"] == [EpisodeErrors.NOT_AN_OFFICER]
    assert EHEEpisode.objects.get(pk=episode.pk).assigned_officer == ehe_officer


def test_contact_in_the_future_or_followed_up_before_it_happened_is_refused(ehe_officer):
    child = ChildFactory()
    tomorrow = timezone.localdate() + timedelta(days=1)

    with pytest.raises(ValidationError) as future:
        casework.contact_log(
            child=child,
            by=ehe_officer,
            contact_date=tomorrow,
            method="phone",
            with_whom="Mum",
            summary="x",
            outcome="spoke",
        )
    with pytest.raises(ValidationError) as follow_up:
        casework.contact_log(
            child=child,
            by=ehe_officer,
            contact_date=date(2025, 10, 2),
            method="phone",
            with_whom="Mum",
            summary="x",
            outcome="spoke",
            follow_up_date=date(2025, 10, 1),
        )

    assert future.value.message_dict["contact_date"] == [CaseworkErrors.DATE_IN_FUTURE]
    assert follow_up.value.message_dict["follow_up_date"] == [
        CaseworkErrors.FOLLOW_UP_BEFORE_CONTACT
    ]


def test_contact_about_another_childs_episode_is_refused(ehe_officer):
    episode = EHEEpisodeFactory()

    with pytest.raises(ValidationError) as error:
        casework.contact_log(
            child=ChildFactory(),
            by=ehe_officer,
            contact_date=date(2025, 10, 2),
            method="phone",
            with_whom="Mum",
            summary="x",
            outcome="spoke",
            episode=episode,
        )

    assert error.value.messages == [CaseworkErrors.EPISODE_OF_ANOTHER_CHILD]


def test_an_action_can_be_finished_only_once(ehe_officer):
    action = ActionFactory(owner=ehe_officer)

    casework.action_complete(action=action, by=ehe_officer, note="Visited")
    with pytest.raises(ValidationError) as error:
        casework.action_complete(action=action, by=ehe_officer, note="again")

    assert error.value.messages == [CaseworkErrors.ACTION_NOT_OPEN]
    assert Action.objects.get(pk=action.pk).completion_note == "Visited"


def test_merge_moves_every_linked_row_and_undo_restores_them_keeping_all_history(user_with_role):
    officer = user_with_role(Role.ADMINISTRATOR)
    kept, duplicate = ChildFactory(), ChildFactory()
    contact = ContactFactory(child=duplicate)
    address = AddressFactory(child=duplicate)
    notification = NotificationFactory(child=duplicate)
    episode = EHEEpisodeFactory(child=duplicate)
    history_before = (
        Contact.history.count() + Address.history.count() + Notification.history.count()
    )

    merge = children.child_merge(kept=kept, merged=duplicate, by=officer, why="Same UPN")
    for row in (contact, address, notification, episode):
        row.refresh_from_db()
    merged_state = {row.child_id for row in (contact, address, notification, episode)}
    duplicate.refresh_from_db()

    children.child_merge_undo(merge=merge, by=officer, why="Twins, not the same child")
    for row in (contact, address, notification, episode):
        row.refresh_from_db()

    assert merged_state == {kept.pk}
    assert duplicate.merged_into_id == kept.pk
    assert {row.child_id for row in (contact, address, notification, episode)} == {duplicate.pk}
    assert Child.objects.get(pk=duplicate.pk).merged_into_id is None
    assert ChildMerge.objects.get().is_undone
    assert (
        Contact.history.count() + Address.history.count() + Notification.history.count()
        == history_before + 6
    )


def test_a_merge_into_itself_or_of_a_merged_record_is_refused(administrator):
    kept, duplicate, third = ChildFactory(), ChildFactory(), ChildFactory()
    children.child_merge(kept=kept, merged=duplicate, by=administrator, why="same")

    with pytest.raises(ValidationError) as itself:
        children.child_merge(kept=kept, merged=kept, by=administrator, why="x")
    with pytest.raises(ValidationError) as merged_again:
        children.child_merge(kept=third, merged=duplicate, by=administrator, why="x")

    assert itself.value.messages == [MergeErrors.SAME_CHILD]
    assert merged_again.value.messages == [MergeErrors.ALREADY_MERGED]


def test_two_records_each_with_an_open_ehe_episode_are_not_merged_until_one_is_closed(
    client, administrator
):
    """It was a server error: the database refused the second open episode mid-merge. Now the
    officer is told which record's episode to close first, and nothing moves."""
    kept = EHEEpisodeFactory(child__legal_surname="Keptqx").child
    duplicate = EHEEpisodeFactory(child__legal_surname="Duplicateqx").child
    sign_in(client, administrator)

    response = client.post(
        reverse("registry:child-merge", args=[kept.pk]) + f"?other={duplicate.pk}",
        {"other": str(duplicate.pk), "why": "Same date of birth, same family"},
    )

    assert response.status_code == 200
    assert MergeErrors.BOTH_OPEN.format(
        what="EHE episode", merged=duplicate.full_name
    ) in page_text(response)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert duplicate.ehe_episodes.count() == 1


def test_merged_records_drop_out_of_search(administrator):
    from registry.selectors import child_search

    kept = ChildFactory(legal_surname="Quill")
    duplicate = ChildFactory(legal_surname="Quill")
    children.child_merge(kept=kept, merged=duplicate, by=administrator, why="same")

    found = child_search(user=administrator, text="quill", on=date(2025, 11, 1))

    assert list(found) == [kept]


def test_a_merge_explained_at_length_keeps_every_word_in_history(user_with_role):
    officer = user_with_role(Role.ADMINISTRATOR)
    kept, duplicate = ChildFactory(), ChildFactory()
    why = "Same child: " + "the school sent the former surname and the GP confirmed it; " * 5

    children.child_merge(kept=kept, merged=duplicate, by=officer, why=why)

    reason = Child.history.filter(id=duplicate.pk).latest("history_date").history_change_reason
    assert len(why) > 100
    assert reason == f"{ChangeReason.MERGE}: {why}"
    # SQLite ignores a column's length, so check the column PostgreSQL would enforce, too.
    field = Child.history.model._meta.get_field("history_change_reason")
    assert field.get_internal_type() == "TextField"
