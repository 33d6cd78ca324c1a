"""Each role's everyday journey in a real headless Chromium, asserting what the person sees:
the CME officer records a referral's outcome, the inclusion lead sends a briefing with the note she
chose, the analyst produces a pack (queued for the worker, with its progress page) and is asked
before producing it twice, and the administrator's navigation and home."""

import base64
import os
import re
import zlib
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import ReportKind, ReportRequest, Role, SocialCareReferral
from registry.services import quarterly_pack
from registry.services import reporting as reporting_services
from tests import test_accessibility as a11y
from tests.factories import (
    CMEEpisodeFactory,
    NotificationFactory,
    OffRollingAlertFactory,
    OffRollingRunFactory,
    SchoolIndicatorFactory,
    UserFactory,
)

_findings, _sign_in = a11y._findings, a11y._sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
TODAY = timezone.localdate()


def test_a_cme_officer_records_a_referrals_outcome_and_sees_it_on_the_timeline(
    browser_page, live_server
):
    officer = UserFactory(username="journey-cme", role=Role.CME_OFFICER)
    episode = CMEEpisodeFactory(start_date=date(2025, 9, 1), assigned_officer=officer)
    SocialCareReferral.objects.create(
        episode=episode,
        referred_to="mash",
        referred_on=date(2025, 9, 10),
        reason="Not seen since the summer",
        referred_by=officer,
    )
    page = browser_page
    _sign_in(page, live_server, officer.username)
    page.goto(f"{live_server.url}{reverse('registry:child-detail', args=[episode.child.pk])}")

    page.click("text=Record the outcome")
    page.check("input[name='outcome'][value='accepted']")
    page.fill("textarea[name='note']", "Assessment starts on Monday")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_load_state()

    timeline = page.inner_text(".app-timeline")
    assert "Referral outcome from MASH: Accepted for assessment" in timeline
    assert "Assessment starts on Monday" in timeline
    assert "Referred to MASH" in timeline
    assert page.locator("text=Record the outcome").count() == 0
    # Cancel on a form returns to the record it came from, not the form itself.
    page.click("text=Record an enquiry")
    page.click("text=Cancel")
    page.wait_for_load_state()
    assert page.url.endswith(reverse("registry:child-detail", args=[episode.child.pk]))
    assert _findings(page) == []


def _pdf_text(pdf: bytes) -> bytes:
    """The text drawn on a compressed ReportLab page: its streams, inflated."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL)
    text = b""
    for stream in streams:
        data = stream.strip()
        if data.endswith(b"~>"):  # ReportLab wraps its deflated streams in ASCII85
            data = base64.a85decode(data.removeprefix(b"<~").removesuffix(b"~>"))
        try:
            text += zlib.decompress(data)
        except zlib.error:
            text += data
    return text


def test_the_inclusion_lead_sends_a_briefing_holding_the_note_she_chose(browser_page, live_server):
    lead = UserFactory(username="journey-lead", role=Role.INCLUSION_LEAD)
    run = OffRollingRunFactory()
    alert = OffRollingAlertFactory(run=run)
    SchoolIndicatorFactory(run=run, school=alert.school)
    page = browser_page
    _sign_in(page, live_server, lead.username)
    page.goto(f"{live_server.url}{reverse('offrolling:alert-detail', args=[alert.pk])}")

    for n in range(5):
        page.fill("textarea[name='note-note']", f"Call {n} with the headteacher about exits")
        if n == 0:
            page.check("input[name='note-in_briefing']")  # the one chosen for the school
        page.click("form:has(input[value='note']) button[type=submit]")
        page.wait_for_load_state()
    page.goto(f"{live_server.url}{reverse('offrolling:school', args=[alert.school.urn])}")
    with page.expect_download() as download:
        page.click("text=Download the school briefing (PDF)")
    text = _pdf_text(open(download.value.path(), "rb").read())

    assert b"Call 0 with the headteacher about exits" in text
    assert b"Call 1 with" not in text  # internal notes stay internal
    assert b"it was raised" in text  # each flag says its figures are of the day it was raised


def test_the_analyst_produces_a_pack_on_the_worker_and_is_asked_before_producing_it_twice(
    browser_page, live_server, monkeypatch
):
    queued = []
    # The worker is outside the test: the request is queued, not run in the page's request.
    monkeypatch.setattr(
        quarterly_pack, "enqueue_on_commit", lambda task, *args: queued.append(args)
    )
    analyst = UserFactory(username="journey-dcs", role=Role.DCS)
    page = browser_page
    _sign_in(page, live_server, analyst.username)
    page.goto(f"{live_server.url}{reverse('registry:report-list')}")

    page.fill("#id_pack-quarter", "2025-Q3")
    page.click("form[action$='/statistics/quarterly-pack/'] button[type=submit]")
    page.wait_for_load_state()

    request = ReportRequest.objects.get(period="2025-Q3")
    assert queued == [(str(request.pk),)]
    assert page.locator("iframe.app-progress-frame").count() == 1
    assert "Queued" in page.inner_text("main")
    assert _findings(page) == []

    # The pack exists: asking for the same quarter again says so, and makes nothing.
    reporting_services.snapshot_freeze(
        kind=ReportKind.QUARTERLY_PACK,
        period="2025-Q3",
        as_at=date(2025, 9, 30),
        tables={"title": "Pack"},
        files=[],
        by=analyst,
        method_version="2025.1",
    )
    ReportRequest.objects.filter(pk=request.pk).update(status="done")
    page.goto(f"{live_server.url}{reverse('registry:report-list')}")
    page.fill("#id_pack-quarter", "2025-Q3")
    page.click("form[action$='/statistics/quarterly-pack/'] button[type=submit]")
    page.wait_for_load_state()
    assert "was produced on" in page.inner_text(".govuk-error-summary")
    assert ReportRequest.objects.filter(period="2025-Q3").count() == 1
    assert _findings(page) == []


def test_the_administrators_navigation_fits_one_line_and_home_counts_returns_to_match(
    browser_page, live_server
):
    administrator = UserFactory(username="journey-admin", role=Role.ADMINISTRATOR)
    NotificationFactory(status="review")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server, administrator.username)
    page.goto(f"{live_server.url}{reverse('home')}")

    tops = page.eval_on_selector_all(
        ".govuk-service-navigation__item", "items => items.map(i => i.getBoundingClientRect().top)"
    )
    assert len(tops) >= 7
    assert len(set(tops)) == 1
    assert "1 return waiting in Returns to match" in page.inner_text("main")
    page.click("text=1 return waiting in Returns to match")
    assert page.url.endswith(reverse("schools_feed:review-queue"))
