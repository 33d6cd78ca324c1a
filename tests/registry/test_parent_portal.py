"""The parent portal (ADR 0014): signing in by one-time link, the parent's own children only,
and what a parent sends landing on the child's file."""

import re
import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from sesame import tokens_v2

from registry.models import (
    AccessPurpose,
    ChildAccessLog,
    Complaint,
    EnforcementStep,
    EvidenceFile,
    LetterTemplate,
    ParentSubmission,
    PortalLinkRequest,
    Role,
    ScanResult,
    SentLetter,
    SubmissionStatus,
    User,
)
from registry.models.letters import LetterKind
from registry.portal import files
from registry.portal.files import UploadMessages
from registry.portal.services import (
    add_working_days,
    complaint_make,
    parent_account_create,
    portal_rows_anonymise,
    sign_in_link,
)
from registry.portal.views import SignInMessages
from registry.selectors import child_record_get
from registry.timeline import child_timeline
from tests.factories import (
    CarerFactory,
    CMEEpisodeFactory,
    EHEEpisodeFactory,
    UserFactory,
    sign_in,
)
from tests.pages import page_text

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A Windows program (MZ header) and an ELF binary, named as PDFs.
EXECUTABLES = [b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, b"\x7fELF\x02\x01\x01" + b"\x00" * 64]


@pytest.fixture
def family(db, settings, tmp_path):
    settings.PORTAL_PRIVATE_ROOT = tmp_path / "private"
    settings.CLAMAV_SOCKET = ""
    officer = UserFactory(role=Role.EHE_OFFICER, username="case-officer")
    episode = EHEEpisodeFactory(assigned_officer=officer, child__legal_surname="Portalqx")
    carer = CarerFactory(child=episode.child, full_name="Alex Portalqx")
    parent = parent_account_create(carer=carer, email="Alex@Example.org", by=officer)
    other = EHEEpisodeFactory(child__legal_surname="Otherfamilyqx")
    other_parent = parent_account_create(
        carer=CarerFactory(child=other.child), email="sam@example.org", by=officer
    )
    return SimpleNamespace(
        officer=officer,
        episode=episode,
        child=episode.child,
        parent=parent,
        other_child=other.child,
        other_parent=other_parent,
    )


def _link_from_outbox() -> str:
    (message,) = mail.outbox
    return re.search(r"http\S+", message.body).group(0)


def _ask_for_link(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal:sign-in"), {"email": email})


def _use_link(client, link):
    token = link.split("sesame=", 1)[1]
    return client.post(reverse("portal:sign-in-link"), {"sesame": token})


def _upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- Signing in ----------------------------------------------------------------------------------


def test_a_sign_in_link_signs_the_parent_in_once_and_never_again(
    client, family, django_capture_on_commit_callbacks
):
    """docs/rules/data-protection.md §7: a link works once."""
    _ask_for_link(client, "alex@example.org", django_capture_on_commit_callbacks)
    link = _link_from_outbox()

    opened = client.get(link)
    first = _use_link(client, link)
    client.logout()
    second = _use_link(client, link)

    assert opened.status_code == 200
    assert b"sesame" in opened.content  # the link only shows a button: a GET signs nobody in
    assert first.status_code == 302
    assert first.url == reverse("portal:home")
    assert second.status_code == 403
    assert SignInMessages.LINK_NOT_VALID.encode() in second.content.replace(b"&#x27;", b"'")


def test_a_get_of_the_link_alone_does_not_sign_in_or_use_up_the_link(client, family):
    link = sign_in_link(user=family.parent, base_url=reverse("portal:sign-in-link"))

    client.get(link)

    assert client.get(reverse("portal:home")).status_code == 302  # still signed out
    assert _use_link(client, link).status_code == 302


def test_a_sign_in_link_expires_after_the_set_minutes(client, family, settings, monkeypatch):
    """docs/rules/data-protection.md §7: PORTAL_SIGN_IN_LINK_MINUTES."""
    link = sign_in_link(user=family.parent, base_url=reverse("portal:sign-in-link"))
    later = time.time() + settings.SESAME_MAX_AGE + 60
    monkeypatch.setattr(tokens_v2, "time", SimpleNamespace(time=lambda: later))

    response = _use_link(client, link)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_an_unknown_address_gets_the_same_page_and_no_email(
    client, family, django_capture_on_commit_callbacks
):
    """docs/rules/data-protection.md §7: no account enumeration."""
    known = _ask_for_link(client, "alex@example.org", django_capture_on_commit_callbacks)
    known_page = client.get(known.url).content
    mail.outbox.clear()

    unknown = _ask_for_link(client, "nobody@example.org", django_capture_on_commit_callbacks)

    assert unknown.status_code == known.status_code == 302
    assert unknown.url == known.url
    assert client.get(unknown.url).content == known_page
    assert mail.outbox == []
    sent = PortalLinkRequest.objects.order_by("requested_at").values_list("sent", flat=True)
    assert list(sent) == [True, False]


def test_the_request_log_never_holds_the_address_typed(
    client, family, django_capture_on_commit_callbacks
):
    _ask_for_link(client, "nobody@example.org", django_capture_on_commit_callbacks)

    row = PortalLinkRequest.objects.get()
    assert "nobody" not in row.address_hash
    assert len(row.address_hash) == 64


def test_link_requests_over_the_limit_for_an_address_send_nothing(
    client, family, settings, django_capture_on_commit_callbacks
):
    """docs/rules/data-protection.md §7: PORTAL_LINK_REQUESTS_PER_ADDRESS."""
    settings.PORTAL_LINK_REQUESTS_PER_ADDRESS = 2
    responses = [
        _ask_for_link(client, "alex@example.org", django_capture_on_commit_callbacks)
        for _ in range(3)
    ]

    assert len(mail.outbox) == 2
    assert {r.url for r in responses} == {reverse("portal:sign-in-sent")}
    assert PortalLinkRequest.objects.filter(refused=True).count() == 1


def test_link_requests_over_the_limit_for_a_network_address_send_nothing(
    client, family, settings, django_capture_on_commit_callbacks
):
    """docs/rules/data-protection.md §7: PORTAL_LINK_REQUESTS_PER_IP, across addresses."""
    settings.PORTAL_LINK_REQUESTS_PER_IP = 3
    for n in range(3):
        _ask_for_link(client, f"guess{n}@example.org", django_capture_on_commit_callbacks)

    _ask_for_link(client, "alex@example.org", django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_a_staff_account_cannot_sign_in_by_link(client, family):
    link = sign_in_link(user=family.officer, base_url=reverse("portal:sign-in-link"))

    response = _use_link(client, link)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


# --- Only their own children, never a staff page -------------------------------------------------

OWN_CHILD_PAGES = ["portal:child", "portal:evidence", "portal:reply", "portal:complaint"]


@pytest.mark.parametrize("page", OWN_CHILD_PAGES)
def test_a_parent_cannot_see_another_familys_child(client, family, page):
    """docs/rules/data-protection.md §7: their own children only; 404 otherwise."""
    sign_in(client, family.parent)

    own = client.get(reverse(page, args=[family.child.pk]))
    other = client.get(reverse(page, args=[family.other_child.pk]))

    assert own.status_code == 200
    assert other.status_code == 404
    assert family.other_child.legal_surname not in page_text(other)


def test_a_parent_lists_only_their_own_children_and_the_list_is_logged(client, family):
    sign_in(client, family.parent)

    response = client.get(reverse("portal:home"))

    assert family.child.legal_surname in page_text(response)
    assert family.other_child.legal_surname not in page_text(response)


def test_a_parents_reading_of_their_childs_page_is_logged(client, family):
    """docs/rules/data-protection.md §7: the parent's own reads are in the access log."""
    sign_in(client, family.parent)

    client.get(reverse("portal:child", args=[family.child.pk]))

    row = ChildAccessLog.objects.get(user=family.parent, child=family.child)
    assert row.purpose == AccessPurpose.PARENT_PORTAL


@pytest.mark.parametrize(
    "url_name",
    [
        "home",
        "registry:child-list",
        "registry:parent-notice-list",
        "registry:complaint-list",
        "schools_feed:notification-list",
        "registry:rules-in-force",
    ],
)
def test_a_parent_never_reaches_a_staff_page(client, family, url_name):
    """The full role-by-page matrix is tests/test_permission_matrix.py (the parent column)."""
    sign_in(client, family.parent)

    response = client.get(reverse(url_name))

    if url_name == "home":
        assert response.url == reverse("portal:home")
    else:
        assert response.status_code == 404


def test_a_parent_never_reaches_the_staff_record_of_their_own_child(client, family):
    sign_in(client, family.parent)

    response = client.get(reverse("registry:child-detail", args=[family.child.pk]))

    assert response.status_code == 404


def test_staff_have_no_parents_pages(client, family):
    sign_in(client, family.officer)

    response = client.get(reverse("portal:child", args=[family.child.pk]))

    assert response.status_code == 404


# --- Telling the council -------------------------------------------------------------------------

PARENTS = {
    "parent_1_name": "Alex Portalqx",
    "parent_1_address": "1 High Street, Worthing BN11 1AA",
    "parent_1_educates": "on",
}
PROVIDERS = {
    "provider_1_type": "tutor",
    "provider_1_name": "Maths Tutors Ltd",
    "provider_1_place": "https://tutors.example.org",
}
DATES = {
    "already_started": "yes",
    "starts_on_0": "1",
    "starts_on_1": "9",
    "starts_on_2": "2025",
    "school_leaving": "Downsview Academy",
}


def _notify(client, child_choice, details=None):
    client.get(reverse("portal:notice-start"))
    client.post(reverse("portal:notice-step", args=["child"]), {"child": child_choice})
    if details:
        client.post(reverse("portal:notice-step", args=["child-details"]), details)
    client.post(reverse("portal:notice-step", args=["parents"]), PARENTS)
    client.post(reverse("portal:notice-step", args=["providers"]), PROVIDERS)
    client.post(reverse("portal:notice-step", args=["dates"]), DATES)
    check = client.get(reverse("portal:notice-check"))
    return check, client.post(reverse("portal:notice-check"))


def test_telling_the_council_about_a_linked_child_lands_on_that_childs_file(client, family):
    """docs/rules/ehe.md §11: the notice holds the s.436C(1) content the law will require."""
    sign_in(client, family.parent)

    check, sent = _notify(client, str(family.child.pk))

    assert check.status_code == 200
    assert b"Maths Tutors Ltd" in check.content
    assert sent.url == reverse("portal:sent")
    notice = ParentSubmission.objects.get(child=family.child)
    assert notice.status == SubmissionStatus.NEW
    assert notice.ehe_episode == family.episode
    assert notice.details["parents"] == [
        {
            "full_name": "Alex Portalqx",
            "address": "1 High Street, Worthing BN11 1AA",
            "is_educating": True,
        }
    ]
    assert notice.details["providers"][0]["place_or_website"] == "https://tutors.example.org"
    assert notice.details["starts_on"] == "2025-09-01"
    assert notice.details["school_leaving"] == "Downsview Academy"
    assert notice.history.count() == 1


def test_a_notice_about_a_child_not_on_the_register_waits_for_an_officer_to_match_it(
    client, family
):
    """docs/rules/ehe.md §11: officers match it on the "From parents" page."""
    sign_in(client, family.parent)
    _notify(
        client,
        "another",
        {
            "legal_forenames": "Robin",
            "legal_surname": "Newchildqx",
            "date_of_birth_0": "4",
            "date_of_birth_1": "5",
            "date_of_birth_2": "2015",
            "address": "1 High Street, Worthing",
            "postcode": "BN11 1AA",
        },
    )
    notice = ParentSubmission.objects.get(details__child__legal_surname="Newchildqx")
    assert notice.child is None
    assert notice.status == SubmissionStatus.TO_MATCH
    client.logout()
    sign_in(client, family.officer)

    waiting = client.get(reverse("registry:parent-notice-list"))
    client.post(
        reverse("registry:parent-notice-list"),
        {"submission": notice.pk, "child": str(family.other_child.pk)},
    )

    assert b"Newchildqx" in waiting.content
    notice.refresh_from_db()
    assert (notice.child, notice.status) == (family.other_child, SubmissionStatus.SEEN)


def test_an_officer_cannot_match_a_parents_notice_to_a_child_outside_their_gate(client, family):
    """Matching puts the notice on the child's timeline: only a record the officer may open."""
    sign_in(client, family.parent)
    _notify(
        client,
        "another",
        {
            "legal_forenames": "Robin",
            "legal_surname": "Outsidegateqx",
            "date_of_birth_0": "4",
            "date_of_birth_1": "5",
            "date_of_birth_2": "2015",
            "address": "1 High Street, Worthing",
            "postcode": "BN11 1AA",
        },
    )
    notice = ParentSubmission.objects.get(details__child__legal_surname="Outsidegateqx")
    cme_child = CMEEpisodeFactory().child  # the CME team's: an EHE officer's gate does not reach it
    client.logout()
    sign_in(client, family.officer)

    client.post(
        reverse("registry:parent-notice-list"),
        {"submission": notice.pk, "child": str(cme_child.pk)},
    )

    notice.refresh_from_db()
    assert (notice.child, notice.status) == (None, SubmissionStatus.TO_MATCH)


# --- Evidence ------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", EXECUTABLES)
def test_an_upload_named_pdf_whose_content_is_a_program_is_refused_with_a_clear_message(
    client, family, content
):
    """The type is read from the content, never the name (registry/portal/files.py)."""
    sign_in(client, family.parent)

    response = client.post(
        reverse("portal:evidence", args=[family.child.pk]),
        {"method": "samples", "upload": _upload("work.pdf", content)},
    )

    assert response.status_code == 200
    assert UploadMessages.WRONG_TYPE.encode() in response.content.replace(b"&#x27;", b"'")
    assert not EvidenceFile.objects.exists()
    assert not ParentSubmission.objects.exists()


def test_a_pdf_with_script_is_refused(client, family):
    sign_in(client, family.parent)
    scripted = PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript >>")

    response = client.post(
        reverse("portal:evidence", args=[family.child.pk]),
        {"method": "written_report", "upload": _upload("report.pdf", scripted)},
    )

    assert UploadMessages.ACTIVE_PDF.encode() in response.content
    assert not EvidenceFile.objects.exists()


def test_an_upload_over_the_size_limit_is_refused(client, family, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 50
    sign_in(client, family.parent)

    response = client.post(
        reverse("portal:evidence", args=[family.child.pk]),
        {"method": "samples", "upload": _upload("work.pdf", PDF)},
    )

    assert b"must be smaller than" in response.content
    assert not EvidenceFile.objects.exists()


def test_a_pdf_is_kept_privately_recorded_not_scanned_and_read_only_through_the_gates(
    client, family, settings
):
    sign_in(client, family.parent)

    client.post(
        reverse("portal:evidence", args=[family.child.pk]),
        {"method": "written_report", "text": "Our year", "upload": _upload("report.pdf", PDF)},
    )

    kept = EvidenceFile.objects.get()
    assert kept.scan_result == ScanResult.NOT_SCANNED
    assert kept.content_type == "application/pdf"
    assert (settings.PORTAL_PRIVATE_ROOT / kept.stored_name).read_bytes() == PDF
    own = client.get(reverse("portal:evidence-file", args=[family.child.pk, kept.pk]))
    assert b"".join(own.streaming_content) == PDF
    client.logout()
    sign_in(client, family.other_parent)
    assert (
        client.get(reverse("portal:evidence-file", args=[family.child.pk, kept.pk])).status_code
        == 404
    )
    client.logout()
    sign_in(client, family.officer)
    staff = client.get(reverse("registry:parent-evidence-file", args=[family.child.pk, kept.pk]))
    assert b"".join(staff.streaming_content) == PDF
    assert ChildAccessLog.objects.filter(user=family.officer, child=family.child).exists()


def test_a_file_the_scanner_finds_a_threat_in_is_refused(client, family, settings, monkeypatch):
    settings.CLAMAV_SOCKET = "/run/clamav/clamd.ctl"
    monkeypatch.setattr(files, "clamav_scan", lambda content: ("infected", "stream: Eicar FOUND"))
    sign_in(client, family.parent)

    response = client.post(
        reverse("portal:evidence", args=[family.child.pk]),
        {"method": "samples", "upload": _upload("work.pdf", PDF)},
    )

    assert UploadMessages.INFECTED.encode() in response.content
    assert not EvidenceFile.objects.exists()


def test_without_a_reachable_scanner_a_file_is_refused_rather_than_kept_unchecked(
    client, family, settings, tmp_path
):
    settings.CLAMAV_SOCKET = str(tmp_path / "no-such-socket")
    sign_in(client, family.parent)

    response = client.post(
        reverse("portal:evidence", args=[family.child.pk]),
        {"method": "samples", "upload": _upload("work.pdf", PDF)},
    )

    assert UploadMessages.SCAN_FAILED.encode() in response.content
    assert not EvidenceFile.objects.exists()


# --- Replies -------------------------------------------------------------------------------------


def _notice(family, respond_by):
    return EnforcementStep.objects.create(
        episode=family.episode,
        step_type="s437_notice",
        served_on=respond_by - timedelta(days=15),
        respond_by=respond_by,
        recorded_by=family.officer,
    )


def test_a_reply_to_a_notice_before_its_date_is_linked_to_the_notice(client, family):
    """docs/rules/ehe.md §11 and §4: the parent answers a notice until its date."""
    notice = _notice(family, timezone.localdate() + timedelta(days=3))
    sign_in(client, family.parent)

    client.post(
        reverse("portal:reply", args=[family.child.pk]),
        {"about": str(notice.pk), "text": "Here is what we do."},
    )

    reply = ParentSubmission.objects.get(kind="reply")
    assert (reply.enforcement_step, reply.ehe_episode) == (notice, family.episode)


def test_a_notice_whose_date_has_passed_is_not_offered_and_cannot_be_replied_to(client, family):
    notice = _notice(family, timezone.localdate() - timedelta(days=1))
    sign_in(client, family.parent)

    page = client.get(reverse("portal:reply", args=[family.child.pk]))
    response = client.post(
        reverse("portal:reply", args=[family.child.pk]), {"about": str(notice.pk), "text": "Late"}
    )

    assert str(notice.pk).encode() not in page.content
    assert response.status_code == 200
    assert not ParentSubmission.objects.exists()


# --- Complaints ----------------------------------------------------------------------------------


def test_a_complaint_about_the_case_officer_never_goes_to_that_officer(family):
    """docs/rules/ehe.md §11: even when the officer complained about could otherwise handle
    complaints and has the fewest open."""
    officer = family.officer
    officer.role = Role.ADMINISTRATOR
    officer.save()
    lead = UserFactory(role=Role.INCLUSION_LEAD)
    for _ in range(2):
        complaint_make(
            user=family.other_parent,
            child=family.other_child,
            text="Earlier",
            about_case_officer=False,
        )

    made = complaint_make(
        user=family.parent, child=family.child, text="Unannounced visit", about_case_officer=True
    )

    assert made.about_officer == officer
    assert made.handler == lead
    assert made.events.count() == 2


def test_a_complaint_never_goes_to_an_officer_holding_the_childs_case(family):
    family.officer.role = Role.ADMINISTRATOR
    family.officer.save()

    made = complaint_make(
        user=family.parent, child=family.child, text="Letters", about_case_officer=False
    )

    assert made.handler is None  # nobody else handles complaints: an administrator assigns one


def test_the_database_refuses_a_handler_who_is_the_officer_complained_about(family):
    made = complaint_make(
        user=family.parent, child=family.child, text="Visit", about_case_officer=True
    )
    made.handler = made.about_officer

    with pytest.raises(IntegrityError), transaction.atomic():
        made.save()


def test_complaint_deadlines_are_working_days_from_the_rulebook(family, settings):
    """docs/rules/ehe.md §11: complaint_acknowledge_working_days, complaint_respond_working_days."""
    settings.STATUTORY_RULES = (
        '{"complaint_acknowledge_working_days": 2, "complaint_respond_working_days": 10}'
    )
    today = timezone.localdate()

    made = complaint_make(
        user=family.parent, child=family.child, text="X", about_case_officer=False
    )

    assert made.acknowledge_by == add_working_days(today, 2)
    assert made.respond_by == add_working_days(today, 10)


def test_working_days_skip_weekends():
    assert add_working_days(date(2026, 12, 4), 1) == date(2026, 12, 7)  # Friday to Monday
    assert add_working_days(date(2026, 12, 7), 5) == date(2026, 12, 14)


def test_working_days_skip_englands_bank_holidays_and_their_substitute_days():
    """Christmas 2026 falls on a Friday: Boxing Day's holiday moves to Monday 28 December."""
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)  # New Year's Day, weekend
    assert add_working_days(date(2026, 5, 22), 1) == date(2026, 5, 26)  # Spring bank holiday


def test_the_handler_acknowledges_and_answers_and_each_step_is_logged(client, family):
    lead = UserFactory(role=Role.INCLUSION_LEAD)
    made = complaint_make(
        user=family.parent, child=family.child, text="Visit", about_case_officer=True
    )
    sign_in(client, lead)

    page = client.get(reverse("registry:complaint-list"))
    client.post(
        reverse("registry:complaint-list"),
        {"complaint": made.pk, "to_status": "acknowledged", "note": "Letter sent"},
    )
    client.post(
        reverse("registry:complaint-list"),
        {"complaint": made.pk, "to_status": "responded", "note": "Answered"},
    )

    assert b"Visit" in page.content
    made.refresh_from_db()
    assert made.status == "responded"
    assert made.acknowledged_on == made.responded_on == timezone.localdate()
    assert [e.event for e in made.events.all()][-2:] == ["Acknowledged", "Responded to"]


def test_the_officer_complained_about_cannot_see_the_complaint(client, family):
    complaint_make(user=family.parent, child=family.child, text="Secret", about_case_officer=True)
    sign_in(client, family.officer)

    response = client.get(reverse("registry:complaint-list"))

    assert response.status_code == 403


# --- Everything on the timeline ------------------------------------------------------------------


def test_each_thing_a_parent_sends_appears_on_the_childs_timeline(client, family):
    """docs/rules/ehe.md §11: the officer reads it all on the child's file."""
    notice = _notice(family, timezone.localdate() + timedelta(days=3))
    sign_in(client, family.parent)
    _notify(client, str(family.child.pk))
    client.post(
        reverse("portal:evidence", args=[family.child.pk]),
        {"method": "meeting", "text": "A meeting at the library, please"},
    )
    client.post(
        reverse("portal:reply", args=[family.child.pk]),
        {"about": str(notice.pk), "text": "Our reply"},
    )
    client.post(
        reverse("portal:complaint", args=[family.child.pk]),
        {"about_case_officer": "yes", "text": "Complaint text never shown"},
    )

    entries = child_timeline(child_record_get(user=family.officer, child_id=family.child.pk))

    titles = [e.title for e in entries if e.kind in {"parent", "complaint"}]
    assert sorted(titles) == [
        "Parent portal: Complaint made",
        "Parent portal: Replied to the LA",
        "Parent portal: Sent evidence of education",
        "Parent portal: Told the LA they are home educating",
    ]
    assert not any("Complaint text never shown" in e.detail for e in entries)
    assert Complaint.objects.get().about_officer == family.officer
    officer_page = client.get(reverse("registry:child-detail", args=[family.child.pk]))
    assert officer_page.status_code == 404  # the parent is still signed in: no staff record


# --- Staff give a carer a sign-in ---------------------------------------------------------------


def test_an_officer_gives_a_carer_a_sign_in_from_the_childs_record(client, family):
    carer = CarerFactory(child=family.child, full_name="Jo Portalqx", email="")
    sign_in(client, family.officer)
    url = reverse("registry:carer-portal-account", args=[family.child.pk, carer.pk])

    record = client.get(reverse("registry:child-detail", args=[family.child.pk]))
    response = client.post(url, {"email": "Jo@Example.org"})

    assert url.encode() in record.content
    assert response.url == reverse("registry:child-detail", args=[family.child.pk])
    carer.refresh_from_db()
    assert carer.email == "jo@example.org"
    client.logout()
    sign_in(client, User.objects.get(username="jo@example.org"))
    assert family.child.legal_surname in page_text(client.get(reverse("portal:home")))


def test_a_role_that_cannot_change_the_record_cannot_give_a_sign_in(client, family):
    carer = CarerFactory(child=family.child)
    sign_in(client, UserFactory(role=Role.CME_OFFICER))

    response = client.post(
        reverse("registry:carer-portal-account", args=[family.child.pk, carer.pk]),
        {"email": "x@example.org"},
    )

    assert response.status_code == 404
    assert not User.objects.filter(username="x@example.org").exists()


def test_a_staff_address_cannot_become_a_parent_sign_in(family):
    family.officer.username = "officer@example.org"
    family.officer.save()

    with pytest.raises(ValidationError):
        parent_account_create(
            carer=CarerFactory(child=family.child), email="officer@example.org", by=family.officer
        )


# --- Retention -----------------------------------------------------------------------------------


def test_retention_deletes_parents_files_and_clears_what_they_wrote(client, family, settings):
    """docs/rules/data-protection.md §4: with the child's details, the portal's words and files."""
    sign_in(client, family.parent)
    client.post(
        reverse("portal:evidence", args=[family.child.pk]),
        {"method": "written_report", "text": "Alex's report", "upload": _upload("r.pdf", PDF)},
    )
    complaint_make(
        user=family.parent, child=family.child, text="About Alex", about_case_officer=True
    )
    stored = settings.PORTAL_PRIVATE_ROOT / EvidenceFile.objects.get().stored_name

    counts = portal_rows_anonymise(child_ids=[family.child.pk])

    assert counts["parents' files deleted"] == 1
    assert not stored.exists()
    assert not EvidenceFile.history.model.objects.exists()
    submission = ParentSubmission.objects.get()
    assert submission.text == ""
    assert {row.text for row in submission.history.all()} == {""}
    assert Complaint.objects.get().text == ""
    assert {row.text for row in Complaint.history.all()} == {""}


def test_an_administrator_chooses_a_handler_in_the_admin_but_never_the_officer_complained_about(
    client, family
):
    """docs/rules/ehe.md §11: with nobody eligible, an administrator chooses; the officer
    complained about is not offered and is refused."""
    family.officer.role = Role.ADMINISTRATOR
    family.officer.save()
    made = complaint_make(
        user=family.parent, child=family.child, text="Visit", about_case_officer=True
    )
    assert made.handler is None
    # As the register makes administrators: staff, not superusers; the capability table decides.
    administrator = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=False)
    sign_in(client, administrator)
    url = reverse("admin:registry_complaint_change", args=[made.pk])

    refused = client.post(url, {"handler": family.officer.pk})
    chosen = client.post(url, {"handler": administrator.pk})

    assert refused.status_code == 200  # the form again, with the error
    assert chosen.status_code == 302
    made.refresh_from_db()
    assert made.handler == administrator
    assert made.events.last().event == f"Handler: {administrator}"


def test_the_parents_page_offers_the_parents_the_register_holds_for_a_linked_child(client, family):
    sign_in(client, family.parent)
    client.get(reverse("portal:notice-start") + f"?child={family.child.pk}")

    page = client.get(reverse("portal:notice-step", args=["parents"]))

    assert b'value="Alex Portalqx"' in page.content


# --- Letters -------------------------------------------------------------------------------------


def _letter(family, kind, title):
    template, _ = LetterTemplate.objects.get_or_create(
        kind=kind,
        version=1,
        defaults={"title": title, "body": "Dear parent", "statutory_basis": "s.436A"},
    )
    return SentLetter.objects.create(
        child=family.child,
        template=template,
        template_version=1,
        kind=kind,
        title=title,
        recipient_name="Alex Portalqx",
        method="post",
        sent_on=date(2025, 10, 1),
        sent_by=family.officer,
        body_text="Dear parent",
        pdf=b"%PDF-1.4 the letter",
        pdf_sha256="0" * 64,
    )


def test_a_parent_sees_and_downloads_the_letters_sent_to_the_family_and_no_others(client, family):
    """docs/rules/ehe.md §11: the letters sent to the family; an enquiry to another LA is not."""
    sent = _letter(family, LetterKind.EHE_ACKNOWLEDGEMENT, "Thank you for telling us")
    other_la = _letter(family, LetterKind.CME_OTHER_LA, "Enquiry to another authority")
    sign_in(client, family.parent)

    page = client.get(reverse("portal:child", args=[family.child.pk]))
    download = client.get(reverse("portal:letter", args=[family.child.pk, sent.pk]))
    hidden = client.get(reverse("portal:letter", args=[family.child.pk, other_la.pk]))

    assert b"Thank you for telling us" in page.content
    assert b"Enquiry to another authority" not in page.content
    assert download.content == b"%PDF-1.4 the letter"
    assert hidden.status_code == 404
    client.logout()
    sign_in(client, family.other_parent)
    assert client.get(reverse("portal:letter", args=[family.child.pk, sent.pk])).status_code == 404


def test_ids_that_are_not_ids_are_not_found_rather_than_errors(client, family):
    sign_in(client, family.parent)
    start = client.get(reverse("portal:notice-start") + "?child=not-an-id")
    client.logout()
    sign_in(client, family.officer)
    notices = client.post(reverse("registry:parent-notice-list"), {"submission": "x"})

    assert start.url == reverse("portal:notice-step", args=["child"])
    assert notices.status_code == 404
