"""The officer interface: search, the child's record, its history, and the casework journeys."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.lifecycle import LifecycleErrors
from registry.models import (
    Action,
    ChildAccessLog,
    CMEReason,
    CMESource,
    Contact,
    EHEReason,
    EHESource,
    EpisodeReasonChange,
    EpisodeStatusChange,
)
from registry.services.casework import CaseworkErrors
from registry.services.deaths import child_death_record
from registry.services.episodes import EpisodeErrors
from registry.services.letters import letter_recipients
from tests.factories import (
    ActionFactory,
    AddressFactory,
    CarerFactory,
    ChildFactory,
    ChildFlagFactory,
    CMEEpisodeFactory,
    ContactFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    sign_in,
)
from tests.pages import page_text

pytestmark = pytest.mark.django_db


def _search_page(client, extra: str = "", **params):
    """Register search as the page does it: POST the criteria, then GET the results by search id
    (``extra`` adds sorting or paging to that URL)."""
    posted = client.post(reverse("registry:child-list"), params)
    assert posted.status_code == 302, posted.context["form"].errors
    response = client.get(posted.url + extra)
    assert response.status_code == 200
    return response


def _search(client, **params):
    return [child.pk for child in _search_page(client, **params).context["children"]]


def test_search_by_part_of_a_name_ignores_case_and_accents(client, administrator):
    zoe = ChildFactory(legal_forenames="Zoë", legal_surname="Ashworth-Brown")
    ChildFactory(legal_forenames="Adam", legal_surname="Zed")
    sign_in(client, administrator)

    assert _search(client, text="zoe ASHW") == [zoe.pk]
    assert _search(client, text="brown") == [zoe.pk]


def test_search_by_upn_date_of_birth_and_postcode(client, administrator):
    child = ChildFactory(upn="H801200001001", date_of_birth=date(2011, 5, 6))
    AddressFactory(child=child, postcode="BN11 2AB")
    ChildFactory(date_of_birth=date(2011, 5, 7))
    sign_in(client, administrator)

    assert _search(client, upn="h801200001001") == [child.pk]
    assert _search(client, date_of_birth_0="6", date_of_birth_1="5", date_of_birth_2="2011") == [
        child.pk
    ]
    assert _search(client, postcode="bn112ab") == [child.pk]


def test_search_filters_by_episode_status_and_flag(client, administrator):
    in_ehe = EHEEpisodeFactory(status="suitable").child
    in_cme = CMEEpisodeFactory().child
    ChildFlagFactory(child=in_cme, flag_type="cp_plan", valid_from=date(2020, 1, 1))
    sign_in(client, administrator)

    assert _search(client, episode_type="ehe") == [in_ehe.pk]
    assert _search(client, status="ehe:suitable") == [in_ehe.pk]
    assert _search(client, flag="cp_plan", sensitive_reason="Strategy meeting today") == [in_cme.pk]


def test_search_results_are_sorted_and_paginated(client, administrator):
    for surname in ["Carter", "Abbott", "Baker"] + [f"Young{n:02d}" for n in range(25)]:
        ChildFactory(legal_surname=surname)
    sign_in(client, administrator)

    first_page = _search_page(client, "&sort=name", text="", upn="")
    second_page = _search_page(client, "&sort=-name&page=2", text="")

    names = [c.legal_surname for c in first_page.context["children"]]
    assert names[:3] == ["Abbott", "Baker", "Carter"]
    assert len(names) == 25
    assert [c.legal_surname for c in second_page.context["children"]] == [
        "Carter",
        "Baker",
        "Abbott",
    ]
    assert first_page.context["paginator"].num_pages == 2
    assert b'aria-sort="ascending"' in first_page.content


def test_the_record_shows_each_section_and_logs_the_viewing(client, ehe_officer):
    episode = EHEEpisodeFactory()
    child = episode.child
    AddressFactory(child=child, line_1="12 Sea Lane")
    ContactFactory(child=child, with_whom="Grandmother")
    NotificationFactory(child=child)
    sign_in(client, ehe_officer)

    response = client.get(reverse("registry:child-detail", args=[child.pk]))

    content = response.content.decode()
    for expected in [
        "Identity",
        "12 Sea Lane",
        "Parents and carers",
        "Flags",
        "Episodes",
        "Timeline",
        "Phone with Grandmother",
        "Deletion return from",
    ]:
        assert expected in content
    assert (
        ChildAccessLog.objects.filter(child=child, user=ehe_officer, purpose="casework").count()
        == 1
    )


def test_sensitive_flags_are_hidden_until_asked_for_and_the_asking_is_logged(client, ehe_officer):
    child = EHEEpisodeFactory().child
    ChildFlagFactory(child=child, flag_type="cp_plan")
    sign_in(client, ehe_officer)

    hidden = client.get(reverse("registry:child-detail", args=[child.pk]))
    shown = client.get(reverse("registry:child-detail", args=[child.pk]) + "?show=sensitive")

    assert b"Child protection plan" not in hidden.content
    assert b"Child protection plan" in shown.content
    assert ChildAccessLog.objects.filter(child=child, purpose="sensitive_fields").count() == 1


def _record_queries(client, child):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("registry:child-detail", args=[child.pk])).status_code == 200
    return len(queries)


def test_the_records_query_count_does_not_grow_with_the_length_of_its_history(
    client, administrator
):
    short = EHEEpisodeFactory().child
    ContactFactory(child=short)
    ActionFactory(child=short)
    long = EHEEpisodeFactory().child
    for _ in range(30):
        ContactFactory(child=long)
        ActionFactory(child=long)
        NotificationFactory(child=long)
    sign_in(client, administrator)
    _record_queries(client, short)  # warm the session and content-type caches

    assert _record_queries(client, long) == _record_queries(client, short)


def test_the_history_page_shows_an_identity_correction_with_old_and_new_values(client, ehe_officer):
    child = EHEEpisodeFactory().child
    sign_in(client, ehe_officer)
    client.post(
        reverse("registry:child-identity", args=[child.pk]),
        {
            "legal_forenames": child.legal_forenames,
            "legal_surname": "Corrected",
            "date_of_birth_0": str(child.date_of_birth.day),
            "date_of_birth_1": str(child.date_of_birth.month),
            "date_of_birth_2": str(child.date_of_birth.year),
            "sex": child.sex,
            "why": "Passport seen",
        },
    )

    response = client.get(reverse("registry:child-history", args=[child.pk]))

    content = page_text(response)
    assert "Corrected" in content
    assert child.legal_surname in content
    assert "Passport seen" in content


def test_logging_a_contact_saves_it_with_history_and_redirects_with_a_message(client, ehe_officer):
    episode = EHEEpisodeFactory()
    sign_in(client, ehe_officer)

    response = client.post(
        reverse("registry:contact-create", args=[episode.child_id]),
        {
            "contact_date_0": "3",
            "contact_date_1": "10",
            "contact_date_2": "2025",
            "method": "home_visit",
            "with_whom": "Both parents",
            "summary": "Saw samples of work",
            "outcome": "evidence",
            "episode": f"ehe:{episode.pk}",
        },
        follow=True,
    )

    contact = Contact.objects.get(child=episode.child)
    assert contact.ehe_episode == episode
    assert contact.history.get().history_user == ehe_officer
    assert b"Contact logged" in response.content


def test_an_invalid_form_shows_the_govuk_error_summary_linked_to_the_field(client, ehe_officer):
    child = EHEEpisodeFactory().child
    sign_in(client, ehe_officer)

    response = client.post(reverse("registry:contact-create", args=[child.pk]), {"method": "phone"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert 'href="#id_contact_date_0"' in content
    assert 'href="#id_outcome_1"' in content
    assert not Contact.objects.exists()


def test_a_status_change_that_breaks_a_rule_shows_the_rule_on_the_form(client, cme_officer):
    episode = CMEEpisodeFactory(start_date=date(2025, 9, 1))
    sign_in(client, cme_officer)

    response = client.post(
        reverse("registry:cme-episode-status", args=[episode.pk]),
        {
            "status": "located_other_la",
            "effective_date_0": "1",
            "effective_date_1": "10",
            "effective_date_2": "2025",
            "reason": "Moved to Leeds",
        },
    )

    assert EpisodeErrors.OTHER_LA_NOT_CONFIRMED in response.content.decode()
    assert not EpisodeStatusChange.objects.filter(cme_episode=episode).exists()


def _reason_form(reason: str, on: date) -> dict:
    return {
        "primary_reason": reason,
        "effective_date_0": str(on.day),
        "effective_date_1": str(on.month),
        "effective_date_2": str(on.year),
        "why": "Health visitor confirmed",
    }


def test_a_closed_cme_cases_reason_is_corrected_from_a_date_for_the_dfe_return(client, cme_officer):
    episode = CMEEpisodeFactory(
        start_date=date(2025, 9, 1), status="closed", end_date=date(2025, 11, 1)
    )
    sign_in(client, cme_officer)

    record = client.get(reverse("registry:child-detail", args=[episode.child_id]))
    response = client.post(
        reverse("registry:cme-episode-reason", args=[episode.pk]),
        _reason_form("believed_abroad", date(2025, 9, 1)),
    )

    assert reverse("registry:cme-episode-reason", args=[episode.pk]) in record.content.decode()
    assert response.status_code == 302
    change = EpisodeReasonChange.objects.get(cme_episode=episode)
    assert (change.from_reason, change.to_reason, change.effective_date) == (
        "unknown",
        "believed_abroad",
        date(2025, 9, 1),
    )


def test_a_cme_reason_dated_before_the_case_opened_is_refused_on_the_date_field(
    client, cme_officer
):
    episode = CMEEpisodeFactory(start_date=date(2025, 9, 1))
    sign_in(client, cme_officer)

    response = client.post(
        reverse("registry:cme-episode-reason", args=[episode.pk]),
        _reason_form("believed_abroad", date(2025, 8, 31)),
    )

    content = response.content.decode()
    assert EpisodeErrors.DATE_BEFORE_START in content
    assert 'href="#id_effective_date_0"' in content
    assert not EpisodeReasonChange.objects.exists()


def test_finishing_an_action_from_the_record(client, ehe_officer):
    action = ActionFactory(child=EHEEpisodeFactory().child, owner=ehe_officer)
    sign_in(client, ehe_officer)

    client.post(
        reverse("registry:action-complete", args=[action.pk]),
        {"outcome": "done", "note": "Visited"},
    )

    assert Action.objects.get(pk=action.pk).status == "done"


def test_merging_and_undoing_from_the_record(client, administrator):
    kept = ChildFactory(date_of_birth=date(2012, 1, 2))
    duplicate = ChildFactory(date_of_birth=date(2012, 1, 2))
    ContactFactory(child=duplicate)
    sign_in(client, administrator)

    client.post(
        reverse("registry:child-merge", args=[kept.pk]),
        {"other": str(duplicate.pk), "why": "Same UPN"},
    )
    merge = kept.merges_kept.get()
    page = client.get(reverse("registry:child-detail", args=[kept.pk]))
    client.post(
        reverse("registry:child-merge-undo", args=[merge.pk]), {"why": "Different children"}
    )

    assert reverse("registry:child-merge-undo", args=[merge.pk]).encode() in page.content
    merge.refresh_from_db()
    assert merge.is_undone
    assert Contact.objects.get().child_id == duplicate.pk


def _merged_record_page(client, administrator, kept, duplicate) -> str:
    """The kept child's record as an administrator sees it after merging the duplicate into it."""
    sign_in(client, administrator)
    client.post(
        reverse("registry:child-merge", args=[kept.pk]),
        {"other": str(duplicate.pk), "why": "Same child"},
    )
    return page_text(client.get(reverse("registry:child-detail", args=[kept.pk])))


def test_after_a_merge_a_home_both_records_held_is_shown_once(client, administrator):
    kept = ChildFactory(date_of_birth=date(2012, 1, 2))
    duplicate = ChildFactory(date_of_birth=date(2012, 1, 2))
    for child in (kept, duplicate):
        AddressFactory(child=child, line_1="139 Kaur Landing", town="Crawley", postcode="RH11 0QG")
    AddressFactory(child=duplicate, line_1="2 Mill Lane", postcode="RH12 1AA")
    page = _merged_record_page(client, administrator, kept, duplicate)

    assert kept.addresses.count() == 3  # every row moved, so the merge can be undone
    assert page.count("139 Kaur Landing") == 1
    assert "recorded 2 times" in page
    assert page.count("2 Mill Lane") == 1


def test_after_a_merge_a_parent_and_a_flag_both_records_held_are_shown_once(client, administrator):
    kept = ChildFactory(date_of_birth=date(2012, 1, 2))
    duplicate = ChildFactory(date_of_birth=date(2012, 1, 2))
    for child in (kept, duplicate):
        CarerFactory(child=child, full_name="Joanne Pritchard", relationship="mother")
        ChildFlagFactory(child=child, flag_type="sen_support", valid_from=date(2021, 9, 1))
    CarerFactory(child=duplicate, full_name="Gareth Pritchard", relationship="father")
    page = _merged_record_page(client, administrator, kept, duplicate)
    recipients = [r.name for r in letter_recipients(child=kept, on=date(2026, 12, 1))]

    assert kept.carers.count() == 3  # every row moved, so the merge can be undone
    assert kept.flags.count() == 2
    assert page.count("Give Joanne Pritchard a parent portal sign-in") == 1
    assert "2 times (records merged)" in page
    assert page.count("Give Gareth Pritchard a parent portal sign-in") == 1
    assert page.count("SEN support") == 1
    assert "recorded 2 times" in page
    assert sorted(r for r in recipients if "Pritchard" in r) == [
        "Gareth Pritchard",
        "Joanne Pritchard",
    ]


def test_a_merge_sent_empty_says_what_is_missing_in_words_not_this_field_is_required(
    client, administrator
):
    kept = ChildFactory(upn="A123456789012")
    ChildFactory(upn="", date_of_birth=kept.date_of_birth)
    sign_in(client, administrator)

    page = page_text(client.post(reverse("registry:child-merge", args=[kept.pk]), {"why": ""}))

    assert "Select the record that is the same child" in page
    assert "Enter why these records are the same child" in page
    assert "This field is required" not in page


def test_an_officer_home_page_lists_caseload_overdue_actions_and_triage(client, ehe_officer):
    episode = EHEEpisodeFactory(assigned_officer=ehe_officer)
    ActionFactory(
        child=episode.child, owner=ehe_officer, due_date=date(2020, 1, 1), description="Chase reply"
    )
    NotificationFactory(legal_surname="Waitingforyou")
    sign_in(client, ehe_officer)

    content = page_text(client.get(reverse("home")))

    assert episode.child.full_name in content
    assert "Chase reply" in content
    assert "Waitingforyou" in content


def test_search_stops_counting_past_the_cap_and_asks_for_a_narrower_search(
    client, administrator, monkeypatch
):
    from registry.views.records import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 2)
    for _ in range(4):
        ChildFactory(legal_surname="Smith")
    sign_in(client, administrator)

    response = _search_page(client, text="smith")

    assert b"More than 2 children found" in response.content
    assert len(response.context["children"]) == 3


def test_search_pages_follow_the_sort_order_and_the_last_page_holds_the_rest(client, administrator):
    """A page is a slice of the matches in order (the ids are read once, up to the cap)."""
    names = [f"Zed{letter}" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"] + ["ZedZa", "ZedZb"]
    for forename in reversed(names):
        ChildFactory(legal_surname="Quennell", legal_forenames=forename)
    sign_in(client, administrator)

    first = _search_page(client, text="quennell")
    second = _search_page(client, extra="&page=2", text="quennell")
    beyond = client.get(
        client.post(reverse("registry:child-list"), {"text": "quennell"}).url + "&page=3"
    )

    assert "28 children found" in page_text(first)
    shown = [c.legal_forenames for c in first.context["children"]]
    shown += [c.legal_forenames for c in second.context["children"]]
    assert shown == sorted(names)
    assert beyond.status_code == 404


def test_a_search_finds_and_sorts_its_matches_once_for_the_count_and_the_page(
    client, administrator
):
    """Finding and sorting the matches is most of a search's cost on a county register: the
    count, the page and "only similar names" share one read of them."""
    for forename in ("Ann", "Bea", "Cal"):
        ChildFactory(legal_surname="Quennell", legal_forenames=forename)
    sign_in(client, administrator)
    posted = client.post(reverse("registry:child-list"), {"text": "quennell"})

    with CaptureQueriesContext(connection) as queries:
        assert client.get(posted.url).status_code == 200
    searches = [
        q["sql"]
        for q in queries.captured_queries
        if "%quennell%" in q["sql"] and '"registry_child"."id" IN (' not in q["sql"]
    ]

    assert len(searches) == 1, searches


def _record_links(client, child) -> str:
    return client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()


def test_the_record_of_a_child_who_has_died_offers_a_contact_but_no_new_case_or_action(
    client, administrator
):
    child = ChildFactory()
    child_death_record(
        child=child, date_of_death=date(2025, 11, 3), by=administrator, source="a death return"
    )
    sign_in(client, administrator)

    content = _record_links(client, child)

    assert reverse("registry:contact-create", args=[child.pk]) in content
    for refused in ["action-create", "ehe-episode-create", "cme-episode-create"]:
        assert reverse(f"registry:{refused}", args=[child.pk]) not in content


@pytest.mark.parametrize(
    ("factory", "kind", "other"),
    [(EHEEpisodeFactory, "ehe", "cme"), (CMEEpisodeFactory, "cme", "ehe")],
)
def test_the_record_does_not_offer_a_second_open_episode_of_a_kind(
    client, administrator, factory, kind, other
):
    child = factory().child
    sign_in(client, administrator)

    content = _record_links(client, child)

    assert reverse(f"registry:{kind}-episode-create", args=[child.pk]) not in content
    assert reverse(f"registry:{other}-episode-create", args=[child.pk]) in content
    assert reverse("registry:action-create", args=[child.pk]) in content


@pytest.mark.parametrize(
    ("kind", "sources", "reason"),
    [("ehe", EHESource, EHEReason.values[0]), ("cme", CMESource, CMEReason.BELIEVED_MOVED_ABROAD)],
)
def test_opening_a_case_for_a_child_who_has_died_is_refused_on_the_form_saying_why(
    client, administrator, kind, sources, reason
):
    child = ChildFactory()
    child_death_record(
        child=child, date_of_death=date(2025, 11, 3), by=administrator, source="a death return"
    )
    sign_in(client, administrator)
    url = reverse(f"registry:{kind}-episode-create", args=[child.pk])

    shown = client.get(url)
    posted = client.post(
        url,
        {
            "start_date_0": "10",
            "start_date_1": "11",
            "start_date_2": "2025",
            "source": sources.values[0],
            "primary_reason": reason,
        },
    )

    assert LifecycleErrors.CHILD_DIED in shown.content.decode()
    assert 'method="post" novalidate' not in shown.content.decode()  # no form to fill in
    assert posted.status_code == 200
    assert posted.context["form"].non_field_errors() == [LifecycleErrors.CHILD_DIED]
    assert not child.ehe_episodes.exists()
    assert not child.cme_episodes.exists()


def test_the_action_form_for_a_child_who_has_died_says_why_no_action_can_be_added(
    client, administrator
):
    child = ChildFactory()
    child_death_record(
        child=child, date_of_death=date(2025, 11, 3), by=administrator, source="a death return"
    )
    sign_in(client, administrator)

    shown = client.get(reverse("registry:action-create", args=[child.pk]))

    assert CaseworkErrors.CHILD_DIED in shown.content.decode()
    assert 'method="post" novalidate' not in shown.content.decode()  # no form to fill in
