"""The access policy: one capability table, one way to open a child, every list attributable, and
nothing identifying in a search URL. Each test is named after the attack it stops."""

import re
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from registry.access import CAPABILITIES, Capability, roles_with, user_can
from registry.models import (
    AccessPurpose,
    ChildAccessLog,
    ChildListAccessLog,
    ReportKind,
    ReportRequestStatus,
    Role,
)
from registry.services.access_log import ACCESS_REASONS_SESSION_KEY
from registry.services.reporting import report_request_create, report_request_fail
from schools_feed.services import offrolling_review
from tests.factories import (
    ActionFactory,
    AddressFactory,
    ChildFactory,
    ChildFlagFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    OffRollingAlertFactory,
    SchoolFactory,
    UserFactory,
    sign_in,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _user(role):
    return UserFactory(role=role)


def _search(client, **criteria):
    posted = client.post(reverse("registry:child-list"), criteria)
    return posted, (client.get(posted.url) if posted.status_code == 302 else None)


# --- The table ----------------------------------------------------------------------------------


def test_no_module_but_the_capability_table_names_a_set_of_roles():
    pattern = re.compile(r"_ROLES\b|\.role (?:not )?in\b|\.role [!=]=|role__in=\[|user\.role ==")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("registry", "schools_feed", "ehe_register", "templates")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".html"}
        and "migrations" not in path.parts
        and path != ROOT / "registry" / "access.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_a_signed_out_or_deactivated_user_holds_no_capability():
    deactivated = UserFactory(role=Role.ADMINISTRATOR, is_active=False)

    assert not user_can(None, Capability.VIEW_CHILD_RECORD)
    assert not user_can(deactivated, Capability.VIEW_CHILD_RECORD)


def test_only_the_inclusion_lead_must_give_a_reason_and_only_schools_use_the_api():
    assert roles_with(Capability.VIEW_WITH_REASON) == [Role.INCLUSION_LEAD]
    assert roles_with(Capability.USE_SCHOOL_API) == [Role.SCHOOL_USER]
    assert Capability.SEE_EVERY_CHILD not in CAPABILITIES[Role.DCS]


# --- One way to open a child --------------------------------------------------------------------


def test_inclusion_lead_reading_field_history_without_a_reason_is_sent_for_one_and_nothing_shown(
    client,
):
    child = NotificationFactory(child=EHEEpisodeFactory().child).child
    lead = _user(Role.INCLUSION_LEAD)
    sign_in(client, lead)
    history = reverse("registry:child-history", args=[child.pk])

    refused = client.get(history)
    client.post(refused.url, {"purpose": "data_quality", "reason": "Checking a school's return"})
    shown = client.get(history)

    assert refused.status_code == 302
    assert refused.url.startswith(reverse("registry:child-access-reason", args=[child.pk]))
    assert shown.status_code == 200
    row = ChildAccessLog.objects.get(user=lead)
    assert (row.child, row.path, row.reason) == (child, history, "Checking a school's return")


def test_a_reason_given_for_a_child_or_a_schools_children_is_kept_under_one_session_key(client):
    child = NotificationFactory(child=EHEEpisodeFactory().child).child
    sign_in(client, _user(Role.INCLUSION_LEAD))

    client.post(
        reverse("registry:child-access-reason", args=[child.pk]),
        {"purpose": "safeguarding", "reason": "Call from the school"},
    )

    assert list(client.session[ACCESS_REASONS_SESSION_KEY]) == [f"child:{child.pk}"]
    assert not any(key.startswith("offrolling") for key in client.session.keys())


def test_a_reason_page_naming_another_site_as_next_returns_to_the_childs_record(client):
    child = NotificationFactory(child=EHEEpisodeFactory().child).child
    sign_in(client, _user(Role.INCLUSION_LEAD))
    reason_page = reverse("registry:child-access-reason", args=[child.pk])

    sent = client.post(
        reason_page + "?next=//attacker.example/phish",
        {"purpose": "safeguarding", "reason": "Call from the school", "next": "https://x.example/"},
    )

    assert sent.status_code == 302
    assert sent.url == reverse("registry:child-detail", args=[child.pk])


# --- Lists are attributable ---------------------------------------------------------------------


def test_inclusion_lead_search_shows_no_names_before_a_reason_is_given(client):
    child = NotificationFactory(child=EHEEpisodeFactory(child__legal_surname="Quillerqx").child)
    lead = _user(Role.INCLUSION_LEAD)
    sign_in(client, lead)

    posted, results = _search(client, text="quillerqx")

    assert results.status_code == 302
    assert results.url.startswith(reverse("registry:list-access-reason"))
    assert not ChildListAccessLog.objects.exists()
    client.post(results.url, {"purpose": "offrolling_review", "reason": "Alert R1 at the school"})
    shown = client.get(posted.url)
    assert b"Quillerqx" in shown.content
    row = ChildListAccessLog.objects.get(user=lead)
    assert list(row.children.all()) == [child.child]
    assert (row.purpose, row.reason) == (AccessPurpose.SEARCH, "Alert R1 at the school")


def test_inclusion_lead_notification_list_shows_no_names_before_a_reason_is_given(client):
    NotificationFactory(legal_surname="Pendragonqx")
    sign_in(client, _user(Role.INCLUSION_LEAD))

    response = client.get(reverse("schools_feed:notification-list"))

    assert response.status_code == 200
    assert b"Pendragonqx" not in response.content
    assert b"Say why you need to see them" in response.content


def test_searching_by_child_protection_flag_needs_the_logged_sensitive_step(client, ehe_officer):
    child = EHEEpisodeFactory().child
    ChildFlagFactory(child=child, flag_type="cp_plan", valid_from=date(2020, 1, 1))
    sign_in(client, ehe_officer)

    refused, _ = _search(client, flag="cp_plan")
    posted, results = _search(client, flag="cp_plan", sensitive_reason="Strategy meeting")

    assert refused.status_code == 200
    assert refused.context["form"].errors["sensitive_reason"]
    assert [c.pk for c in results.context["children"]] == [child.pk]
    row = ChildListAccessLog.objects.get(user=ehe_officer)
    assert (row.purpose, row.reason) == (AccessPurpose.SENSITIVE_FIELDS, "Strategy meeting")
    assert list(row.children.all()) == [child]


def test_officer_home_shows_no_name_of_a_child_outside_the_gate(client, ehe_officer):
    outside = CMEEpisodeFactory(child__legal_surname="Elsewhereqx").child
    inside = EHEEpisodeFactory(child__legal_surname="Insideqx").child
    ActionFactory(child=outside, owner=ehe_officer, due_date=date(2020, 1, 1))
    ActionFactory(child=inside, owner=ehe_officer, due_date=date(2020, 1, 1))
    sign_in(client, ehe_officer)

    response = client.get(reverse("home"))

    assert b"Elsewhereqx" not in response.content
    assert reverse("registry:child-detail", args=[outside.pk]).encode() not in response.content
    assert b"A child whose record you cannot open" in response.content
    assert b"Insideqx" in response.content
    row = ChildListAccessLog.objects.get(user=ehe_officer)
    assert list(row.children.all()) == [inside]


def test_review_queue_candidates_are_logged_as_one_list_naming_each_child(client, ehe_officer):
    candidate = EHEEpisodeFactory().child
    waiting = NotificationFactory(
        status="review",
        match_candidates=[{"child": str(candidate.pk), "score": 0.8, "evidence": ["Same DOB"]}],
    )
    sign_in(client, ehe_officer)

    response = client.get(reverse("schools_feed:review-notification", args=[waiting.pk]))

    assert response.status_code == 200
    row = ChildListAccessLog.objects.get(user=ehe_officer)
    assert (row.purpose, list(row.children.all())) == (AccessPurpose.MATCH_REVIEW, [candidate])


def test_exporting_notifications_without_a_named_user_is_refused_and_with_one_is_logged(
    tmp_path, administrator
):
    child = EHEEpisodeFactory().child
    NotificationFactory(child=child)
    target = tmp_path / "out.csv"

    with pytest.raises(CommandError):
        call_command("export_notifications", str(target), by="nobody", reason="x")
    call_command(
        "export_notifications",
        str(target),
        by=administrator.username,
        reason="Annual audit",
        stdout=StringIO(),
    )

    row = ChildListAccessLog.objects.get(user=administrator)
    assert (row.purpose, row.reason, list(row.children.all())) == (
        AccessPurpose.EXPORT,
        "Annual audit",
        [child],
    )


# --- The DCS: aggregates only -------------------------------------------------------------------


def test_dcs_never_sees_free_text_alert_notes(client):
    alert = OffRollingAlertFactory()
    lead = _user(Role.INCLUSION_LEAD)
    offrolling_review.alert_note_add(alert=alert, note="Spoke to Amelia Quartzqx's mum", by=lead)
    sign_in(client, _user(Role.DCS))

    response = client.get(reverse("offrolling:alert-detail", args=[alert.pk]))

    assert response.status_code == 200
    assert b"Quartzqx" not in response.content
    assert b"A note was added" in response.content


def test_dcs_never_sees_the_raw_text_of_a_failed_packs_error(client):
    dcs = _user(Role.DCS)
    request = report_request_create(kind=ReportKind.QUARTERLY_PACK, period="2025-Q3", by=dcs)
    report_request_fail(request_id=request.pk, error="KeyError: 'Jones, Tomqx' at row 12")
    request.refresh_from_db()
    assert request.status == ReportRequestStatus.FAILED
    sign_in(client, dcs)

    pages = [
        client.get(reverse("registry:report-request-detail", args=[request.pk])),
        client.get(reverse("registry:report-request-progress", args=[request.pk])),
    ]

    for page in pages:
        assert page.status_code == 200
        assert b"Tomqx" not in page.content


# --- Search terms stay out of URLs --------------------------------------------------------------


_RECORD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_no_name_date_of_birth_or_postcode_appears_in_any_url_the_search_produces(
    client, administrator
):
    child = ChildFactory(legal_surname="Ravenscroftqx", date_of_birth=date(2012, 4, 9))
    AddressFactory(child=child, postcode="RH10 1AA")
    for n in range(30):
        ChildFactory(legal_surname=f"Ravenscroftqx{n}", date_of_birth=date(2012, 4, 9))
    sign_in(client, administrator)

    posted, results = _search(
        client,
        text="Ravenscroftqx",
        date_of_birth_0="9",
        date_of_birth_1="4",
        date_of_birth_2="2012",
    )
    by_postcode, _ = _search(client, postcode="RH10 1AA")

    html = results.content.decode()
    urls = [posted.url, by_postcode.url, *re.findall(r'href="([^"]*)"', html)]
    assert results.status_code == 200
    assert len(results.context["children"]) == 25  # a second page, so paging links are shown
    for url in urls:
        # A record's random id may contain "2012" by chance; only what the user typed matters.
        lowered = _RECORD_ID.sub("<id>", url.lower())
        for term in ("ravenscroft", "2012", "rh10", "rh101aa"):
            assert term not in lowered, url


def test_a_search_id_from_another_session_shows_nothing(client, administrator):
    ChildFactory(legal_surname="Marchbanksqx")
    sign_in(client, administrator)
    posted, _ = _search(client, text="Marchbanksqx")
    other = UserFactory(role=Role.ADMINISTRATOR, username="other-admin")
    client.logout()
    sign_in(client, other)

    response = client.get(posted.url)

    assert b"Marchbanksqx" not in response.content


def test_a_school_users_returns_item_is_marked_current_on_their_list_of_returns(client):
    school = SchoolFactory()
    school_user = UserFactory(role=Role.SCHOOL_USER, username="returns-nav")
    school_user.schools.add(school)
    sign_in(client, school_user)

    response = client.get(reverse("schools_feed:notification-list"))

    current = [item for item in response.context["nav_items"] if item["active"]]
    assert [item["text"] for item in current] == ["Your returns"]
