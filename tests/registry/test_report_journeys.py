"""The DCS's and analyst's journeys on the statistics pages: the DfE tables readable on screen,
the records to check followed by those allowed to, producing a period again only when asked, and
downloads named so they can be told apart in a downloads folder."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import ReportKind, ReportRequest, ReportSnapshot, Role
from registry.services import reporting as reporting_services
from registry.services.dfe_return import DfEReturnErrors
from registry.services.reporting import RenderedFile
from tests.factories import EHEEpisodeFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db
CENSUS_DAY = date(2025, 10, 2)
DFE_TABLES = {
    "title": "DfE EHE and CME return, autumn term 2025/26",
    "sections": [
        {
            "key": "ehe_census",
            "title": "EHE: children on the census day",
            "columns": ["time_period", "geographic_level", "region_code", "breakdown", "count"],
            "rows": [
                ["202526", "Local authority", "", "Total", 1234],
                ["202526", "Local authority", "", "Female", 611],
            ],
        }
    ],
    "issue_counts": {"reason_unknown": 2},
}


def _dfe_return(**kwargs):
    return reporting_services.snapshot_freeze(
        kind=ReportKind.DFE_RETURN,
        period=CENSUS_DAY.isoformat(),
        as_at=CENSUS_DAY,
        tables=DFE_TABLES,
        files=[RenderedFile("ehe_census.csv", "text/csv", b"a,b\r\n")],
        by=None,
        method_version="2025.1",
    )


def test_the_on_screen_dfe_table_says_the_columns_the_same_on_every_row_once(client):
    snapshot = _dfe_return()
    sign_in(client, UserFactory(role=Role.DCS))

    page = client.get(reverse("registry:snapshot-detail", args=[snapshot.pk])).content.decode()
    table = page.split("<table", 2)[-1]  # the section's table (after the checks table)
    above = page.split("EHE: children on the census day")[1].split("<table")[0]

    assert "time_period" in above
    assert "202526" in above
    assert "time_period" not in table
    assert "geographic_level" not in table
    assert "region_code" not in table  # blank on every row (the geography is not set yet)
    assert "region_code" in above
    assert "breakdown" in table
    assert "1,234" in table


def test_records_to_check_link_to_the_records_for_roles_allowed_to_follow_them(client, ehe_officer):
    snapshot = _dfe_return()
    url = reverse("registry:snapshot-detail", args=[snapshot.pk])
    link = reverse("registry:dfe-return-validation", args=[CENSUS_DAY]) + "?issue=reason_unknown"

    sign_in(client, ehe_officer)
    assert link in client.get(url).content.decode()
    sign_in(client, UserFactory(role=Role.DCS))  # aggregates only, never a child
    page = client.get(url).content.decode()
    assert link not in page
    assert "Reason unknown" in page


def test_the_records_to_check_can_be_narrowed_to_one_issue(client, ehe_officer):
    EHEEpisodeFactory(start_date=date(2025, 9, 1), primary_reason="unknown")
    sign_in(client, ehe_officer)
    url = reverse("registry:dfe-return-validation", args=[CENSUS_DAY])

    every = client.get(url).context["rows"]
    narrowed = client.get(url, {"issue": every[0].code}).context["rows"]
    none = client.get(url, {"issue": "no_such_issue"}).context["rows"]

    assert every
    assert {row.code for row in narrowed} == {every[0].code}
    assert none == []


def test_producing_the_same_census_day_again_is_refused_unless_asked(client):
    _dfe_return()
    sign_in(client, UserFactory(role=Role.DCS))
    form = {"dfe-census_date_0": "2", "dfe-census_date_1": "10", "dfe-census_date_2": "2025"}

    refused = client.post(reverse("registry:dfe-return-produce"), form)

    assert refused.status_code == 200
    assert DfEReturnErrors.ALREADY_PRODUCED.split("{")[0] in refused.content.decode()
    assert ReportSnapshot.objects.filter(kind=ReportKind.DFE_RETURN).count() == 1

    produced = client.post(reverse("registry:dfe-return-produce"), {**form, "dfe-again": "on"})

    assert produced.status_code == 302
    assert ReportSnapshot.objects.filter(kind=ReportKind.DFE_RETURN).count() == 2


def test_requesting_a_pack_for_a_quarter_already_produced_is_refused_unless_asked(client):
    reporting_services.snapshot_freeze(
        kind=ReportKind.QUARTERLY_PACK,
        period="2025-Q3",
        as_at=date(2025, 9, 30),
        tables={"title": "Pack"},
        files=[],
        by=None,
        method_version="2025.1",
    )
    sign_in(client, UserFactory(role=Role.DCS))

    # In a test transaction the worker is never queued (on commit): only the request is kept.
    refused = client.post(reverse("registry:quarterly-pack-request"), {"pack-quarter": "2025-Q3"})
    assert refused.status_code == 200
    assert "was produced on" in refused.content.decode()
    assert not ReportRequest.objects.exists()

    asked = client.post(
        reverse("registry:quarterly-pack-request"),
        {"pack-quarter": "2025-Q3", "pack-again": "on"},
    )

    assert asked.status_code == 302
    assert ReportRequest.objects.filter(period="2025-Q3").count() == 1


def test_a_download_is_named_by_the_la_the_return_its_period_and_the_day_produced(client, settings):
    settings.LOCAL_AUTHORITY_NAME = "West Sussex"
    snapshot = _dfe_return()
    produced = timezone.localtime(snapshot.produced_at).date().isoformat()
    sign_in(client, UserFactory(role=Role.DCS))

    response = client.get(reverse("registry:snapshot-file", args=[snapshot.pk, "ehe_census.csv"]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="west-sussex-dfe-return-2025-10-02-produced-{produced}-'
        'ehe_census.csv"'
    )
