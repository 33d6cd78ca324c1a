"""The parent portal end to end in a real headless Chromium, with axe on every page: a parent
asks for a link, signs in with it, tells the council about home education, sends evidence,
replies and complains; the officer then sees each on the child's timeline (ADR 0014)."""

import os
import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from registry.models import ParentSubmission, Role, User
from registry.portal.services import complaint_make, parent_account_create
from registry.selectors import child_record_get
from registry.timeline import child_timeline
from tests.factories import CarerFactory, ChildFactory, EHEEpisodeFactory, UserFactory
from tests.test_accessibility import _findings, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def family(db, settings, tmp_path):
    settings.PORTAL_PRIVATE_ROOT = tmp_path / "private"
    settings.CLAMAV_SOCKET = ""
    officer = UserFactory(role=Role.EHE_OFFICER, username="browser-officer")
    UserFactory(role=Role.INCLUSION_LEAD, username="complaints-lead")
    episode = EHEEpisodeFactory(assigned_officer=officer, child__legal_forenames="Robin")
    carer = CarerFactory(child=episode.child, full_name="Alex Browserqx")
    parent_account_create(carer=carer, email="alex@example.org", by=officer)
    return episode.child


def _continue(page):
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def test_a_parent_signs_in_and_sends_everything_with_no_serious_accessibility_violations(
    browser_page, live_server, family, tmp_path
):
    page, findings = browser_page, []

    def check():
        findings.extend(_findings(page))

    page.goto(f"{live_server.url}{reverse('portal:start')}")
    check()
    page.click("text=Start now")
    check()
    _continue(page)  # nothing typed: the error summary
    check()
    page.fill("input[name=email]", "alex@example.org")
    _continue(page)
    assert "Check your email" in page.inner_text("h1")
    check()
    link = re.search(r"http\S+", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    check()
    _continue(page)
    assert "Your children" in page.inner_text("h1")
    check()

    page.click("main a.govuk-button:has-text('Tell your council')")
    page.check(f"input[name=child][value='{family.pk}']")
    check()
    _continue(page)
    page.fill("input[name=parent_1_name]", "Alex Browserqx")
    page.fill("input[name=parent_1_address]", "1 High Street, Worthing BN11 1AA")
    page.check("input[name=parent_1_educates]")
    check()
    _continue(page)
    check()
    _continue(page)  # no other providers
    page.check("input[name=already_started][value=yes]")
    page.fill("input[name=starts_on_0]", "1")
    page.fill("input[name=starts_on_1]", "9")
    page.fill("input[name=starts_on_2]", "2025")
    check()
    _continue(page)
    assert "Check your answers" in page.inner_text("h1")
    check()
    _continue(page)
    assert "You have told your council" in page.inner_text("h1")
    check()

    page.click("text=Back to your child's page")
    check()
    page.click("text=Show us your child's education")
    check()
    page.check("input[name=method][value=written_report]")
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    page.set_input_files("input[name=upload]", str(report))
    _continue(page)
    assert "You have sent information" in page.inner_text("h1")
    check()

    page.goto(f"{live_server.url}{reverse('portal:reply', args=[family.pk])}")
    check()
    page.fill("textarea[name=text]", "We are happy to meet at the library.")
    _continue(page)
    check()

    page.goto(f"{live_server.url}{reverse('portal:complaint', args=[family.pk])}")
    check()
    page.check("input[name=about_case_officer][value=yes]")
    page.fill("textarea[name=text]", "A visit was arranged without asking us.")
    _continue(page)
    assert "You have made a complaint" in page.inner_text("h1")
    check()

    page.goto(f"{live_server.url}{reverse('portal:child', args=[family.pk])}")
    check()
    assert "report.pdf" in page.inner_text("main")
    assert findings == []
    officer = User.objects.get(username="browser-officer")
    timeline = child_timeline(child_record_get(user=officer, child_id=family.pk))
    assert [e.kind for e in timeline].count("parent") == 3
    assert [e.kind for e in timeline].count("complaint") == 1


def test_the_staff_pages_for_what_parents_send_have_no_serious_accessibility_violations(
    browser_page, live_server, family
):
    parent = User.objects.get(username="alex@example.org")
    ParentSubmission.objects.create(
        kind="notice",
        status="to_match",
        details={"child": {"legal_forenames": "Sam", "legal_surname": "Unmatchedqx"}},
        submitted_by=parent,
    )
    complaint_make(user=parent, child=family, text="A visit", about_case_officer=True)
    page, findings = browser_page, []

    _sign_in(page, live_server, "browser-officer")
    page.goto(f"{live_server.url}{reverse('registry:parent-notice-list')}")
    assert "Unmatchedqx" in page.inner_text("main")
    findings += _findings(page)
    page.goto(f"{live_server.url}{reverse('registry:child-detail', args=[family.pk])}")
    findings += _findings(page)
    page.context.clear_cookies()
    _sign_in(page, live_server, "complaints-lead")
    page.goto(f"{live_server.url}{reverse('registry:complaint-list')}")
    assert "A visit" in page.inner_text("main")
    findings += _findings(page)

    assert findings == []


def test_a_new_family_makes_an_account_and_the_officer_makes_the_childs_record_from_the_notice(
    browser_page, live_server, family
):
    """A parent the council does not know: creates an account (errors first), signs in by the
    emailed link, tells the council about a child it does not hold; the officer sees the records
    suggested and makes a new one. Axe on every page."""
    ChildFactory(legal_forenames="Wren", legal_surname="Newfamilyq", date_of_birth=date(2016, 2, 3))
    page, findings = browser_page, []

    def check():
        findings.extend(_findings(page))

    page.goto(f"{live_server.url}{reverse('portal:start')}")
    page.click("text=Create an account")
    check()
    _continue(page)
    assert "Enter your full name" in page.inner_text("main")
    check()
    page.fill("input[name=full_name]", "Jo Newfamilyqx")
    page.fill("input[name=email]", "jo@example.org")
    _continue(page)
    assert "Check your email" in page.inner_text("h1")
    link = re.search(r"http\S+", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    _continue(page)
    assert "has not linked any children" in page.inner_text("main")
    check()

    page.click("main a.govuk-button:has-text('Tell your council')")
    page.check("input[name=child][value=another]")
    _continue(page)
    page.fill("input[name=legal_forenames]", "Wren")
    page.fill("input[name=legal_surname]", "Newfamilyqx")
    page.fill("input[name=date_of_birth_0]", "3")
    page.fill("input[name=date_of_birth_1]", "2")
    page.fill("input[name=date_of_birth_2]", "2016")
    page.fill("input[name=address]", "4 Orchard Way, Worthing")
    page.fill("input[name=postcode]", "BN11 3CC")
    _continue(page)
    page.fill("input[name=parent_1_name]", "Jo Newfamilyqx")
    page.fill("input[name=parent_1_address]", "4 Orchard Way, Worthing BN11 3CC")
    _continue(page)
    _continue(page)  # no other providers
    page.check("input[name=already_started][value=yes]")
    page.fill("input[name=starts_on_0]", "2")
    page.fill("input[name=starts_on_1]", "11")
    page.fill("input[name=starts_on_2]", "2026")
    _continue(page)
    _continue(page)
    assert "You have told your council" in page.inner_text("h1")

    page.context.clear_cookies()
    _sign_in(page, live_server, "browser-officer")
    page.goto(f"{live_server.url}{reverse('registry:parent-notice-list')}")
    assert "Wren Newfamilyq, born 3 Feb 2016" in page.inner_text("main")
    check()
    page.click("button:has-text('Not on the register: make a new record')")
    page.wait_for_load_state()
    assert "Wren Newfamilyqx" in page.inner_text("h1")
    check()
    assert findings == []
