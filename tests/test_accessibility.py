"""axe-core in a real headless Chromium over the main pages, signed in: no serious or critical
violations of WCAG 2.2 A/AA rules. Uses Debian's Chromium (scripts/ensure-chromium)."""

import os
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps as django_apps
from django.urls import reverse

from registry import letter_defaults
from registry.models import ReportKind, Role, SocialCareReferral, User
from registry.second_factor import second_factor_required
from registry.services import reporting as reporting_services
from registry.services.second_factor import second_factor_backup_codes_replace
from schools_feed.models import DestinationCheck, DestinationCheckStatus, MatchingModel
from schools_feed.services.matching_model import model_current
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
ALWAYS_FAIL = {"region"}  # content outside every landmark, whatever impact axe gives it
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Playwright's own event loop must not trip Django's async-safety check in the live server thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def case_file(db):
    school = SchoolFactory(name="Downsview Academy")
    episode = EHEEpisodeFactory(start_date=date(2025, 9, 15))
    child = episode.child
    AddressFactory(child=child)
    CarerFactory(child=child)
    ChildFlagFactory(child=child, flag_type="sen_support")
    ContactFactory(child=child, ehe_episode=episode)
    cme = CMEEpisodeFactory(start_date=date(2025, 9, 1))
    referral = SocialCareReferral.objects.create(
        episode=cme,
        referred_to="mash",
        referred_on=date(2025, 9, 10),
        reason="Not seen since the summer",
        referred_by=UserFactory(role=Role.CME_OFFICER),
    )
    NotificationFactory(child=child, submission=SubmissionFactory(school=school))
    return {"school": school, "episode": episode, "child": child, "cme": cme, "referral": referral}


def _sign_in(page, live_server, username):
    """The password, then (for administrators and staff) a backup code on the security code page,
    whose accessibility is checked on the way."""
    user = User.objects.get(username=username)
    codes = second_factor_backup_codes_replace(user=user) if second_factor_required(user) else []
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if codes:
        assert _findings(page) == []
        page.fill("#id_code", codes[0])
        page.click("button[type=submit]")
        page.wait_for_load_state()


def _findings(page) -> list[str]:
    """What fails on the page as it is now: every serious or critical axe violation, content
    outside any landmark (axe "region", moderate, but every page had it once), and a template
    comment printed on the page (a {# #} comment spread over lines is printed by Django)."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found = [
        f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS or violation["id"] in ALWAYS_FAIL
    ]
    text = page.inner_text("body")
    found += [f"{page.url}: a template comment is shown" for mark in ("{#", "#}") if mark in text]
    return found


def _serious_violations(page, url):
    page.goto(url)
    page.wait_for_load_state()
    return _findings(page)


def test_sign_in_page_and_its_errors_have_no_serious_accessibility_violations(
    browser_page, live_server
):
    page = browser_page
    violations = _serious_violations(page, f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", "nobody")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    violations += _findings(page)

    assert violations == []


def test_officer_pages_have_no_serious_accessibility_violations(
    browser_page, live_server, case_file
):
    officer = UserFactory(username="a11y-officer", role=Role.ADMINISTRATOR)
    ActionFactory(child=case_file["child"], owner=officer, due_date=date(2025, 1, 1))
    deletion = NotificationFactory(
        child=case_file["child"], ground="a", destination_reference="123456"
    )
    arrival = DestinationCheck.objects.create(
        deletion=deletion,
        child=case_file["child"],
        expected_start=date(2025, 9, 15),
        due_by=date(2025, 10, 15),
        status=DestinationCheckStatus.AWAITING_OFFICER,
    )
    page = browser_page
    _sign_in(page, live_server, officer.username)
    child, episode, cme = case_file["child"], case_file["episode"], case_file["cme"]
    urls = [
        reverse("home"),
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
        # The CME journeys: an enquiry, a referral and its outcome, and the record showing them.
        reverse("registry:cme-enquiry-create", args=[cme.pk]),
        reverse("registry:referral-create", args=[cme.pk]),
        reverse("registry:referral-outcome", args=[case_file["referral"].pk]),
        reverse("registry:child-detail", args=[cme.child.pk]),
        # The statutory rulebook and matching pages (issues 13 and 14); the s.434A consent form
        # for an episode not awaiting consent shows its refusal, and the arrival form a check
        # waiting for an officer.
        reverse("registry:rules-in-force"),
        reverse("registry:school-calendar"),
        reverse("schools_feed:joint-enquiry-list"),
        reverse("schools_feed:joint-enquiry-open"),
        reverse("schools_feed:duplicate-children"),
        reverse("registry:ehe-episode-consent", args=[episode.pk]),
        reverse("schools_feed:destination-arrival-confirm", args=[arrival.deletion_id]),
    ]
    violations = [v for url in urls for v in _serious_violations(page, f"{live_server.url}{url}")]

    # A form with errors: the error summary and the field errors must be accessible too.
    page.goto(f"{live_server.url}{reverse('registry:contact-create', args=[child.pk])}")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 1
    violations += _findings(page)

    # "Located: on a school roll" without the school: the error is tied to the URN field.
    page.goto(f"{live_server.url}{reverse('registry:cme-episode-status', args=[cme.pk])}")
    page.check("input[name='status'][value='located_school']")
    page.fill("textarea[name='reason']", "Found on a roll")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary a[href='#id_located_school_urn']").count() == 1
    violations += _findings(page)

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

    assert _serious_violations(browser_page, f"{live_server.url}{reverse('home')}") == []


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

    # The preview of a file whose only row has errors: the table of problems by row and column,
    # and nothing offered to send.
    upload = tmp_path / "returns.csv"
    upload.write_text(
        "Surname,Forename,DOB,Ground,Leaving date\nSmith,Tom,31/02/2015,zz,01/01/2020\n"
    )
    page.goto(f"{live_server.url}{reverse('schools_feed:upload')}")
    page.set_input_files("input[type=file]", str(upload))
    page.click("form[method=post] button[type=submit]")
    page.wait_for_load_state()
    assert "Nothing in this file can be sent" in page.content()
    assert page.locator("table").count() >= 1
    violations += _findings(page)

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
    violations += _findings(page)

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
                },
                {
                    # As the DfE's files are: geography columns the same on every row, said once
                    # above the table on screen; the rest wider than the page (it scrolls).
                    "key": "ehe_academic_year",
                    "title": "EHE over the academic year",
                    "columns": [
                        "time_period",
                        "time_identifier",
                        "geographic_level",
                        "country_code",
                        "country_name",
                        "new_la_code",
                        "breakdown_topic",
                        "breakdown",
                        "previous_school_type_description_long",
                        "children_starting_ehe_during_the_period",
                        "children_returning_to_school_during_the_period",
                        "children_ceasing_ehe_for_another_reason_during_the_period",
                    ],
                    "rows": [
                        [
                            "202526",
                            "Academic year",
                            "Local authority",
                            "E92000001",
                            "England",
                            "E10000032",
                            topic,
                            f"{breakdown} pupils who left a school of this kind",
                            f"{breakdown} state-funded school (long description)",
                            starts,
                            starts // 3,
                            starts // 5,
                        ]
                        for topic, breakdown, starts in [
                            ("Total", "All", 420),
                            ("Previous school type", "Primary", 120),
                            ("Previous school type", "Secondary", 260),
                        ]
                    ],
                },
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
        reverse("registry:dfe-return-validation", args=[statistics["census_day"]])
        + "?issue=reason_unknown",
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
    violations += _findings(page)
    page.goto(f"{live_server.url}{urls[-1]}")
    page.click("form[action$='/population/'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 1
    violations += _findings(page)

    assert violations == []


def test_the_second_factor_setup_page_has_no_serious_accessibility_violations(
    browser_page, live_server
):
    administrator = UserFactory(username="a11y-new-admin", role=Role.ADMINISTRATOR)
    page = browser_page
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("#id_username", administrator.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    violations = _serious_violations(page, f"{live_server.url}{reverse('second-factor-enrol')}")
    page.fill("#id_code", "000000")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    violations += _findings(page)

    assert "otpauth://totp/" in page.content()
    assert violations == []
    # GOV.UK Frontend ran from the static files, and the policy blocked nothing on the way.
    assert "govuk-frontend-supported" in page.evaluate("document.body.className")
    assert page.evaluate(
        "document.querySelector('.govuk-skip-link').hasAttribute('data-govuk-skip-link-init')"
    )
    assert [text for text in console if "Content Security Policy" in text] == []


def test_the_letters_pages_have_no_serious_accessibility_violations(
    browser_page, live_server, case_file
):
    """The letters sent, writing a s.437(1) notice, its preview and its errors
    (docs/rules/ehe.md §10)."""
    # A transactional test starts from an empty database: load the default letters again.
    letter_defaults.seed(django_apps, None)
    officer = UserFactory(username="a11y-letters", role=Role.EHE_OFFICER)
    child = case_file["child"]
    page = browser_page
    _sign_in(page, live_server, officer.username)
    letters_url = reverse("registry:letter-list", args=[child.pk])
    compose_url = reverse("registry:letter-compose", args=[child.pk, "s437_notice"])
    violations = _serious_violations(page, f"{live_server.url}{letters_url}")
    violations += _serious_violations(page, f"{live_server.url}{compose_url}")

    # Sent with the template's bracketed paragraph unchanged: refused, with the error summary.
    page.check("input[name='recipient']")
    page.click("button[name='send']")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 1
    violations += _findings(page)

    page.fill("textarea[name='paragraph_reasons']", "We asked in October; no reply yet.")
    page.click("button[name='preview']")
    page.wait_for_load_state()
    assert page.locator(".app-letter-preview").count() == 1
    violations += _findings(page)

    assert violations == []


def test_the_matching_model_versions_in_the_admin_have_no_serious_accessibility_violations(
    browser_page, live_server
):
    """The data manager reads a trained version's judgement and puts it into use (ADR 0012)."""
    starting = model_current()
    trained = MatchingModel.objects.create(
        version=starting.version + 1,
        settings=starting.settings,
        term_frequencies=dict(starting.term_frequencies),
        method="u by random sampling of register pairs; m by expectation maximisation",
        trained_by_label="the weekly schedule",
        register_size=1200,
        evaluation={
            "compared_with": starting.version,
            "officer_decisions": 40,
            "automatic_decisions": 900,
            "this_version": {"right link": 700, "wrong link": 0, "review": 30, "missed": 1},
            "version_in_use": {"right link": 690, "wrong link": 0, "review": 41, "missed": 1},
            "adopted": False,
            "why": "40 returns decided by officers; at least 100 are needed to compare",
        },
    )
    administrator = UserFactory(
        username="a11y-data-manager", role=Role.ADMINISTRATOR, is_staff=True
    )
    page = browser_page
    _sign_in(page, live_server, administrator.username)
    listing = f"{live_server.url}{reverse('admin:schools_feed_matchingmodel_changelist')}"
    violations = _serious_violations(page, listing)
    violations += _serious_violations(
        page,
        f"{live_server.url}{reverse('admin:schools_feed_matchingmodel_change', args=[trained.pk])}",
    )
    assert "review 30" in page.inner_text("body")

    page.goto(listing)
    page.check(f"input[name=_selected_action][value='{trained.pk}']")
    page.select_option("select[name=action]", "use_for_matching")
    page.click("button[name=index]")
    page.wait_for_load_state()

    assert f"Matching now uses model version {trained.version}." in page.inner_text("body")
    violations += _findings(page)
    assert violations == []
