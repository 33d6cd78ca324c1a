"""Each role's everyday journey on the demo authority (seed_demo, tiny, seed 7) in a real headless
Chromium, taken as a new user would take it: signed in with the printed sign-ins, then only what
the pages show (links by their text, fields by their labels). axe runs on every page visited.

The school sends two pupils on the app's own template, one of them a death return the register
cannot be sure about; an officer decides which child it is, seeing what the return says, and the
child's record shows the death. The CME officer refers a child on her caseload to MASH and
records the outcome; the inclusion lead sends a school its briefing with the note she chose; the
DCS produces the quarterly pack."""

import csv
import io
import os
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ehe_register.demo.build import demo_password
from ehe_register.management.commands.seed_demo import demo_backup_codes
from registry.models import User
from registry.tasks import quarterly_pack_task
from schools_feed.models import Notification, NotificationKind
from tests import test_accessibility as a11y
from tests.test_journeys_browser import _pdf_text

_findings = a11y._findings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Playwright's own event loop must not trip Django's async-safety check in the live server thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SEED = 7


@pytest.fixture
def demo(settings, tmp_path):
    """A freshly seeded tiny demo authority, as `seed_demo --scale tiny --seed 7` builds it."""
    settings.MEDIA_ROOT = tmp_path
    call_command(
        "seed_demo", "--scale", "tiny", "--seed", str(SEED), "--allow-without-debug",
        stdout=io.StringIO(),
    )  # fmt: skip


class Walk:
    """A person at the browser: every page they reach is checked with axe on arrival."""

    def __init__(self, page, live_server):
        self.page, self.live_server, self.found = page, live_server, []

    def arrived(self):
        self.page.wait_for_load_state()
        self.found += _findings(self.page)

    def sign_in(self, username):
        """The printed demo password and, for the administrator, a printed backup code."""
        page = self.page
        page.goto(f"{self.live_server.url}{reverse('login')}")
        self.arrived()
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(demo_password(username, SEED))
        page.get_by_role("button", name="Sign in").click()
        self.arrived()
        if page.get_by_role("heading", name="Enter your security code").count():
            page.get_by_label("Enter your security code").fill(demo_backup_codes(SEED)[0])
            page.get_by_role("button", name="Continue").click()
            self.arrived()

    def sign_out(self):
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_load_state()

    def nav(self, text):
        self.page.get_by_role("navigation").get_by_role("link", name=text).first.click()
        self.arrived()

    def click(self, name, within=None):
        (within or self.page).get_by_role("link", name=name, exact=True).first.click()
        self.arrived()

    def press(self, name):
        self.page.get_by_role("button", name=name, exact=True).click()
        self.arrived()

    def main(self) -> str:
        return self.page.locator("main").inner_text()


def _template_filled(walk, tmp_path, rows) -> str:
    """The deletion return's CSV template, downloaded from Send returns and filled in."""
    with walk.page.expect_download() as download:
        walk.page.get_by_role("link", name="CSV template for deletion return").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    headers = next(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for values in rows:
        assert set(values) <= set(headers), set(values) - set(headers)
        writer.writerow([values.get(heading, "") for heading in headers])
    path = tmp_path / "deletions-this-week.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def _a_pupil_who_joined_recently(user):
    """A living child who joined one of the user's schools lately (a new pupil return): the
    death return is about them, as the school knows them."""
    joined = (
        Notification.objects.filter(
            school__in=user.schools.all(),
            kind=NotificationKind.NEW_PUPIL,
            child__date_of_death__isnull=True,
            legal_surname__regex=r"^[A-Za-z]{5,}$",
        )
        .select_related("child", "school")
        .order_by("-received_at")
        .first()
    )
    assert joined is not None, "the demo school user's schools have no new pupil return"
    return joined


def test_a_school_sends_a_death_return_on_the_template_and_an_officer_decides_which_child_it_is(
    demo, browser_page, live_server, tmp_path
):
    school_user = User.objects.get(username="school.user")
    joined = _a_pupil_who_joined_recently(school_user)
    child, school = joined.child, joined.school
    today = timezone.localdate().strftime("%d/%m/%Y")
    # The school spells the surname one letter short, and the family has moved: close enough to
    # be the child, not close enough for the register to link it alone.
    misspelt = child.legal_surname[:-1]
    walk = Walk(browser_page, live_server)
    page = walk.page

    # The school: the template, two pupils, the School as the page presents it.
    walk.sign_in("school.user")
    walk.nav("Send returns")
    path = _template_filled(
        walk,
        tmp_path,
        [
            {
                "Legal forename": "Poppy",
                "Legal surname": "Whitfield",
                "Date of birth": "03/02/2014",
                "Sex": "F",
                "Address line 1": "7 Church Lane",
                "Town": "Lindfield",
                "Postcode": "RH16 2AB",
                "Parent 1 full name": "Laura Whitfield",
                "Parent 1 relationship": "Mother",
                "Parent 1 emergency phone": "07700900111",
                "Ground for deletion": "9(1)(f)",
                "Date of deletion": today,
                "Date of parent's written notice": today,
            },
            {
                "Legal forename": child.legal_forenames,
                "Legal surname": misspelt,
                "Date of birth": child.date_of_birth.strftime("%d/%m/%Y"),
                "Sex": child.sex,
                "Address line 1": "22 Hickmans Lane",
                "Town": "Cuckfield",
                "Postcode": "TN22 5AB",
                "Parent 1 full name": f"Helen {child.legal_surname}",
                "Parent 1 relationship": "Mother",
                "Parent 1 emergency phone": "07700900222",
                "Ground for deletion": "9(1)(k)",
                "Date of deletion": today,
            },
        ],
    )
    walk.click("Upload a file")
    page.get_by_label("Upload a file").set_input_files(path)
    walk.press("Check the file")
    # The school user holds two schools and the template has no school column: asked, on the
    # form, tied to the field; never a 404, never a file tied to no school.
    summary = page.locator(".govuk-error-summary")
    assert "Choose the school" in summary.inner_text()
    assert summary.get_by_role("link").first.get_attribute("href") == "#id_school"
    page.get_by_label("School").select_option(label=f"{school.name} ({school.urn})")
    page.get_by_label("Upload a file").set_input_files(path)
    walk.press("Check the file")

    assert page.get_by_role("heading", name="Check your file before you send it").is_visible()
    pupils = page.get_by_role("table", name="The pupils in your file, by row").inner_text()
    assert "Poppy Whitfield" in pupils
    assert f"{child.legal_forenames} {misspelt}" in pupils
    # A clean file has no rows to leave out, so there is nothing to declare before sending.
    assert (
        page.get_by_label("Import the valid rows and leave out the rows with errors").count() == 0
    )
    walk.press("Send to the local authority")
    assert "2 notifications imported" in page.locator("body").inner_text()

    walk.nav("Your returns")
    returns = walk.main()
    assert "Poppy Whitfield" in returns
    assert f"{child.legal_forenames} {misspelt}" in returns
    walk.nav("Files and forms sent")
    assert "deletions-this-week.csv" in walk.main()
    walk.sign_out()

    # The administrator (the demo's data manager): home says a return waits to be matched.
    walk.sign_in("administrator")
    waiting = page.get_by_role("link", name=re.compile(r"waiting in Returns to match"))
    assert waiting.count() == 1
    waiting.click()
    walk.arrived()
    walk.click(f"{child.legal_forenames} {misspelt}")
    shown = walk.main()
    for what in ("9(1)(k) Has died", "22 Hickmans Lane", "TN22 5AB", "07700900222", school.name):
        assert what in shown, what
    assert "This return says the child has died" in shown
    page.get_by_label(re.compile(rf"{re.escape(child.full_name)}, born ")).check()
    page.get_by_label("Your reasons (optional)").fill("The family moved; the school misspelt it")
    walk.press("Save decision")
    assert f"The death of {child.full_name} is recorded" in page.locator("body").inner_text()

    walk.nav("Register search")
    page.get_by_label("Name").fill(child.full_name)
    walk.press("Search")
    walk.click(child.full_name, within=page.locator("main table"))
    banner = page.locator(".govuk-notification-banner", has_text="Died")
    assert f"{child.full_name} has died" in banner.inner_text()
    assert school.name in banner.inner_text()  # where the death came from
    assert walk.found == []


def test_the_cme_officer_refers_a_child_on_her_caseload_to_mash_and_records_the_outcome(
    demo, browser_page, live_server
):
    walk = Walk(browser_page, live_server)
    page = walk.page
    walk.sign_in("cme.officer")
    caseload = page.get_by_role("table", name="Your open cases")
    name = caseload.get_by_role("link").first.inner_text()
    walk.click(name, within=caseload)
    assert page.get_by_role("heading", name=name).is_visible()

    walk.click("Refer to MASH or social care")
    page.get_by_label("MASH").check()
    page.get_by_label("Concerns referred").fill("No contact for six weeks; siblings also unseen")
    walk.press("Save")
    timeline = page.locator(".app-timeline").inner_text()
    assert "Referred to MASH" in timeline
    assert "No contact for six weeks" in timeline

    # The child may hold an earlier referral from the demo's history: record this one's outcome.
    today = timezone.localdate()
    page.get_by_role(
        "link",
        name=re.compile(
            rf"^Record the outcome\s+of the Referral to MASH on {today.day} {today:%b}\b"
        ),
    ).click()
    walk.arrived()
    page.get_by_label("Accepted for assessment").check()
    page.get_by_label("What happens next (optional)").fill("Social worker allocated")
    walk.press("Save")
    timeline = page.locator(".app-timeline").inner_text()
    assert "Referral outcome from MASH: Accepted for assessment" in timeline
    assert "Social worker allocated" in timeline
    assert walk.found == []


def test_the_inclusion_lead_sends_a_school_its_briefing_with_the_note_she_chose(
    demo, browser_page, live_server
):
    walk = Walk(browser_page, live_server)
    page = walk.page
    walk.sign_in("inclusion.lead")
    walk.nav("Off-rolling")
    # The first school in the table with an open alert (its last column).
    rows = page.get_by_role("table", name=re.compile("^Every school")).locator("tbody tr")
    school = next(
        row.get_by_role("link").first.inner_text()
        for row in rows.all()
        if row.locator("td").last.inner_text().strip() not in ("", "0")
    )
    walk.click(school)
    assert page.get_by_role("heading", name=school).is_visible()
    alerts = page.get_by_role("table", name="Alerts for this school")
    alerts.get_by_role("link").first.click()
    walk.arrived()

    note = page.locator("form", has=page.get_by_role("button", name="Add the note"))
    note.get_by_label("Note").fill("Agreed with the head: exits to home education reviewed termly")
    note.get_by_label("Include in the school briefing").check()
    walk.press("Add the note")
    note.get_by_label("Note").fill("Internal: the head seemed reluctant to share exit interviews")
    walk.press("Add the note")

    walk.click(school)  # back to the school, by its name on the alert
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the school briefing (PDF)").click()
    text = _pdf_text(open(download.value.path(), "rb").read())
    assert b"exits to home education reviewed termly" in text
    assert b"seemed reluctant" not in text  # an internal note stays internal
    assert walk.found == []


def test_the_dcs_produces_the_quarterly_pack_and_opens_it(
    demo, browser_page, live_server, monkeypatch
):
    # The pack is produced by the queued task in this process, eager or with a broker (the
    # worker path through Redis is tests/registry/test_tasks.py's broker test).
    monkeypatch.setattr(
        quarterly_pack_task, "apply_async", lambda args=(), **_: quarterly_pack_task.apply(args)
    )
    walk = Walk(browser_page, live_server)
    page = walk.page
    walk.sign_in("dcs")
    walk.nav("Statistics")
    quarter = page.get_by_label("Quarter").input_value()
    walk.press("Produce the quarterly pack")
    # The demo produced the last quarter's pack already: the page says so, and makes nothing.
    assert (
        f"The quarterly pack for {quarter} was produced on"
        in page.locator(".govuk-error-summary").inner_text()
    )
    pack_form = page.locator(
        "form", has=page.get_by_role("button", name="Produce the quarterly pack")
    )
    pack_form.get_by_label("Produce it again if it has been produced before").check()
    walk.press("Produce the quarterly pack")

    # Its progress page: the worker runs eagerly here, so it is done within the request.
    assert f"Quarterly pack for {quarter} requested" in page.locator("body").inner_text()
    assert page.get_by_role("heading", name="Done").is_visible()
    walk.click("See the pack")
    assert f"Period\t{quarter}" in walk.main()
    assert "Produced by\tDana Clarke" in walk.main()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"\.pdf$")).first.click()
    assert open(download.value.path(), "rb").read().startswith(b"%PDF")
    assert download.value.suggested_filename != "pack.pdf"  # named by LA, period and date
    assert walk.found == []
