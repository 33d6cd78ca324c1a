"""The pages issues 13 (the statutory rulebook) and 14 (matching) added, walked in a real headless
Chromium as a user with only the page to go on: links and buttons found by their visible text,
what the page says asserted, and axe run on each page reached (tests/test_accessibility.py)."""

import datetime
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from registry.lifecycle import LifecycleErrors
from registry.models import (
    CMESource,
    CMEStatus,
    ConsentS434A,
    EHEEpisode,
    FlagType,
    Role,
    SafeguardingAlert,
    Term,
)
from registry.services import episodes as episode_services
from schools_feed.models import (
    Channel,
    DestinationCheck,
    DestinationCheckStatus,
    JointEnquiry,
    NotificationKind,
)
from schools_feed.services import intake
from tests import test_accessibility as a11y
from tests.factories import (
    AddressFactory,
    ChildFactory,
    ChildFlagFactory,
    CMEEpisodeFactory,
    SchoolFactory,
    UserFactory,
)
from tests.schools_feed.returns import csv_file, row

_findings, _sign_in = a11y._findings, a11y._sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
TODAY = timezone.localdate()
DATA = Path(__file__).parent / "registry" / "data"
COMMENCED = '{"consent_s434a_commenced_on": "2026-01-01"}'
PUPIL = {
    "upn": "V801200009001",
    "legal_surname": "Ashdown",
    "legal_forenames": "Maisie",
    "date_of_birth": "2013-05-20",
    "sex": "F",
    "address_line_1": "3 Orchard Row",
    "postcode": "CB7 4QT",
    "parent_1_name": "Lydia Ashdown",
    "parent_1_phone": "07700900411",
}


@pytest.fixture
def school(db):
    return SchoolFactory(urn="999101", laestab="8732999", is_local=True, name="Fenbridge Primary")


def _send(school, **values):
    """A return from the school's web form, as tests/schools_feed/test_ground_rules.py sends."""
    submission, _ = intake.notification_submit(
        school=school,
        by=None,
        channel=Channel.WEB_FORM,
        return_type=NotificationKind.DELETION,
        values={**PUPIL, **values},
    )
    return submission.notifications.get()


def _fill_date(page, legend: str, day: date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _click(page, role: str, name: str, **kwargs) -> None:
    page.get_by_role(role, name=name, **kwargs).first.click()
    page.wait_for_load_state()


def _error_summary_links_reach_their_fields(page) -> bool:
    """Every link in the error summary names a field on the page (GOV.UK error summary)."""
    targets = page.eval_on_selector_all(
        ".govuk-error-summary a", "links => links.map(link => link.getAttribute('href'))"
    )
    return bool(targets) and all(
        page.locator(f"[id='{target.removeprefix('#')}']").count() == 1 for target in targets
    )


def _sign_out(page) -> None:
    page.context.clear_cookies()


def test_the_administrator_and_the_inclusion_lead_reach_the_rules_in_force_from_the_footer(
    browser_page, live_server, settings
):
    """The rulebook's values as the LA set them, with their sources (registry/rulebook.py;
    the s.437 period, docs/rules/ehe.md §4)."""
    settings.STATUTORY_RULES = '{"s437_response_days": 21}'
    UserFactory(username="rules-admin", role=Role.ADMINISTRATOR)
    UserFactory(username="rules-lead", role=Role.INCLUSION_LEAD)
    page = browser_page
    violations = []
    for username in ("rules-admin", "rules-lead"):
        _sign_out(page)
        _sign_in(page, live_server, username)
        _click(page, "link", "Rules in force")

        assert page.get_by_role("heading", level=1).inner_text() == "Rules in force"
        table = page.get_by_role("table", name="Rules in force")
        assert "s.437(1) notice: time the parent has to respond" in table.inner_text()
        assert "21 days" in table.inner_text()
        assert "docs/rules/ehe.md §4" in table.inner_text()
        violations += _findings(page)

    assert violations == []


def test_the_administrator_imports_term_dates_after_correcting_a_bad_file(
    browser_page, live_server
):
    """A file with a problem changes nothing and says where the problem is; the corrected file
    loads its terms (docs/rules/registration.md §5.3)."""
    UserFactory(username="calendar-admin", role=Role.ADMINISTRATOR)
    page = browser_page
    _sign_in(page, live_server, "calendar-admin")
    _click(page, "link", "School calendar")
    assert "No terms are loaded" in page.inner_text("main")
    violations = _findings(page)

    page.get_by_label("Term dates").set_input_files(str(DATA / "calendar_terms_bad.csv"))
    _click(page, "button", "Import term dates")

    summary = page.locator(".govuk-error-summary")
    assert "nothing was imported" in summary.inner_text()
    assert "Row 3" in summary.inner_text()
    assert "First day" in summary.inner_text()
    assert "31/02/2026" in summary.inner_text()
    assert page.title().startswith("Error: ")
    assert _error_summary_links_reach_their_fields(page)
    problems = page.get_by_role("table", name="problem(s) found")
    assert "31/02/2026" in problems.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_terms-file"
    assert Term.objects.count() == 0
    violations += _findings(page)

    page.get_by_label("Term dates").set_input_files(str(DATA / "calendar_terms.csv"))
    _click(page, "button", "Import term dates")

    assert "6 added" in page.inner_text(".govuk-notification-banner")
    terms = page.get_by_role("table", name="Terms from last year on")
    assert "Summer 2 2026" in terms.inner_text()
    assert "22 July 2026" in terms.inner_text()
    violations += _findings(page)
    assert violations == []


def test_a_school_opens_a_joint_enquiry_and_the_cme_officer_sees_it_from_notifications(
    browser_page, live_server, school
):
    """A school opens a joint enquiry before deleting a pupil on an absence ground, and the LA's
    CME officers see it (docs/rules/registration.md §5)."""
    school_user = UserFactory(username="enquiry-school", role=Role.SCHOOL_USER)
    school_user.schools.add(school)
    UserFactory(username="enquiry-cme", role=Role.CME_OFFICER)
    page = browser_page
    _sign_in(page, live_server, "enquiry-school")
    _click(page, "link", "Joint enquiries")
    assert "No joint enquiries yet" in page.inner_text("main")
    violations = _findings(page)

    _click(page, "link", "Open a joint enquiry")
    violations += _findings(page)
    _click(page, "button", "Open the joint enquiry")
    assert page.locator(".govuk-error-summary").count() == 1
    assert _error_summary_links_reach_their_fields(page)
    violations += _findings(page)

    page.get_by_label("UPN").fill(PUPIL["upn"])
    page.get_by_label("Legal forename").fill("Maisie")
    page.get_by_label("Legal surname").fill("Ashdown")
    _fill_date(page, "Date of birth", date(2013, 5, 20))
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_label("Address line 1").fill(PUPIL["address_line_1"])
    page.get_by_label("Postcode").fill(PUPIL["postcode"])
    page.get_by_label("Parent 1 full name").fill(PUPIL["parent_1_name"])
    page.get_by_label("Parent 1 emergency phone").fill(PUPIL["parent_1_phone"])
    _fill_date(page, "Last day the pupil attended", TODAY - timedelta(days=30))
    page.get_by_label("Letter to the home address").check()
    _fill_date(page, "Date it was done", TODAY)
    page.get_by_label("What happened").fill("Letter sent to the home address")
    _click(page, "button", "Open the joint enquiry")

    assert "Joint enquiry opened and sent to the local authority" in page.inner_text("main")
    assert "Letter sent to the home address" in page.inner_text("main")
    violations += _findings(page)
    _click(page, "link", "Back")
    assert "Maisie Ashdown" in page.get_by_role("table", name="Joint enquiries").inner_text()
    assert JointEnquiry.objects.count() == 1

    _sign_out(page)
    _sign_in(page, live_server, "enquiry-cme")
    _click(page, "link", "Notifications")
    _click(page, "link", "joint enquiry", exact=True)
    listing = page.get_by_role("table", name="Joint enquiries").inner_text()
    assert "Maisie Ashdown" in listing
    assert "Fenbridge Primary" in listing
    violations += _findings(page)
    _click(page, "link", "Maisie Ashdown")
    assert "Letter sent to the home address" in page.inner_text("main")
    violations += _findings(page)

    assert violations == []


def test_a_cme_officer_confirms_a_pupil_arrived_at_a_destination_outside_the_la(
    browser_page, live_server, school
):
    """A destination outside the LA waits for an officer, who records how they know the pupil
    arrived (docs/rules/registration.md §6.2)."""
    UserFactory(username="arrival-cme", role=Role.CME_OFFICER)
    elsewhere = SchoolFactory(
        urn="888101", la_code="201", la_name="City of London", is_local=False, name="Gresham School"
    )
    deletion = _send(
        school,
        ground="a",
        deletion_date=(TODAY - timedelta(days=5)).isoformat(),
        destination_urn=elsewhere.urn,
    )
    page = browser_page
    _sign_in(page, live_server, "arrival-cme")
    _click(page, "link", "Notifications")
    _click(page, "link", "Maisie Ashdown")
    _click(page, "link", "Confirm the pupil arrived at")
    assert "Confirm the pupil arrived at" in page.get_by_role("heading", level=1).inner_text()
    violations = _findings(page)

    _click(page, "button", "Confirm the arrival")
    summary = page.locator(".govuk-error-summary")
    assert "Enter how you know the pupil arrived" in summary.inner_text()
    assert _error_summary_links_reach_their_fields(page)
    violations += _findings(page)

    page.get_by_label("How do you know the pupil arrived?").fill(
        "The new school's admissions officer confirmed by email"
    )
    _click(page, "button", "Confirm the arrival")

    assert DestinationCheck.objects.get(deletion=deletion).status == (
        DestinationCheckStatus.CONFIRMED
    )
    assert page.get_by_role("link", name="Confirm the pupil arrived at").count() == 0
    violations += _findings(page)
    assert violations == []


def test_an_ehe_officer_records_the_s434a_consent_from_the_childs_record(
    browser_page, live_server, school, settings
):
    """Once s.434A commences, a withdrawal of a child on a child protection plan waits for the
    LA's consent, recorded from the child's record (docs/rules/ehe.md §5)."""
    settings.STATUTORY_RULES = COMMENCED
    child = ChildFactory(
        upn=PUPIL["upn"],
        legal_forenames="Maisie",
        legal_surname="Ashdown",
        date_of_birth=date(2013, 5, 20),
    )
    ChildFlagFactory(child=child, flag_type=FlagType.CHILD_PROTECTION_PLAN)
    _send(
        school,
        ground="f",
        deletion_date=(TODAY - timedelta(days=2)).isoformat(),
        parent_notice_date=(TODAY - timedelta(days=4)).isoformat(),
    )
    UserFactory(username="consent-ehe", role=Role.EHE_OFFICER)
    page = browser_page
    _sign_in(page, live_server, "consent-ehe")
    _click(page, "link", "Register search")
    page.get_by_label("Name", exact=True).fill("Ashdown")
    _click(page, "button", "Search", exact=True)
    _click(page, "link", "Maisie Ashdown")
    _click(page, "link", "Record consent")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Record the local authority's consent to withdraw (s.434A)"
    assert "Why consent is needed" in page.inner_text("main")
    violations = _findings(page)

    _click(page, "button", "Save")
    assert page.locator(".govuk-error-summary").count() == 1
    assert _error_summary_links_reach_their_fields(page)
    violations += _findings(page)
    page.get_by_label("Consent given").check()
    _fill_date(page, "Date of the decision", TODAY)
    page.get_by_label("Reason for the decision").fill("Social worker consulted; plan in place")
    _click(page, "button", "Save")

    assert "Consent decision recorded" in page.inner_text("main")
    assert EHEEpisode.objects.get(child=child).consent_s434a == ConsentS434A.GIVEN
    assert page.get_by_role("link", name="Record consent").count() == 0
    violations += _findings(page)
    assert violations == []


def test_a_cme_officer_acknowledges_a_safeguarding_alert_on_the_home_page(
    browser_page, live_server
):
    """A safeguarding alert stays on the officer's home page until acknowledged
    (docs/rules/cme.md §6)."""
    officer = UserFactory(username="alert-cme", role=Role.CME_OFFICER)
    child = ChildFactory(legal_forenames="Maisie", legal_surname="Safeguardqx")
    ChildFlagFactory(child=child, flag_type=FlagType.SECTION_47_ENQUIRY)
    episode_services.cme_episode_open(
        child=child,
        by=officer,
        start_date=TODAY,
        source=CMESource.SCHOOL_REFERRAL,
        missing_since=TODAY,
        assigned_officer=officer,
    )
    page = browser_page
    _sign_in(page, live_server, "alert-cme")
    banner = page.get_by_role("region", name="Safeguarding alerts")
    assert "1 safeguarding alert to acknowledge" in banner.inner_text()
    assert "Maisie Safeguardqx" in banner.inner_text()
    violations = _findings(page)

    banner.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()

    assert page.get_by_role("region", name="Safeguarding alerts").count() == 0
    assert SafeguardingAlert.objects.get(child=child).acknowledged_by == officer
    violations += _findings(page)
    assert violations == []


def test_a_bare_close_of_a_cme_case_is_refused_and_a_manager_closes_it_with_a_decision(
    browser_page, live_server
):
    """A CME case closes on an outcome that found the child, or on a manager's recorded decision
    (docs/rules/cme.md §7)."""
    episode = CMEEpisodeFactory(start_date=date(2025, 9, 1))
    child = episode.child
    UserFactory(username="close-cme", role=Role.CME_OFFICER)
    UserFactory(username="close-admin", role=Role.ADMINISTRATOR)
    record = f"{live_server.url}{reverse('registry:child-detail', args=[child.pk])}"
    page = browser_page
    _sign_in(page, live_server, "close-cme")
    page.goto(record)
    _click(page, "link", "Change status")
    page.get_by_label("Closed", exact=True).check()
    page.get_by_label("Reason for the change").fill("No longer needed")
    _click(page, "button", "Save")

    summary = page.locator(".govuk-error-summary")
    assert LifecycleErrors.CME_CLOSE_NEEDS_OUTCOME in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "status"
    violations = _findings(page)

    _sign_out(page)
    _sign_in(page, live_server, "close-admin")
    page.goto(record)
    _click(page, "link", "Change status")
    page.get_by_label("Closed", exact=True).check()
    page.get_by_label("Reason for the change").fill("Enquiries exhausted")
    _click(page, "button", "Save")
    assert LifecycleErrors.NO_MANAGER_DECISION in page.locator(".govuk-error-summary").inner_text()
    assert _error_summary_links_reach_their_fields(page)
    violations += _findings(page)
    page.get_by_label("Manager's decision").fill("Every enquiry made; reviewed at panel")
    _click(page, "button", "Save")

    episode.refresh_from_db()
    assert episode.status == CMEStatus.CLOSED
    assert "reviewed at panel" in page.inner_text("main")
    violations += _findings(page)
    assert violations == []


def test_an_officer_finds_possible_duplicates_and_the_evidence_for_a_return_to_match(
    browser_page, live_server, school, settings, tmp_path
):
    """The children recorded twice, with the model's evidence in words, and the evidence lines
    for a return's candidate (ADR 0012)."""
    settings.MEDIA_ROOT = tmp_path

    def registered(forenames, surname, born=date(2015, 3, 14)):
        child = ChildFactory(
            legal_forenames=forenames,
            legal_surname=surname,
            upn="",
            date_of_birth=born,
            sex="M",
        )
        AddressFactory(child=child, line_1="1 High St", postcode="CB7 9QT")
        return child

    registered("Thomas", "Hartley-Khan")
    registered("Tom", "Hartley")
    registered("Ruby", "Okafor", datetime.date(2013, 1, 9))
    call_command("find_duplicate_children")
    registered("Amelia", "Smith")
    submission = intake.submission_preview(
        school=school,
        by=None,
        file_name="returns.csv",
        data=csv_file(row(forename="Olivia"), row(surname="Liam", forename="Smith")),
    )
    intake.submission_confirm(submission=submission, by=None, accept_valid_rows=False)
    UserFactory(username="matching-cme", role=Role.CME_OFFICER)
    page = browser_page
    _sign_in(page, live_server, "matching-cme")
    _click(page, "link", "Returns to match")
    violations = _findings(page)

    _click(page, "link", "Olivia Smith")
    evidence = page.get_by_role("row", name="Evidence").inner_text()
    assert "date of birth: the same, very strong evidence" in evidence
    assert "forename: wholly different (olivia / amelia)" in evidence
    violations += _findings(page)

    # The surname keyed as the forename and the other name wrong: found, and said in words.
    _click(page, "link", "Returns to match")
    _click(page, "link", "Smith Liam")
    evidence = page.get_by_role("row", name="Evidence").inner_text()
    assert (
        "forename: is the other record's surname (names in the wrong boxes) (smith / amelia)"
        in evidence
    )
    assert "A name differs outright and the UPN does not confirm it" in (
        page.locator(".govuk-inset-text").inner_text()
    )
    violations += _findings(page)

    _click(page, "link", "Returns to match")
    _click(page, "link", "Children who may be recorded twice")
    main = page.inner_text("main")
    assert "Thomas Hartley-Khan" in main
    assert "Tom Hartley" in main
    assert "forename: a known short form, another spelling or a preferred name" in main
    assert "Ruby" not in main
    violations += _findings(page)
    _click(page, "link", "Compare and merge")
    assert "Hartley" in page.inner_text("main")

    assert violations == []


def test_an_officer_sees_the_ground_i_breach_on_the_notification(browser_page, live_server, school):
    """A twenty-day deletion without twenty school days' absence is shown to the CME officer as a
    Ground I breach (docs/rules/registration.md §5)."""
    Term.objects.create(
        name="Autumn 1 2025", first_day=date(2025, 9, 3), last_day=date(2025, 10, 24)
    )
    Term.objects.create(
        name="Autumn 2 2025", first_day=date(2025, 11, 3), last_day=date(2025, 12, 19)
    )
    UserFactory(username="breach-cme", role=Role.CME_OFFICER)
    _send(
        school,
        ground="i",
        deletion_date=date(2025, 11, 13).isoformat(),
        last_attended_date=date(2025, 10, 10).isoformat(),
    )
    page = browser_page
    _sign_in(page, live_server, "breach-cme")
    _click(page, "link", "Notifications")
    _click(page, "link", "Maisie Ashdown")

    main = page.inner_text("main")
    assert "Ground I breach: this deletion did not show what the ground needs" in main
    assert "2024 reg 9(1)(i)" in main
    assert _findings(page) == []
