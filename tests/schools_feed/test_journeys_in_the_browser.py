"""The schools feed walked in a real headless Chromium, as a school's data manager or an officer
who has only the pages to go on: send the app's own template, find it again, fix what the forms
say, and decide which child a death return is about."""

import csv
import io
import os
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.dates import date_words
from registry.models import Child, EHEStatus, Role
from schools_feed.models import NotificationStatus
from tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    EHEEpisodeFactory,
    NotificationFactory,
    SchoolFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Playwright's own event loop must not trip Django's async-safety check in the live server thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser_page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return browser_page


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def nav(page, text):
    page.get_by_role("navigation").get_by_role("link", name=text).first.click()
    page.wait_for_load_state()


def filled_template(page, tmp_path, rows) -> str:
    """Download the deletion return's CSV template from the Send returns page and fill it in."""
    nav(page, "Send returns")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV template for deletion return").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    headers = next(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for values in rows:
        writer.writerow([values.get(heading, "") for heading in headers])
    path = tmp_path / "deletions.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def pupil(surname, forename="Maisie", ground="9(1)(g)"):
    return {
        "Legal forename": forename,
        "Legal surname": surname,
        "Date of birth": "14/03/2015",
        "Sex": "F",
        "Address line 1": "1 High St",
        "Postcode": "RH10 1AA",
        "Parent 1 full name": f"Jane {surname}",
        "Parent 1 emergency phone": "07700900123",
        "Ground for deletion": ground,
        "Date of deletion": timezone.localdate().strftime("%d/%m/%Y"),
        "New address": "4 Mill Lane, Leeds",
    }


def test_a_school_sends_the_apps_own_template_and_finds_it_in_its_paged_lists(
    page, live_server, tmp_path
):
    school = SchoolFactory(name="Fenbridge Primary")
    user = UserFactory(username="data-manager", role=Role.SCHOOL_USER)
    user.schools.add(school)
    earlier = SubmissionFactory(school=school)
    NotificationFactory.create_batch(50, school=school, submission=earlier)
    sign_in(page, live_server, user.username)

    path = filled_template(page, tmp_path, [pupil("Ainsworth")])
    page.get_by_role("link", name="Upload a file").first.click()
    # One school: shown, never asked for.
    assert page.locator("#id_school").count() == 0
    assert "Fenbridge Primary" in page.locator("main").inner_text()
    page.set_input_files("#id_file", path)
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Check your file before you send it").is_visible()
    assert "Maisie Ainsworth" in page.locator("main").inner_text()  # whom they are sending
    page.get_by_role("button", name="Send to the local authority").click()
    page.wait_for_load_state()
    assert "1 notifications imported" in page.locator("body").inner_text()

    nav(page, "Files and forms sent")
    assert "deletions.csv" in page.locator("main").inner_text()
    nav(page, "Your returns")
    assert page.get_by_role("heading", name="Your school's returns").is_visible()
    assert "51 notifications" in page.locator("main").inner_text()
    assert "Ainsworth" in page.locator("main").inner_text()  # newest first
    page.get_by_role("link", name="Next page").click()
    page.wait_for_load_state()
    assert page.locator("main table tbody tr").count() == 1
    page.select_option("#kind", "new_pupil")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "0 notifications" in page.locator("main").inner_text()


def test_a_trust_is_asked_for_the_school_and_hears_every_problem_at_once(
    page, live_server, tmp_path
):
    school = SchoolFactory(name="Fenbridge Primary")
    user = UserFactory(username="trust-manager", role=Role.SCHOOL_USER)
    user.schools.add(school, SchoolFactory(name="Marshfield Academy"))
    sign_in(page, live_server, user.username)

    # The template has no school column: leaving the School blank is refused on the form.
    path = filled_template(page, tmp_path, [pupil("Ainsworth"), pupil("Jones", ground="zz")])
    page.get_by_role("link", name="Upload a file").first.click()
    page.set_input_files("#id_file", path)
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert "Choose the school" in summary.inner_text()
    assert summary.get_by_role("link").first.get_attribute("href") == "#id_school"
    choice = page.locator("#id_school option", has_text="Fenbridge Primary")
    page.select_option("#id_school", choice.get_attribute("value"))
    page.set_input_files("#id_file", path)
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()

    # Sending a file with an error row without ticking the declaration: the error summary.
    page.get_by_role("button", name="Send to the local authority").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert summary.get_by_role("link").first.get_attribute("href") == "#id_accept_valid_rows"
    assert page.locator("#id_accept_valid_rows-error").is_visible()
    page.check("#id_accept_valid_rows")
    page.get_by_role("button", name="Send to the local authority").click()
    page.wait_for_load_state()
    assert "1 notifications imported" in page.locator("body").inner_text()
    nav(page, "Files and forms sent")
    assert "Fenbridge Primary" in page.locator("main table").inner_text()

    # The one-pupil form: the school and the notice date in one round.
    nav(page, "Send returns")
    page.get_by_role("link", name="Deletion return", exact=True).click()
    page.fill("#id_legal_forenames", "Tom")
    page.fill("#id_legal_surname", "Smith")
    page.select_option("#id_ground", "9(1)(f)")
    today = timezone.localdate()
    page.fill("#id_deletion_date_0", str(today.day))
    page.fill("#id_deletion_date_1", str(today.month))
    page.fill("#id_deletion_date_2", str(today.year))
    page.get_by_role("button", name="Send to the local authority").click()
    page.wait_for_load_state()
    errors = page.locator(".govuk-error-summary").inner_text()
    assert "Choose the school" in errors
    assert "parent's written notice" in errors


def test_an_officer_sees_a_death_return_for_what_it_is_and_the_record_shows_the_death(
    page, live_server
):
    officer = UserFactory(username="ehe-officer", role=Role.EHE_OFFICER)
    episode = EHEEpisodeFactory(
        child=ChildFactory(legal_forenames="Amelia", legal_surname="Hartley"),
        assigned_officer=officer,
        start_date=date(2025, 9, 1),
    )
    child = episode.child
    school = SchoolFactory(name="Fenbridge Primary")
    NotificationFactory(
        school=school,
        submission=SubmissionFactory(school=school),
        legal_forenames="Amelia",
        legal_surname="Hartly",
        date_of_birth=child.date_of_birth,
        ground="k",
        deletion_date=timezone.localdate(),
        address="12 Orchard Way",
        postcode="RH10 1AA",
        parents=[{"name": "Rosa Hartley", "relationship": "Mother", "phone": "07700900456"}],
        status=NotificationStatus.REVIEW,
        match_candidates=[{"child": str(child.pk), "score": 0.8, "evidence": ["Surname similar"]}],
    )
    sign_in(page, live_server, officer.username)
    nav(page, "Returns to match")
    page.get_by_role("link", name="Amelia Hartly").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    for shown in ("9(1)(k) Has died", "12 Orchard Way", "RH10 1AA", "Rosa Hartley", "07700900456"):
        assert shown in main, shown
    assert "This return says the child has died" in main
    page.get_by_label(f"Amelia Hartley, born {date_words(child.date_of_birth)}").check()
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_load_state()
    assert "The death of Amelia Hartley is recorded" in page.locator("body").inner_text()

    page.goto(f"{live_server.url}{reverse('registry:child-detail', args=[child.pk])}")
    banner = page.locator(".govuk-notification-banner", has_text="Died")
    assert "Amelia Hartley has died" in banner.inner_text()
    nav(page, "Home")
    assert "Amelia Hartley has died" in page.locator("main").inner_text()  # the officer's action
    assert Child.objects.get(pk=child.pk).date_of_death == timezone.localdate()
    episode.refresh_from_db()
    assert episode.status == EHEStatus.CLOSED
