"""The children-not-in-school register in a real headless Chromium, with axe on every page, as
users who have only the page to go on (ADR 0016): an EHE officer finds the register in the
navigation, opens a child's entry, asks for an update and a visit, and records the visit; the
parent answers the update in the portal."""

import os
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from registry.cnis.services import cnis_register_keep
from registry.models import CNISRequestStatus, Role
from registry.portal.services import parent_account_create, sign_in_link
from tests.factories import CarerFactory, EHEEpisodeFactory, UserFactory
from tests.test_accessibility import _findings, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def registered_family(db, settings, tmp_path):
    settings.STATUTORY_RULES = '{"cnis_register_commenced_on": "2026-09-01"}'
    settings.PORTAL_PRIVATE_ROOT = tmp_path / "private"
    settings.CLAMAV_SOCKET = ""
    officer = UserFactory(role=Role.EHE_OFFICER, username="register-officer")
    episode = EHEEpisodeFactory(
        assigned_officer=officer,
        child__legal_forenames="Juniper",
        child__legal_surname="Browserqx",
        start_date=date(2026, 10, 1),
        estimated_hours_from_parents=Decimal("15"),
    )
    carer = CarerFactory(child=episode.child, full_name="Kit Browserqx", is_educating=True)
    parent = parent_account_create(carer=carer, email="kit@example.org", by=officer)
    cnis_register_keep(on=date(2026, 12, 5))
    return episode.child, parent


def _submit(page):
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def _fill_date(page, name, day, month, year):
    page.fill(f"input[name={name}_0]", day)
    page.fill(f"input[name={name}_1]", month)
    page.fill(f"input[name={name}_2]", year)


def test_an_officer_and_a_parent_keep_the_register_with_no_serious_accessibility_violations(
    browser_page, live_server, registered_family
):
    child, parent = registered_family
    page, findings = browser_page, []

    def check():
        findings.extend(_findings(page))

    _sign_in(page, live_server, "register-officer")
    page.click("nav a:has-text('CNIS register')")
    assert "Children not in school register" in page.inner_text("h1")
    check()
    page.click("main a:has-text('Juniper Browserqx')")
    assert "What the register holds" in page.inner_text("main")
    check()

    page.click("main a:has-text('Ask the parents to update')")
    check()
    _submit(page)
    assert "Request recorded as sent" in page.inner_text("main")
    page.click("main a:has-text('Ask for a home visit')")
    _submit(page)
    check()

    page.click("main a:has-text('Record the outcome of the request for a home visit')")
    _submit(page)  # nothing chosen: the error summary
    assert "There is a problem" in page.inner_text("main")
    check()
    page.check("input[name=status][value=visited]")
    _fill_date(page, "visit_on", "6", "12", "2026")
    page.fill("textarea[name=outcome]", "Saw Juniper's nature diary")
    _submit(page)
    assert "Visit took place" in page.inner_text("main")
    check()

    page.context.clear_cookies()
    link = sign_in_link(user=parent, base_url=live_server.url + reverse("portal:sign-in-link"))
    page.goto(link)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.click(f"main a:has-text('{child.legal_forenames}')")
    check()
    page.click("main a:has-text('Update what the council holds')")
    check()
    page.fill("input[name=hours_from_parents]", "")
    _submit(page)
    assert "Enter an estimate of the hours a week, or 0" in page.inner_text("main")
    check()
    page.fill("input[name=hours_from_parents]", "18")
    page.fill("input[name=hours_from_others]", "4")
    _submit(page)
    assert "You have sent your answer" in page.inner_text("main")
    check()

    registration = child.cnis_registrations.get()
    assert registration.hours_from_parents == Decimal("18")
    statuses = sorted(registration.requests.values_list("status", flat=True))
    assert statuses == sorted([CNISRequestStatus.ANSWERED, CNISRequestStatus.VISITED])
    assert findings == []
