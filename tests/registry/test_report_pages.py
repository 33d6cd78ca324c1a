"""The statistics pages: the produced returns and packs, producing them, a snapshot with its
figures, fingerprint check and files, the DfE return's validation report, a pack request's
progress and the reference figures. Snapshots are frozen here with ``snapshot_freeze`` directly,
so these tests do not depend on how a return or pack is built."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.census import latest_census_on_or_before
from registry.models import (
    ComparatorFigure,
    PopulationEstimate,
    ReportKind,
    ReportRequest,
    ReportSnapshot,
    Role,
)
from registry.reporting import forms as report_forms
from registry.reporting import selectors
from registry.reporting.pack import last_ended_quarter
from registry.services import reporting as reporting_services
from registry.services.reporting import RenderedFile
from registry.tasks import quarterly_pack_task
from registry.views import reports as views
from tests.factories import CMEEpisodeFactory, EHEEpisodeFactory, UserFactory, sign_in
from tests.pages import page_text

pytestmark = pytest.mark.django_db

ROLES = [
    Role.SCHOOL_USER,
    Role.EHE_OFFICER,
    Role.CME_OFFICER,
    Role.INCLUSION_LEAD,
    Role.DCS,
    Role.ADMINISTRATOR,
]
CENSUS_DAY = date(2025, 10, 2)  # the first Thursday of October 2025
CSV_BYTES = "Characteristic,child_count\r\nTotal,1234\r\nPound £,5\r\n".encode()

DFE_TABLES = {
    "title": "DfE EHE and CME return, autumn term 2025/26",
    "as_at": "2025-10-02",
    "sections": [
        {
            "key": "ehe_census",
            "title": "EHE: children in elective home education on the census day",
            "note": "Exact counts, not rounded.",
            "columns": ["Characteristic", "child_count", "child_percent"],
            "rows": [["Total", 1234, "100.0"], ["Female", 611, "49.5"], ["Unknown", 0, "0.0"]],
        }
    ],
    "checks": [
        {"check": "The census totals add up", "passed": True, "detail": "1234 = 1234"},
        {"check": "Every child's sex is known", "passed": False, "detail": "3 children"},
    ],
    "issue_counts": {"reason_unknown": 2, "sex_unknown": 3},
}
PACK_TABLES = {
    "title": "DCS quarterly pack, July to September 2025",
    "as_at": "2025-09-30",
    "sections": [
        {
            "key": "ehe_headline",
            "title": "Children in EHE at the quarter end",
            "note": "Published statistics: rounded to the nearest 10.",
            "columns": ["Measure", "This LA", "England"],
            "rows": [["Children in EHE", "1,230", "111,700"], ["Rate per 100", "1.2", "x"]],
            "published": True,
        },
        {
            "key": "first_contact",
            "title": "Days to first contact, by team",
            "note": "Management information, not for publication.",
            "columns": ["Team", "Median days"],
            "rows": [["North", 7]],
            "published": False,
        },
    ],
    "charts": [
        {
            "key": "ehe_trend",
            "title": "Children in EHE at each quarter end",
            "x_labels": ["Q2 2025", "Q3 2025"],
            "series": [{"name": "This LA", "values": [1190, None]}],
            "y_label": "Children (rounded to 10)",
        }
    ],
}


@pytest.fixture
def users():
    return {role: UserFactory(role=role, username=f"reports-{role}") for role in ROLES}


def _freeze(kind, tables, *, by=None, period=None, files=()):
    return reporting_services.snapshot_freeze(
        kind=kind,
        period=period or tables["as_at"],
        as_at=date.fromisoformat(tables["as_at"]),
        tables=tables,
        files=list(files),
        by=by,
        method_version="2025.1",
    )


@pytest.fixture
def dfe_snapshot(users):
    return _freeze(
        ReportKind.DFE_RETURN,
        DFE_TABLES,
        by=users[Role.DCS],
        files=[RenderedFile("ehe_census.csv", "text/csv; charset=utf-8", CSV_BYTES)],
    )


@pytest.fixture
def pack_snapshot(users):
    return _freeze(
        ReportKind.QUARTERLY_PACK,
        PACK_TABLES,
        by=users[Role.ADMINISTRATOR],
        period="2025-Q3",
        files=[RenderedFile("pack.pdf", "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")],
    )


def _get(client, user, url):
    sign_in(client, user)
    return client.get(url)


def _text(response) -> str:
    return page_text(response)


# --- Who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SCHOOL_USER, ""])
def test_a_role_without_statistics_is_refused_every_statistics_page(
    client, users, dfe_snapshot, role
):
    user = users.get(role) or UserFactory(role="", username="reports-no-role")
    report_request = reporting_services.report_request_create(
        kind=ReportKind.QUARTERLY_PACK, period="2025-Q3", by=None
    )
    urls = [
        reverse("registry:report-list"),
        reverse("registry:snapshot-detail", args=[dfe_snapshot.pk]),
        reverse("registry:snapshot-file", args=[dfe_snapshot.pk, "ehe_census.csv"]),
        reverse("registry:report-request-detail", args=[report_request.pk]),
        reverse("registry:report-request-progress", args=[report_request.pk]),
        reverse("registry:reference-figures"),
        reverse("registry:dfe-return-validation", args=[CENSUS_DAY]),
        reverse("registry:dfe-return-validation-csv", args=[CENSUS_DAY]),
    ]
    sign_in(client, user)

    assert [client.get(url).status_code for url in urls] == [403] * len(urls)


def test_the_statistics_pages_send_a_visitor_who_is_not_signed_in_to_sign_in(client):
    response = client.get(reverse("registry:report-list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_pack_is_not_found_for_an_officer_who_reads_only_the_dfe_return(
    client, users, pack_snapshot
):
    officer = users[Role.EHE_OFFICER]

    page = _get(client, officer, reverse("registry:snapshot-detail", args=[pack_snapshot.pk]))
    download = client.get(reverse("registry:snapshot-file", args=[pack_snapshot.pk, "pack.pdf"]))
    listing = client.get(reverse("registry:report-list"))

    assert (page.status_code, download.status_code) == (404, 404)
    assert str(pack_snapshot.pk) not in _text(listing)


@pytest.mark.parametrize("role", ROLES)
def test_the_statistics_item_is_in_the_navigation_exactly_for_the_roles_that_may_view_reports(
    client, users, role
):
    response = _get(client, users[role], reverse("home"))

    statistics_link = f'href="{reverse("registry:report-list")}"'
    may_view = selectors.reports_user_may_view(user=users[role])
    assert (statistics_link in _text(response)) is may_view


def test_the_statistics_item_is_marked_current_on_a_statistics_page(client, users, dfe_snapshot):
    response = _get(
        client, users[Role.DCS], reverse("registry:snapshot-detail", args=[dfe_snapshot.pk])
    )

    assert "govuk-service-navigation__item--active" in _text(response)
    assert '<strong class="govuk-service-navigation__active-fallback">Statistics' in _text(response)


# --- The statistics home ------------------------------------------------------------------------


def test_the_statistics_page_lists_what_was_produced_newest_first_with_who_and_when(
    client, users, dfe_snapshot, pack_snapshot
):
    response = _get(client, users[Role.DCS], reverse("registry:report-list"))

    assert response.status_code == 200
    assert [s.pk for s in response.context["snapshots"]] == [pack_snapshot.pk, dfe_snapshot.pk]
    text = _text(response)
    assert str(users[Role.DCS]) in text
    assert str(users[Role.ADMINISTRATOR]) in text
    assert timezone.localtime(dfe_snapshot.produced_at).strftime("%-d %B %Y") in text


def test_the_statistics_page_lists_recent_pack_requests_with_their_status(client, users):
    report_request = reporting_services.report_request_create(
        kind=ReportKind.QUARTERLY_PACK, period="2025-Q2", by=users[Role.DCS]
    )
    reporting_services.report_request_fail(request_id=report_request.pk, error="No population")

    response = _get(client, users[Role.INCLUSION_LEAD], reverse("registry:report-list"))

    text = _text(response)
    assert reverse("registry:report-request-detail", args=[report_request.pk]) in text
    assert "govuk-tag--red" in text
    assert "Failed" in text


def test_the_production_forms_are_offered_to_producers_only_with_their_defaults(client, users):
    today = timezone.localdate()

    producer = _get(client, users[Role.DCS], reverse("registry:report-list"))
    officer = _get(client, users[Role.EHE_OFFICER], reverse("registry:report-list"))

    assert producer.context["dfe_form"]["census_date"].initial == latest_census_on_or_before(today)
    assert producer.context["pack_form"]["quarter"].initial == last_ended_quarter(today).key
    assert "Produce the DfE return" in _text(producer)
    assert "Produce the quarterly pack" in _text(producer)
    assert officer.context["dfe_form"] is None
    assert "Produce the DfE return" not in _text(officer)


def test_the_dfe_form_rejects_a_date_that_is_not_a_census_day_naming_the_census_days(client, users):
    sign_in(client, users[Role.ADMINISTRATOR])

    response = client.post(
        reverse("registry:dfe-return-produce"),
        {"dfe-census_date_0": "3", "dfe-census_date_1": "10", "dfe-census_date_2": "2025"},
    )

    assert response.status_code == 200
    message = report_forms.not_a_census_day_message(date(2025, 10, 3))
    assert response.context["failed"].errors["census_date"] == [message]
    assert "2 October 2025, 15 January 2026 and 21 May 2026" in message
    assert "govuk-error-summary" in _text(response)
    assert not ReportSnapshot.objects.exists()


def test_the_dfe_form_rejects_a_census_day_still_to_come(client, users):
    sign_in(client, users[Role.ADMINISTRATOR])
    next_year = timezone.localdate().year + 1

    response = client.post(
        reverse("registry:dfe-return-produce"),
        {"dfe-census_date_0": "1", "dfe-census_date_1": "10", "dfe-census_date_2": next_year},
    )

    assert response.context["failed"].errors["census_date"] == [report_forms.CENSUS_DAY_IN_FUTURE]


def test_producing_the_dfe_return_freezes_a_snapshot_and_opens_it(client, users):
    EHEEpisodeFactory(start_date=date(2025, 9, 1))
    sign_in(client, users[Role.DCS])

    response = client.post(
        reverse("registry:dfe-return-produce"),
        {"dfe-census_date_0": "2", "dfe-census_date_1": "10", "dfe-census_date_2": "2025"},
        follow=True,
    )

    snapshot = ReportSnapshot.objects.get()
    assert (snapshot.kind, snapshot.as_at, snapshot.produced_by) == (
        ReportKind.DFE_RETURN,
        CENSUS_DAY,
        users[Role.DCS],
    )
    assert response.redirect_chain[-1][0] == reverse("registry:snapshot-detail", args=[snapshot.pk])
    assert views.DFE_RETURN_PRODUCED.format(census_date="2 October 2025") in _text(response)
    assert views.FINGERPRINT_MATCHES in _text(response)


@pytest.mark.parametrize(
    "role", [Role.EHE_OFFICER, Role.CME_OFFICER, Role.INCLUSION_LEAD, Role.SCHOOL_USER]
)
def test_a_role_that_may_not_produce_cannot_post_either_form_and_nothing_is_made(
    client, users, role
):
    sign_in(client, users[role])

    responses = [
        client.post(
            reverse("registry:dfe-return-produce"),
            {"dfe-census_date_0": "2", "dfe-census_date_1": "10", "dfe-census_date_2": "2025"},
        ),
        client.post(reverse("registry:quarterly-pack-request"), {"pack-quarter": "2025-Q3"}),
    ]

    assert [response.status_code for response in responses] == [403, 403]
    assert not ReportSnapshot.objects.exists()
    assert not ReportRequest.objects.exists()


def test_the_pack_form_queues_a_request_and_opens_its_progress(
    client, users, django_capture_on_commit_callbacks, monkeypatch
):
    sign_in(client, users[Role.DCS])
    # Run the queued task in this process (eager or not): the worker path is the broker test's.
    monkeypatch.setattr(
        quarterly_pack_task, "apply_async", lambda args=(), **_: quarterly_pack_task.apply(args)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("registry:quarterly-pack-request"), {"pack-quarter": "2025-q3"}
        )

    report_request = ReportRequest.objects.get()
    assert (report_request.kind, report_request.period, report_request.requested_by) == (
        ReportKind.QUARTERLY_PACK,
        "2025-Q3",
        users[Role.DCS],
    )
    assert response.status_code == 302
    assert response.url == reverse("registry:report-request-detail", args=[report_request.pk])
    page = client.get(response.url)
    assert views.PACK_REQUESTED.format(quarter="2025-Q3") in _text(page)


@pytest.mark.parametrize("quarter", ["2025-Q5", "Q3 2025", ""])
def test_the_pack_form_refuses_a_quarter_it_cannot_read(client, users, quarter):
    sign_in(client, users[Role.DCS])

    response = client.post(reverse("registry:quarterly-pack-request"), {"pack-quarter": quarter})

    assert response.status_code == 200
    assert "quarter" in response.context["failed"].errors
    assert "govuk-error-summary" in _text(response)
    assert not ReportRequest.objects.exists()


def test_the_pack_form_refuses_a_quarter_that_has_not_ended(client, users):
    sign_in(client, users[Role.DCS])
    this_quarter = last_ended_quarter(timezone.localdate()).following().key

    response = client.post(
        reverse("registry:quarterly-pack-request"), {"pack-quarter": this_quarter}
    )

    assert this_quarter in response.context["failed"].errors["quarter"][0]
    assert not ReportRequest.objects.exists()


# --- A snapshot ---------------------------------------------------------------------------------


def test_the_snapshot_page_shows_the_frozen_figures_and_that_they_match_their_fingerprint(
    client, users, dfe_snapshot
):
    response = _get(
        client, users[Role.EHE_OFFICER], reverse("registry:snapshot-detail", args=[dfe_snapshot.pk])
    )

    text = _text(response)
    assert response.status_code == 200
    assert DFE_TABLES["title"] in text
    assert "2025.1" in text
    assert str(users[Role.DCS]) in text
    produced = timezone.localtime(dfe_snapshot.produced_at)
    assert views.FIGURES_FROZEN.format(produced=f"{produced:%-d %B %Y} at {produced:%H:%M}") in text
    assert views.FINGERPRINT_MATCHES in text
    assert views.FINGERPRINT_BROKEN not in text
    assert "1,234" in text
    assert "49.5" in text


def test_the_snapshot_page_warns_when_the_stored_figures_no_longer_match_their_fingerprint(
    client, users, dfe_snapshot
):
    tampered = {**DFE_TABLES, "sections": [{**DFE_TABLES["sections"][0], "rows": [["Total", 1]]}]}
    ReportSnapshot.objects.filter(pk=dfe_snapshot.pk).update(tables=tampered)

    response = _get(
        client, users[Role.DCS], reverse("registry:snapshot-detail", args=[dfe_snapshot.pk])
    )

    assert views.FINGERPRINT_BROKEN in _text(response)
    assert views.FINGERPRINT_MATCHES not in _text(response)


def test_the_snapshot_page_draws_each_section_as_a_table_with_figure_columns_right_aligned(
    client, users, dfe_snapshot
):
    response = _get(
        client, users[Role.DCS], reverse("registry:snapshot-detail", args=[dfe_snapshot.pk])
    )

    [section] = response.context["sections"]
    table = section["table"]
    assert [header["numeric"] for header in table["headers"]] == [False, True, True]
    assert table["row_headers"] is True
    text = _text(response)
    assert '<caption class="govuk-table__caption govuk-visually-hidden">EHE: children' in text
    assert '<th scope="row" class="govuk-table__header">Female</th>' in text
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">611</td>' in text


def test_the_snapshot_page_lists_the_dfe_checks_passed_and_failed(client, users, dfe_snapshot):
    response = _get(
        client, users[Role.DCS], reverse("registry:snapshot-detail", args=[dfe_snapshot.pk])
    )

    text = _text(response)
    assert "Passed</strong> The census totals add up: 1234 = 1234" in text
    assert "Failed</strong> Every child's sex is known: 3 children" in text
    assert ("reason_unknown", "Reason unknown", 2) in response.context["issue_counts"]


def test_the_snapshot_page_links_the_validation_report_only_for_roles_that_see_children(
    client, users, dfe_snapshot
):
    url = reverse("registry:snapshot-detail", args=[dfe_snapshot.pk])
    validation = reverse("registry:dfe-return-validation", args=[CENSUS_DAY])

    assert validation in _text(_get(client, users[Role.EHE_OFFICER], url))
    assert validation not in _text(_get(client, users[Role.DCS], url))


def test_the_pack_page_shows_each_chart_as_svg_with_its_figures_and_marks_publication(
    client, users, pack_snapshot
):
    response = _get(
        client,
        users[Role.INCLUSION_LEAD],
        reverse("registry:snapshot-detail", args=[pack_snapshot.pk]),
    )

    text = _text(response)
    assert text.count('role="img"') == 1
    assert "<title" in text
    assert "Children in EHE at each quarter end" in text
    [chart] = response.context["charts"]
    assert [cell["text"] for cell in chart["section"]["table"]["rows"][0]] == ["Q2 2025", "1,190"]
    assert "For publication" in text
    assert "Not for publication" in text
    england = response.context["sections"][0]["table"]["headers"][2]
    assert england == {"text": "England", "numeric": True}


def test_a_file_download_returns_the_exact_bytes_with_its_content_type_and_name(
    client, users, dfe_snapshot, pack_snapshot
):
    sign_in(client, users[Role.ADMINISTRATOR])

    csv = client.get(reverse("registry:snapshot-file", args=[dfe_snapshot.pk, "ehe_census.csv"]))
    pdf = client.get(reverse("registry:snapshot-file", args=[pack_snapshot.pk, "pack.pdf"]))

    assert b"".join(csv.streaming_content) == CSV_BYTES
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    # Named by the LA, the return, its period and the day produced (views.reports.download_name).
    assert csv["Content-Disposition"].endswith(
        "-dfe-return-2025-10-02-produced-"
        f'{timezone.localtime(dfe_snapshot.produced_at):%Y-%m-%d}-ehe_census.csv"'
    )
    assert b"".join(pdf.streaming_content) == b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    assert pdf["Content-Type"] == "application/pdf"


def test_a_file_that_the_snapshot_does_not_have_is_not_found(client, users, dfe_snapshot):
    sign_in(client, users[Role.ADMINISTRATOR])

    response = client.get(reverse("registry:snapshot-file", args=[dfe_snapshot.pk, "pack.pdf"]))

    assert response.status_code == 404


# --- The DfE return's validation report ---------------------------------------------------------


@pytest.fixture
def unknown_reason():
    """A child in EHE on the census day whose primary reason is 'Unknown'."""
    return EHEEpisodeFactory(
        start_date=date(2025, 9, 1),
        primary_reason="unknown",
        child__legal_forenames="Ottilie",
        child__legal_surname="Unknownreasonqx",
    ).child


def test_the_validation_page_lists_a_child_with_an_unknown_reason_for_an_officer(
    client, users, unknown_reason
):
    response = _get(
        client,
        users[Role.EHE_OFFICER],
        reverse("registry:dfe-return-validation", args=[CENSUS_DAY]),
    )

    text = _text(response)
    assert response.status_code == 200
    record = reverse("registry:child-detail", args=[unknown_reason.pk])
    assert f'<a class="govuk-link" href="{record}">Ottilie Unknownreasonqx</a>' in text
    assert any(
        row.child == unknown_reason and row.code == "reason_unknown"
        for row in response.context["rows"]
    )


def test_the_validation_csv_lists_the_same_children(client, users, unknown_reason):
    response = _get(
        client,
        users[Role.ADMINISTRATOR],
        reverse("registry:dfe-return-validation-csv", args=[CENSUS_DAY]),
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="dfe-return-2025-10-02-validation.csv"' in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(views.VALIDATION_CSV_HEADERS)
    assert any(
        line.startswith("Unknownreasonqx,Ottilie,http://testserver/children/")
        and ",EHE,reason_unknown," in line
        for line in lines[1:]
    )


def test_a_child_outside_an_officers_view_is_listed_without_a_name(client, users, unknown_reason):
    response = _get(
        client,
        users[Role.CME_OFFICER],
        reverse("registry:dfe-return-validation", args=[CENSUS_DAY]),
    )

    assert "Unknownreasonqx" not in _text(response)
    assert "A child outside your view of the register" in _text(response)


@pytest.mark.parametrize("role", [Role.DCS, Role.INCLUSION_LEAD, Role.SCHOOL_USER])
def test_the_validation_page_and_its_csv_are_refused_to_roles_that_may_not_see_children(
    client, users, unknown_reason, role
):
    sign_in(client, users[role])

    responses = [
        client.get(reverse("registry:dfe-return-validation", args=[CENSUS_DAY])),
        client.get(reverse("registry:dfe-return-validation-csv", args=[CENSUS_DAY])),
    ]

    assert [response.status_code for response in responses] == [403, 403]
    assert all(b"Unknownreasonqx" not in response.content for response in responses)


@pytest.mark.parametrize("day", ["2025-10-03", "2025-02-30"])
def test_the_validation_page_of_a_day_that_is_not_a_census_day_is_not_found(client, users, day):
    sign_in(client, users[Role.ADMINISTRATOR])

    response = client.get(f"/statistics/dfe-return/{day}/validation/")

    assert response.status_code == 404


def test_the_dcs_never_sees_a_childs_name_on_the_statistics_pages(client, users, unknown_reason):
    CMEEpisodeFactory(child__legal_surname="Missingnameqx", primary_reason="unknown")
    snapshot = _freeze(ReportKind.DFE_RETURN, DFE_TABLES, by=users[Role.DCS])
    sign_in(client, users[Role.DCS])

    pages = [
        client.get(reverse("registry:report-list")),
        client.get(reverse("registry:snapshot-detail", args=[snapshot.pk])),
        client.get(reverse("registry:reference-figures")),
    ]

    for page in pages:
        assert page.status_code == 200
        assert b"Unknownreasonqx" not in page.content
        assert b"Missingnameqx" not in page.content


# --- A pack request's progress ------------------------------------------------------------------


@pytest.fixture
def pack_request(users):
    return reporting_services.report_request_create(
        kind=ReportKind.QUARTERLY_PACK, period="2025-Q3", by=users[Role.DCS]
    )


def test_a_running_request_shows_its_stage_and_refreshes_every_two_seconds(
    client, users, pack_request
):
    reporting_services.report_request_progress(
        request_id=pack_request.pk, progress=40, stage="Counting flows"
    )
    sign_in(client, users[Role.DCS])

    page = client.get(reverse("registry:report-request-detail", args=[pack_request.pk]))
    progress = client.get(reverse("registry:report-request-progress", args=[pack_request.pk]))

    progress_url = reverse("registry:report-request-progress", args=[pack_request.pk])
    assert f'src="{progress_url}"' in _text(page)
    assert '<meta http-equiv="refresh" content="2">' in _text(progress)
    assert 'value="40"' in _text(progress)
    assert "Running: Counting flows" in _text(progress)
    assert progress["X-Frame-Options"] == "SAMEORIGIN"


def test_a_finished_request_links_to_its_pack_and_stops_refreshing(
    client, users, pack_request, pack_snapshot
):
    reporting_services.report_request_finish(request_id=pack_request.pk, snapshot=pack_snapshot)
    sign_in(client, users[Role.INCLUSION_LEAD])

    page = client.get(reverse("registry:report-request-detail", args=[pack_request.pk]))
    progress = client.get(reverse("registry:report-request-progress", args=[pack_request.pk]))

    snapshot_url = reverse("registry:snapshot-detail", args=[pack_snapshot.pk])
    assert snapshot_url in _text(page)
    assert "<iframe" not in _text(page)
    assert 'http-equiv="refresh"' not in _text(progress)
    assert f'href="{snapshot_url}" target="_top"' in _text(progress)


def test_a_failed_request_shows_its_error_text_to_the_administrator_only(
    client, users, pack_request
):
    reporting_services.report_request_fail(
        request_id=pack_request.pk, error="No population estimate for 2025"
    )
    url = reverse("registry:report-request-detail", args=[pack_request.pk])

    dcs = _get(client, users[Role.DCS], url)
    administrator = _get(client, users[Role.ADMINISTRATOR], url)

    # The stored text is an exception's: it may quote data or internals (registry/access.py,
    # VIEW_TECHNICAL_ERRORS). The DCS is told it failed and to pass it to the data manager.
    assert "No population estimate for 2025" not in _text(dcs)
    assert "The pack could not be produced" in _text(dcs)
    assert "<iframe" not in _text(dcs)
    assert "No population estimate for 2025" in _text(administrator)


def test_a_pack_request_is_not_found_for_an_officer_who_reads_only_the_dfe_return(
    client, users, pack_request
):
    response = _get(
        client,
        users[Role.CME_OFFICER],
        reverse("registry:report-request-detail", args=[pack_request.pk]),
    )

    assert response.status_code == 404


# --- Reference figures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.DCS, 200),
        (Role.ADMINISTRATOR, 200),
        (Role.EHE_OFFICER, 403),
        (Role.CME_OFFICER, 403),
        (Role.INCLUSION_LEAD, 403),
        (Role.SCHOOL_USER, 403),
    ],
)
def test_the_reference_figures_page_is_for_producers_only(client, users, role, expected):
    response = _get(client, users[role], reverse("registry:reference-figures"))

    assert response.status_code == expected


def test_the_population_form_saves_an_estimate_and_lists_it(client, users):
    sign_in(client, users[Role.DCS])

    response = client.post(
        reverse("registry:population-estimate-save"),
        {
            "population-mid_year": "2024",
            "population-aged_5_to_16": "123456",
            "population-source": "ONS mid-2024",
        },
        follow=True,
    )

    estimate = PopulationEstimate.objects.get()
    assert (estimate.mid_year, estimate.aged_5_to_16, estimate.entered_by) == (
        2024,
        123456,
        users[Role.DCS],
    )
    assert response.redirect_chain == [(reverse("registry:reference-figures"), 302)]
    assert views.POPULATION_SAVED.format(mid_year=2024) in _text(response)
    assert "123,456" in _text(response)


def test_the_population_form_shows_its_errors_in_a_summary_and_saves_nothing(client, users):
    sign_in(client, users[Role.ADMINISTRATOR])

    response = client.post(
        reverse("registry:population-estimate-save"),
        {"population-mid_year": "", "population-aged_5_to_16": "-5"},
    )

    assert response.status_code == 200
    assert set(response.context["failed"].errors) == {"mid_year", "aged_5_to_16"}
    text = _text(response)
    assert "govuk-error-summary" in text
    assert 'href="#id_population-mid_year"' in text
    assert "<title>Error: " in text
    assert not PopulationEstimate.objects.exists()


def test_the_comparator_form_saves_england_figures_for_a_census_day(client, users):
    sign_in(client, users[Role.DCS])

    response = client.post(
        reverse("registry:comparator-figure-save"),
        {
            "comparator-census_date_0": "2",
            "comparator-census_date_1": "10",
            "comparator-census_date_2": "2025",
            "comparator-geography": "england",
            "comparator-ehe_count": "111700",
            "comparator-ehe_rate_per_100": "1.2",
            "comparator-source": "DfE EHE autumn 2025",
        },
        follow=True,
    )

    figure = ComparatorFigure.objects.get()
    assert (figure.census_date, figure.geography, figure.ehe_count) == (
        CENSUS_DAY,
        "england",
        111700,
    )
    assert figure.ehe_rate_per_100 == Decimal("1.2")
    assert figure.cme_count is None
    assert views.COMPARATOR_SAVED.format(
        geography="England", census_date="2 October 2025"
    ) in _text(response)
    assert "111,700" in _text(response)


def test_the_comparator_form_needs_a_census_day_and_at_least_one_figure(client, users):
    sign_in(client, users[Role.DCS])
    base = {"comparator-geography": "region", "comparator-census_date_1": "10"}

    wrong_day = client.post(
        reverse("registry:comparator-figure-save"),
        {**base, "comparator-census_date_0": "3", "comparator-census_date_2": "2025"},
    )
    no_figures = client.post(
        reverse("registry:comparator-figure-save"),
        {**base, "comparator-census_date_0": "2", "comparator-census_date_2": "2025"},
    )

    assert wrong_day.context["failed"].errors["census_date"] == [
        report_forms.not_a_census_day_message(date(2025, 10, 3))
    ]
    assert no_figures.context["failed"].non_field_errors() == [report_forms.NO_FIGURES]
    assert "govuk-error-summary" in _text(no_figures)
    assert not ComparatorFigure.objects.exists()


@pytest.mark.parametrize("role", [Role.EHE_OFFICER, Role.INCLUSION_LEAD, Role.SCHOOL_USER])
def test_a_role_that_may_not_enter_reference_figures_cannot_post_them(client, users, role):
    sign_in(client, users[role])

    responses = [
        client.post(
            reverse("registry:population-estimate-save"),
            {"population-mid_year": "2024", "population-aged_5_to_16": "1000"},
        ),
        client.post(
            reverse("registry:comparator-figure-save"),
            {
                "comparator-census_date_0": "2",
                "comparator-census_date_1": "10",
                "comparator-census_date_2": "2025",
                "comparator-geography": "england",
                "comparator-ehe_count": "1",
            },
        ),
    ]

    assert [response.status_code for response in responses] == [403, 403]
    assert not PopulationEstimate.objects.exists()
    assert not ComparatorFigure.objects.exists()
