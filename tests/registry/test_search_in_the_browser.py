"""Register search walked in a real headless Chromium by a new EHE officer with only the page to
go on: a postcode's first half, then a surname typed with a letter missing; axe checks the page
each time."""

import os
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from registry.models import Role
from registry.postcodes import POSTCODE_SEARCH_HINT
from tests.factories import (
    TEST_PASSWORD,
    AddressFactory,
    ChildFactory,
    EHEEpisodeFactory,
    SchoolFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SERIOUS = {"serious", "critical"}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Playwright's own event loop must not trip Django's async-safety check in the live server thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser_page):
    return browser_page


def serious_violations(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


def search(page, **typed) -> None:
    for label, value in typed.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()


def result_rows(page) -> list[str]:
    return [
        " | ".join(cell.strip() for cell in row.locator("td").all_inner_texts())
        for row in page.locator("table tbody tr").all()
    ]


def test_a_new_officer_finds_children_by_postcode_district_and_by_a_misspelt_surname(
    page, live_server
):
    school = SchoolFactory(name="Hazelwick School")
    amelia = ChildFactory(
        legal_forenames="Amelia", legal_surname="Ainsworth", date_of_birth=date(2013, 4, 2)
    )
    AddressFactory(child=amelia, postcode="RH10 6AB")
    EHEEpisodeFactory(child=amelia, previous_school=school)
    namesake = ChildFactory(legal_forenames="Amelia", legal_surname="Ainsworth")
    AddressFactory(child=namesake, postcode="GU29 9AA")
    AddressFactory(child=ChildFactory(legal_surname="Barlow"), postcode="RH11 7XY")
    UserFactory(username="new-officer", role=Role.EHE_OFFICER)

    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", "new-officer")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.get_by_role("navigation").get_by_role("link", name="Register search").first.click()
    page.wait_for_load_state()
    violations = serious_violations(page)
    assert POSTCODE_SEARCH_HINT in page.inner_text("main")

    search(page, Postcode="rh10")
    violations += serious_violations(page)
    assert "rh10" not in page.url
    assert page.get_by_role("heading", name="1 child found").is_visible()
    assert result_rows(page) == [
        "Amelia Ainsworth | 2 Apr 2013 | – | RH10 6AB | Hazelwick School | EHE: Notified"
    ]

    search(page, Postcode="", Name="ainsworh")
    violations += serious_violations(page)
    assert "ainsworh" not in page.url
    assert "No exact match for “ainsworh”; showing similar names" in page.inner_text("main")
    rows = result_rows(page)
    assert len(rows) == 2
    assert {row.split(" | ")[3] for row in rows} == {"RH10 6AB", "GU29 9AA"}
    assert all(row.startswith("Amelia Ainsworth Similar name") for row in rows)
    assert violations == []
