"""axe-core in a real headless Chromium over the main pages, signed in: no serious or critical
violations of WCAG 2.2 A/AA rules. Uses Debian's Chromium (scripts/ensure-chromium)."""

import os
import shutil
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import sync_playwright

from registry.models import ReportKind, Role
from registry.services import reporting as reporting_services
from tests.factories import (
    TEST_PASSWORD,
    ActionFactory,
    AddressFactory,
    AlertEventFactory,
    CarerFactory,
    ChildFlagFactory,
    CMEEpisodeFactory,
    ContactFactory,
    EHEEpisodeFactory,
    IndicatorReferenceFactory,
    NotificationFactory,
    OffRollingAlertFactory,
    SchoolFactory,
    SchoolIndicatorFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SERIOUS = {"serious", "critical"}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Playwright's own event loop must not trip Django's async-safety check in the live server thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium() -> str:
    path = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail("Chromium is needed for the accessibility tests: run scripts/ensure-chromium")
    return path


@pytest.fixture
def browser_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_chromium(),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser.new_page()
        browser.close()


@pytest.fixture
def case_file(db):
    school = SchoolFactory(name="Downsview Academy")
    episode = EHEEpisodeFactory(start_date=date(2025, 9, 15))
    child = episode.child
    AddressFactory(child=child)
    CarerFactory(child=child)
    ChildFlagFactory(child=child, flag_type="sen_support")
    ContactFactory(child=child, ehe_episode=episode)
    cme = CMEEpisodeFactory()
    NotificationFactory(child=child, submission=SubmissionFactory(school=school))
    return {"school": school, "episode": episode, "child": child, "cme": cme}


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _serious_violations(page, url):
    page.goto(url)
    page.wait_for_load_state()
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{url}: {violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


def test_sign_in_page_and_its_errors_have_no_serious_accessibility_violations(
    browser_page, live_server
):
    page = browser_page
    violations = _serious_violations(page, f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", "nobody")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations += [v["id"] for v in results.response["violations"] if v["impact"] in SERIOUS]

    assert violations == []


def test_officer_pages_have_no_serious_accessibility_violations(
    browser_page, live_server, case_file
):
    officer = UserFactory(username="a11y-officer", role=Role.ADMINISTRATOR)
    ActionFactory(child=case_file["child"], owner=officer, due_date=date(2025, 1, 1))
    page = browser_page
    _sign_in(page, live_server, officer.username)
    child, episode, cme = case_file["child"], case_file["episode"], case_file["cme"]
    urls = [
        reverse("registry:home"),
        reverse("registry:child-list") + "?text=" + child.legal_surname[:3],
        reverse("registry:child-detail", args=[child.pk]),
        reverse("registry:child-history", args=[child.pk]),
        reverse("registry:contact-create", args=[child.pk]),
        reverse("registry:action-create", args=[child.pk]),
        reverse("registry:decision-create", args=[child.pk]),
        reverse("registry:child-identity", args=[child.pk]),
        reverse("registry:ehe-episode-status", args=[episode.pk]),
        reverse("registry:cme-episode-status", args=[cme.pk]),
        reverse("registry:child-merge", args=[child.pk]),
        reverse("schools_feed:notification-list"),
    ]
    violations = [v for url in urls for v in _serious_violations(page, f"{live_server.url}{url}")]

    # A form with errors: the error summary and the field errors must be accessible too.
    page.goto(f"{live_server.url}{reverse('registry:contact-create', args=[child.pk])}")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 1
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations += [v["id"] for v in results.response["violations"] if v["impact"] in SERIOUS]

    assert violations == []


@pytest.mark.parametrize(
    "role", [Role.SCHOOL_USER, Role.DCS, Role.INCLUSION_LEAD, Role.CME_OFFICER]
)
def test_each_roles_home_page_has_no_serious_accessibility_violations(
    browser_page, live_server, case_file, role
):
    user = UserFactory(username=f"a11y-{role}", role=role)
    user.schools.add(case_file["school"])
    _sign_in(browser_page, live_server, user.username)

    assert _serious_violations(browser_page, f"{live_server.url}{reverse('registry:home')}") == []


def test_school_portal_pages_have_no_serious_accessibility_violations(
    browser_page, live_server, case_file, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    user = UserFactory(username="a11y-school", role=Role.SCHOOL_USER)
    user.schools.add(case_file["school"])
    page = browser_page
    _sign_in(page, live_server, user.username)
    urls = [
        reverse("schools_feed:send"),
        reverse("schools_feed:upload"),
        reverse("schools_feed:notification-form", args=["deletion"]),
        reverse("schools_feed:submission-list"),
    ]
    violations = [v for url in urls for v in _serious_violations(page, f"{live_server.url}{url}")]

    # The preview of a file with errors: the table of problems by row and column.
    upload = tmp_path / "returns.csv"
    upload.write_text(
        "Surname,Forename,DOB,Ground,Leaving date\nSmith,Tom,31/02/2015,zz,01/01/2020\n"
    )
    page.goto(f"{live_server.url}{reverse('schools_feed:upload')}")
    page.set_input_files("input[type=file]", str(upload))
    page.click("form[method=post] button[type=submit]")
    page.wait_for_load_state()
    assert "Check your file before you send it" in page.content()
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations += [v["id"] for v in results.response["violations"] if v["impact"] in SERIOUS]

    assert violations == []


def test_the_review_queue_pages_have_no_serious_accessibility_violations(
    browser_page, live_server, case_file
):
    officer = UserFactory(username="a11y-reviewer", role=Role.EHE_OFFICER)
    child = case_file["child"]
    waiting = NotificationFactory(
        submission=SubmissionFactory(school=case_file["school"]),
        status="review",
        ground="k",
        match_candidates=[{"child": str(child.pk), "score": 0.7, "evidence": ["Surname similar"]}],
    )
    _sign_in(browser_page, live_server, officer.username)
    urls = [
        reverse("schools_feed:review-queue"),
        reverse("schools_feed:review-notification", args=[waiting.pk]),
        reverse("schools_feed:notification-detail", args=[waiting.pk]),
    ]
    violations = [
        v for url in urls for v in _serious_violations(browser_page, f"{live_server.url}{url}")
    ]
    assert violations == []


@pytest.fixture
def offrolling_figures(db):
    """Figures for eight schools (one above the 99.8% limit, one too small to judge), two years
    of one school's trend, its deletions, and an alert with its history."""
    reference = IndicatorReferenceFactory()
    bands = [
        ("Downsview Academy", 1000, 52, 30.0, "above_998"),
        ("Hillcrest School", 800, 35, 24.0, "above_95"),
        ("Meadow Lane School", 600, 18, 18.0, "within"),
        ("Seaview Academy", 1100, 30, 33.0, "within"),
        ("Westfield School", 900, 12, 27.0, "below"),
        ("Orchard School", 400, 13, 12.0, "within"),
        ("Riverside School", 700, 20, 21.0, "within"),
        ("Little Acre School", 25, 1, 0.8, "insufficient"),
    ]
    schools = {}
    for name, on_roll, observed, expected, band in bands:
        row = SchoolIndicatorFactory(
            run=reference.run,
            school=SchoolFactory(name=name),
            denominator=on_roll,
            observed=observed,
            expected=expected,
            band=band,
            rules_met=["R1"] if band == "above_998" else [],
        )
        schools[name] = row.school
    school = schools["Downsview Academy"]
    SchoolIndicatorFactory(
        school=school,
        period_start=date(2024, 9, 1),
        period_end=date(2025, 8, 31),
        period_label="2024/25",
        observed=41,
        band="above_95",
    )
    for ground, nc_year in (("f", "10"), ("f", "11"), ("a", "8"), ("i", "9")):
        NotificationFactory(
            submission=SubmissionFactory(school=school),
            ground=ground,
            nc_year=nc_year,
            deletion_date=date(2025, 11, 3),
            sen_provision="K",
            fsm_eligible=True,
        )
    alert = OffRollingAlertFactory(school=school)
    AlertEventFactory(alert=alert)
    return {"school": school, "alert": alert}


def test_the_off_rolling_pages_have_no_serious_accessibility_violations(
    browser_page, live_server, offrolling_figures
):
    lead = UserFactory(username="a11y-inclusion-lead", role=Role.INCLUSION_LEAD)
    page = browser_page
    _sign_in(page, live_server, lead.username)
    school, alert = offrolling_figures["school"], offrolling_figures["alert"]
    urls = [
        reverse("offrolling:overview"),
        reverse("offrolling:overview") + "?sort=observed&order=asc",
        reverse("offrolling:school", args=[school.urn]),
        reverse("offrolling:alert-detail", args=[alert.pk]),
        reverse("offrolling:alert-list"),
        reverse("offrolling:school-children", args=[school.urn]),
    ]
    violations = [v for url in urls for v in _serious_violations(page, f"{live_server.url}{url}")]

    # The funnel and the trend chart were there to check: images with a title and a description.
    page.goto(f"{live_server.url}{urls[0]}")
    assert page.locator("svg[role=img][aria-labelledby='funnel-title funnel-desc']").count() == 1
    page.goto(f"{live_server.url}{urls[2]}")
    assert page.locator("svg[role=img][aria-labelledby='trend-title trend-desc']").count() == 1

    # A review form with errors: closing without an outcome.
    page.goto(f"{live_server.url}{urls[3]}")
    page.check("input[name='status-to_status'][value='closed']")
    page.click("form:has(input[value='status']) button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 1
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations += [v["id"] for v in results.response["violations"] if v["impact"] in SERIOUS]

    assert violations == []


def test_the_off_rolling_pages_read_only_for_the_dcs_have_no_serious_accessibility_violations(
    browser_page, live_server, offrolling_figures
):
    dcs = UserFactory(username="a11y-dcs-offrolling", role=Role.DCS)
    _sign_in(browser_page, live_server, dcs.username)
    school, alert = offrolling_figures["school"], offrolling_figures["alert"]
    urls = [
        reverse("offrolling:overview"),
        reverse("offrolling:school", args=[school.urn]),
        reverse("offrolling:alert-detail", args=[alert.pk]),
    ]

    violations = [
        v for url in urls for v in _serious_violations(browser_page, f"{live_server.url}{url}")
    ]

    assert violations == []


@pytest.fixture
def statistics(db):
    """A DfE return and a pack with a chart, frozen as produced; a pack request under way; a child
    whose reason is unknown on census day; and reference figures."""
    census_day = date(2025, 10, 2)
    EHEEpisodeFactory(start_date=date(2025, 9, 1), primary_reason="unknown")
    dfe = reporting_services.snapshot_freeze(
        kind=ReportKind.DFE_RETURN,
        period="2025-10-02",
        as_at=census_day,
        tables={
            "title": "DfE EHE and CME return, autumn term 2025/26",
            "as_at": "2025-10-02",
            "sections": [
                {
                    "key": "ehe_census",
                    "title": "EHE: children on the census day",
                    "note": "Exact counts, not rounded.",
                    "columns": ["time_period", "breakdown", "child_count", "child_percent"],
                    "rows": [["202526", "Total", 1234, "100.0"], ["202526", "Female", 611, "49.5"]],
                }
            ],
            "checks": [
                {"check": "The census totals add up", "passed": True, "detail": "1234"},
                {"check": "Every child's sex is known", "passed": False, "detail": "3 children"},
            ],
            "issue_counts": {"reason_unknown": 1},
        },
        files=[reporting_services.RenderedFile("ehe_census.csv", "text/csv", b"a,b\r\n")],
        by=None,
        method_version="2025.1",
    )
    pack = reporting_services.snapshot_freeze(
        kind=ReportKind.QUARTERLY_PACK,
        period="2025-Q3",
        as_at=date(2025, 9, 30),
        tables={
            "title": "DCS quarterly pack, July to September 2025",
            "as_at": "2025-09-30",
            "sections": [
                {
                    "key": "headline",
                    "title": "Children in EHE at the quarter end",
                    "note": "Published statistics: rounded to the nearest 10.",
                    "columns": ["Measure", "This LA", "England"],
                    "rows": [["Children in EHE", "1,230", "111,700"], ["Rate per 100", "1.2", "x"]],
                    "published": True,
                }
            ],
            "charts": [
                {
                    "key": "ehe_trend",
                    "title": "Children in EHE at each quarter end",
                    "x_labels": ["Q1 2025", "Q2 2025", "Q3 2025"],
                    "series": [
                        {"name": "This LA", "values": [1150, 1190, None]},
                        {"name": "Region (scaled)", "values": [1100, 1120, 1160]},
                    ],
                    "y_label": "Children (rounded to 10)",
                }
            ],
        },
        files=[],
        by=None,
        method_version="2025.1",
    )
    running = reporting_services.report_request_create(
        kind=ReportKind.QUARTERLY_PACK, period="2025-Q2", by=None
    )
    reporting_services.report_request_progress(
        request_id=running.pk, progress=40, stage="Counting flows"
    )
    return {"census_day": census_day, "dfe": dfe, "pack": pack, "running": running}


def test_the_statistics_pages_have_no_serious_accessibility_violations(
    browser_page, live_server, statistics
):
    administrator = UserFactory(username="a11y-statistics", role=Role.ADMINISTRATOR)
    page = browser_page
    _sign_in(page, live_server, administrator.username)
    urls = [
        reverse("registry:report-list"),
        reverse("registry:snapshot-detail", args=[statistics["dfe"].pk]),
        reverse("registry:snapshot-detail", args=[statistics["pack"].pk]),
        # Its progress bar is a framed page that refreshes itself every 2 seconds while the worker
        # runs (as the schools feed's import progress does). Checked on its own, axe reports that
        # refresh (meta-refresh); it is not meant to be visited on its own, so it is left out.
        reverse("registry:report-request-detail", args=[statistics["running"].pk]),
        reverse("registry:dfe-return-validation", args=[statistics["census_day"]]),
        reverse("registry:reference-figures"),
    ]
    violations = [v for url in urls for v in _serious_violations(page, f"{live_server.url}{url}")]

    # The pack's chart is there to check: an image with a title and a description.
    page.goto(f"{live_server.url}{urls[2]}")
    assert page.locator("svg[role=img]").count() == 1

    # The forms with errors: a date that is not a census day, and an empty population form.
    page.goto(f"{live_server.url}{urls[0]}")
    page.fill("#id_dfe-census_date_0", "3")
    page.click("form[action$='/statistics/dfe-return/'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 1
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations += [v["id"] for v in results.response["violations"] if v["impact"] in SERIOUS]
    page.goto(f"{live_server.url}{urls[-1]}")
    page.click("form[action$='/population/'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 1
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations += [v["id"] for v in results.response["violations"] if v["impact"] in SERIOUS]

    assert violations == []
