"""The DCS quarterly pack (docs/rules/statistics.md §6, ADR 0008): figures worked out by hand
for a small authority in October to December 2025 (today is 23 November 2026), its files, its
task and its command.

The authority, by group of children (all named Marigold Quillfeather, a name no generator makes):

- A: 17 in EHE from 10 May 2024, open; 6 of them served s.437 notices on 3 November 2025, one an
  SAO on 1 December 2025 and one a s.437 notice on 10 March 2025.
- B: 6 started EHE on 6 October 2025 (3 with Priya Shah, North; 2 with Tom Reed, South; 1 with
  nobody), first contact after 2, 4 (North), 6, 10 (South) days; 2 not contacted.
- C: 5 started EHE on 3 February 2025 and returned to school on 10 November 2025.
- D: 4 started EHE on 7 April 2025 and moved away on 1 December 2025.
- E: 1 in EHE from 1 February 2024, returned to school on 3 June 2024.
- CME: 12 missing since 20 May 2025 or up to 11 days earlier (225 to 236 days by 31 December),
  with Tom Reed; 2 missing since 14 November 2025 (47 days), with Tom Reed; 1 with no date; one
  found on a school roll on 15 October 2025 and one confirmed abroad on 10 December 2025.
- Population aged 5 to 16: 2,000 (mid-2024).
"""

import io
import json
import re
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from registry.models import (
    ActionStatus,
    CMEReason,
    CMESource,
    CMEStatus,
    EHESource,
    EHEStatus,
    EnforcementStepType,
    ReportKind,
    ReportRequest,
    ReportRequestStatus,
    ReportSnapshot,
    Role,
)
from registry.reporting import pack as pack_module
from registry.reporting.pack import (
    MANAGEMENT_INFORMATION,
    Quarter,
    QuarterErrors,
    last_ended_quarter,
    parse_quarter,
    quarterly_pack_tables,
)
from registry.reporting.pack_render import (
    chart_as_section,
    chart_svg,
    pack_csv,
    pack_pdf,
    pack_xlsx,
    pdf_text,
)
from registry.services import quarterly_pack as service
from registry.services.episodes import (
    cme_episode_open,
    cme_episode_status_change,
    ehe_episode_open,
    ehe_episode_status_change,
    enforcement_step_record,
)
from registry.services.reporting import (
    comparator_figure_save,
    population_estimate_save,
    report_request_create,
)
from registry.tasks import quarterly_pack_quarter_end_task, quarterly_pack_task
from tests.factories import (
    ActionFactory,
    AlertEventFactory,
    ChildFactory,
    OffRollingAlertFactory,
    SchoolFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHILD_SURNAME = "Quillfeather"
Q4_2025 = Quarter(2025, 4)


def _at(day: date):
    return datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())


def _child():
    return ChildFactory(legal_forenames="Marigold", legal_surname=CHILD_SURNAME)


def _ehe(by, start, *, officer=None, contact_after=None, closed=None, status=None):
    episode = ehe_episode_open(
        child=_child(), by=by, start_date=start, source=EHESource.PARENT, assigned_officer=officer
    )
    if contact_after is not None:
        ehe_episode_status_change(
            episode=episode,
            by=by,
            status=EHEStatus.FIRST_CONTACT,
            effective_date=start + timedelta(days=contact_after),
            reason="Spoke with the family",
        )
    if closed is not None:
        ehe_episode_status_change(
            episode=episode, by=by, status=status, effective_date=closed, reason="Closed"
        )
    return episode


def _cme(by, start, missing_since, *, officer=None):
    return cme_episode_open(
        child=_child(),
        by=by,
        start_date=start,
        source=CMESource.SCHOOL_DELETION,
        missing_since=missing_since,
        primary_reason=CMEReason.WHEREABOUTS_UNKNOWN,
        assigned_officer=officer,
    )


def _build_ehe(admin, north, south):
    group_a = [_ehe(admin, date(2024, 5, 10)) for _ in range(17)]
    for episode in group_a[:6]:
        ehe_episode_status_change(
            episode=episode,
            by=admin,
            status=EHEStatus.S437_NOTICE_SERVED,
            effective_date=date(2025, 11, 3),
            reason="No evidence of suitable education",
        )
    enforcement_step_record(
        episode=group_a[6],
        by=admin,
        step_type=EnforcementStepType.SAO_ISSUED,
        served_on=date(2025, 12, 1),
    )
    enforcement_step_record(
        episode=group_a[7],
        by=admin,
        step_type=EnforcementStepType.S437_NOTICE,
        served_on=date(2025, 3, 10),
    )
    start_b = date(2025, 10, 6)
    for officer, contact in [(north, 2), (north, 4), (north, None), (south, 6), (south, 10)]:
        _ehe(admin, start_b, officer=officer, contact_after=contact)
    _ehe(admin, start_b)
    for _ in range(5):
        _ehe(
            admin,
            date(2025, 2, 3),
            officer=north,
            closed=date(2025, 11, 10),
            status=EHEStatus.RETURNED_TO_SCHOOL,
        )
    for _ in range(4):
        _ehe(admin, date(2025, 4, 7), closed=date(2025, 12, 1), status=EHEStatus.MOVED_AWAY)
    _ehe(admin, date(2024, 2, 1), closed=date(2024, 6, 3), status=EHEStatus.RETURNED_TO_SCHOOL)


def _build_cme(admin, south):
    for days_earlier in range(12):
        _cme(
            admin, date(2025, 6, 2), date(2025, 5, 20) - timedelta(days=days_earlier), officer=south
        )
    for _ in range(2):
        _cme(admin, date(2025, 11, 20), date(2025, 11, 14), officer=south)
    _cme(admin, date(2025, 12, 1), None)
    found = _cme(admin, date(2025, 3, 3), date(2025, 3, 1))
    cme_episode_status_change(
        episode=found,
        by=admin,
        status=CMEStatus.LOCATED_IN_SCHOOL,
        effective_date=date(2025, 10, 15),
        reason="On the roll of a local school",
        located_school=SchoolFactory(),
    )
    abroad = _cme(admin, date(2025, 7, 1), date(2025, 7, 1))
    cme_episode_status_change(
        episode=abroad,
        by=admin,
        status=CMEStatus.CONFIRMED_ABROAD,
        effective_date=date(2025, 12, 10),
        reason="Confirmed abroad",
        abroad_evidence="Letter from the new school in Spain",
    )


def _action(owner, *, created, due, status=ActionStatus.OPEN, completed_on=None):
    return ActionFactory(
        child=_child(),
        owner=owner,
        created_at=_at(created),
        due_date=due,
        status=status,
        completed_on=completed_on,
    )


def _build_actions(north, south, admin):
    _action(north, created=date(2025, 11, 1), due=date(2025, 12, 1))  # overdue
    _action(north, created=date(2025, 12, 1), due=date(2026, 1, 15))  # open, not due
    done_late = {"status": ActionStatus.DONE, "completed_on": date(2026, 1, 5)}
    _action(north, created=date(2025, 11, 15), due=date(2025, 12, 20), **done_late)  # overdue
    done_in_time = {"status": ActionStatus.DONE, "completed_on": date(2025, 12, 15)}
    _action(north, created=date(2025, 11, 15), due=date(2025, 12, 20), **done_in_time)
    _action(north, created=date(2026, 2, 1), due=date(2026, 3, 1))  # made after the quarter
    _action(south, created=date(2025, 10, 1), due=date(2025, 12, 31))  # due on the day
    cancelled_late = {"status": ActionStatus.CANCELLED, "completed_on": date(2026, 1, 10)}
    _action(south, created=date(2025, 10, 1), due=date(2025, 11, 30), **cancelled_late)
    _action(admin, created=date(2025, 9, 1), due=date(2025, 10, 1))  # overdue, no team


def _status_event(alert, status, on):
    AlertEventFactory(alert=alert, event_type="status", to_status=status, at=_at(on))


def _build_alerts():
    ashdown = SchoolFactory(name="Ashdown Academy", urn="141001")
    brook = SchoolFactory(name="Brook Lane School", urn="141002")
    reviewed = OffRollingAlertFactory(
        school=ashdown, raised_at=_at(date(2025, 11, 1)), status="closed", outcome="explained"
    )
    AlertEventFactory(alert=reviewed, at=_at(date(2025, 11, 1)))
    _status_event(reviewed, "under_review", date(2025, 11, 20))
    _status_event(reviewed, "closed", date(2026, 2, 1))
    closed = OffRollingAlertFactory(
        school=ashdown, raised_at=_at(date(2025, 10, 5)), status="closed", outcome="nfa"
    )
    _status_event(closed, "raised_with_school", date(2025, 10, 20))
    _status_event(closed, "closed", date(2025, 12, 10))
    OffRollingAlertFactory(school=brook, raised_at=_at(date(2025, 12, 5)), status="new")
    closed_before = OffRollingAlertFactory(
        school=brook, raised_at=_at(date(2025, 6, 1)), status="closed", outcome="explained"
    )
    _status_event(closed_before, "closed", date(2025, 8, 1))
    later = SchoolFactory(name="Castle Hill School", urn="141003")
    OffRollingAlertFactory(school=later, raised_at=_at(date(2026, 3, 1)))
    elsewhere = SchoolFactory(name="Elsewhere High", urn="141004", is_local=False)
    OffRollingAlertFactory(school=elsewhere, raised_at=_at(date(2025, 11, 1)))


@pytest.fixture
def authority(settings):
    settings.REGION_NAME = "South East"
    admin = UserFactory(role=Role.ADMINISTRATOR, username="admin", team="")
    north = UserFactory(username="north", first_name="Priya", last_name="Shah", team="North")
    south = UserFactory(
        username="south", first_name="Tom", last_name="Reed", team="South", role=Role.CME_OFFICER
    )
    _build_ehe(admin, north, south)
    _build_cme(admin, south)
    _build_actions(north, south, admin)
    _build_alerts()
    population_estimate_save(mid_year=2024, aged_5_to_16=2000, source="ONS", by=admin)
    autumn_2025 = date(2025, 10, 2)
    comparator_figure_save(
        census_date=autumn_2025,
        geography="england",
        by=admin,
        ehe_count=126000,
        ehe_rate_per_100=Decimal("1.5"),
        cme_count=34700,
        cme_rate_per_100=Decimal("0.4"),
        source="EES autumn 2025",
    )
    comparator_figure_save(
        census_date=autumn_2025,
        geography="region",
        by=admin,
        ehe_count=21234,
        ehe_rate_per_100=Decimal("1.74"),
    )
    return admin


@pytest.fixture
def tables(authority):
    return quarterly_pack_tables(Q4_2025)


def _section(tables, key):
    return next(section for section in tables["sections"] if section["key"] == key)


def _chart(tables, key):
    chart = next(chart for chart in tables["charts"] if chart["key"] == key)
    return {series["name"]: series["values"] for series in chart["series"]}


# --- Quarters -----------------------------------------------------------------------------------


def test_parse_quarter_reads_a_calendar_quarter_and_its_last_day():
    quarter = parse_quarter(" 2025-q3 ")

    assert (quarter.first, quarter.last) == (date(2025, 7, 1), date(2025, 9, 30))
    assert (quarter.key, quarter.label) == ("2025-Q3", "July to September 2025")
    assert parse_quarter("2024-Q1").last == date(2024, 3, 31)
    assert Quarter(2025, 1).before(8) == Quarter(2023, 1)


@pytest.mark.parametrize("text", ["2025Q3", "2025-Q5", "2025-Q0", "Q3 2025", "", "2025-3"])
def test_parse_quarter_refuses_what_is_not_a_quarter_with_a_message_that_shows_the_form(text):
    with pytest.raises(ValueError, match=re.escape(QuarterErrors.FORMAT)):
        parse_quarter(text)


def test_parse_quarter_refuses_a_quarter_that_has_not_ended_when_asked():
    with pytest.raises(ValueError, match="2026-Q4 has not ended yet"):
        parse_quarter("2026-Q4", ended_by=date(2026, 11, 23))
    assert parse_quarter("2025-Q4", ended_by=date(2026, 1, 1)).key == "2025-Q4"


def test_last_ended_quarter_on_the_first_of_january_is_october_to_december():
    assert last_ended_quarter(date(2026, 1, 1)) == Quarter(2025, 4)
    assert last_ended_quarter(date(2026, 11, 23)) == Quarter(2026, 3)


# --- The figures --------------------------------------------------------------------------------


def test_pack_has_the_agreed_shape_and_is_json_serialisable(tables):
    assert json.loads(json.dumps(tables)) == tables
    assert (tables["quarter"], tables["as_at"]) == ("2025-Q4", "2025-12-31")
    assert [section["key"] for section in tables["sections"]] == [
        "at_quarter_end",
        "england_and_region",
        "autumn_to_autumn",
        "starts_and_returns",
        "enforcement",
        "returns_brokered",
        "cme_time_missing",
        "cme_longest_open",
        "first_contact",
        "overdue_actions",
        "caseload",
        "offrolling_alerts",
    ]
    for section in tables["sections"]:
        assert set(section) == {"key", "title", "note", "columns", "rows", "published"}
        assert all(len(row) == len(section["columns"]) for row in section["rows"])
    assert [chart["key"] for chart in tables["charts"]] == ["in_ehe_and_cme", "starts_and_returns"]


def test_counts_and_rates_at_the_quarter_end_are_rounded_to_ten(tables):
    # Changed by "unsuitable EHE counts as CME" (docs/rules/statistics.md §3.6): A's six under a
    # s.437 notice from 3 November 2025 count as CME, not EHE, on 31 December.
    # EHE: A 17 - 6 + B 6 = 17, rate 0.85 per 100; CME: 12 + 2 + 1 + 6 = 21, rate 1.05.
    assert _section(tables, "at_quarter_end")["rows"] == [
        ["Children in elective home education", "20", "0.9"],
        ["Children missing education", "20", "1.1"],
    ]


def test_england_and_region_are_set_beside_the_la_on_the_latest_census_day(tables):
    section = _section(tables, "england_and_region")

    # Census day 2 October 2025: EHE A 17 + C 5 + D 4 = 26; CME 12 + found + abroad = 14.
    assert "2 October 2025" in section["title"]
    assert section["columns"][3] == "South East: children"
    assert section["rows"] == [
        ["Children in elective home education", "30", "1.3", "21230", "1.7", "126000", "1.5"],
        ["Children missing education", "10", "0.7", "x", "x", "34700", "0.4"],
    ]
    assert "EES autumn 2025" in section["note"]


def test_england_and_region_are_compared_on_the_latest_census_day_with_figures_entered(authority):
    # The January 2026 census has no England or regional figures yet: autumn 2025 has them.
    section = _section(quarterly_pack_tables(parse_quarter("2026-Q1")), "england_and_region")

    assert "2 October 2025" in section["title"]
    assert section["rows"][0][5:] == ["126000", "1.5"]


def test_with_no_england_figures_at_all_the_latest_census_day_is_shown_with_x():
    section = _section(quarterly_pack_tables(parse_quarter("2026-Q1")), "england_and_region")

    assert "15 January 2026" in section["title"]
    assert section["rows"][0][3:] == ["x", "x", "x", "x"]


def test_autumn_is_compared_with_the_autumn_a_year_before(tables):
    section = _section(tables, "autumn_to_autumn")

    # Autumn 2024 (3 Oct): EHE 17, CME 0. Autumn 2025 (2 Oct): EHE 26, CME 14.
    assert section["columns"][1:3] == [
        "Autumn 2024 (3 October 2024)",
        "Autumn 2025 (2 October 2025)",
    ]
    assert section["rows"] == [
        ["Children in elective home education", "20", "30", "+10", "+52.9"],
        ["Children in elective home education: rate per 100", "0.9", "1.3", "+0.4", "z"],
        ["Children missing education", "0", "10", "+10", "z"],
        ["Children missing education: rate per 100", "0.0", "0.7", "+0.7", "z"],
    ]


def test_starts_and_returns_count_children_in_the_quarter_and_the_year(tables):
    assert _section(tables, "starts_and_returns")["rows"] == [
        ["Children who started EHE", "10", "20"],  # 6; 5 + 4 + 6 = 15
        ["Children who returned to school from EHE", "10", "10"],  # C's 5
        ["Children who left EHE for another reason", "low", "low"],  # D's 4 moved away
        # With A's six counted as CME from their s.437 notices on 3 November 2025
        # (docs/rules/statistics.md §3.6): 3 + 6 = 9; 12 + 3 + 2 + 6 = 23.
        ["Children who became missing education", "10", "20"],
        ["Children found (CME cases closed)", "low", "low"],  # 2
    ]


def test_enforcement_counts_notices_and_orders_served_in_the_period(tables):
    rows = {row[0]: row[1:] for row in _section(tables, "enforcement")["rows"]}

    assert rows["s.437(1) notice served"] == ["10", "10"]  # 6 in the quarter, 7 in the year
    assert rows["School attendance order issued"] == ["low", "low"]
    assert rows["School attendance order revoked"] == ["0", "0"]


def test_returns_brokered_add_cme_cases_found_on_a_school_roll_and_say_there_is_no_flag(tables):
    section = _section(tables, "returns_brokered")

    assert section["rows"] == [
        ["EHE episodes closed as returned to school", "10", "10"],
        ["CME cases closed as located on a school roll", "low", "low"],
        ["Returns to school", "10", "10"],  # 5 + 1
    ]
    assert "no separate 'brokered' flag" in section["note"]


def test_cme_by_time_band_gives_percentages_only_where_the_count_is_not_low(tables):
    # Changed by "unsuitable EHE counts as CME" (docs/rules/statistics.md §3.6): A's six under a
    # s.437 notice count as missing since 3 November 2025 (58 days), so 12 weeks or less.
    assert _section(tables, "cme_time_missing")["rows"] == [
        ["12 weeks or less", "10", "38.1"],  # 2 + 6 of 21
        ["More than 12 weeks", "10", "57.1"],  # 12 of 21
        ["Unknown", "low", "x"],  # 1
        ["Total", "20", "100.0"],
    ]


def test_longest_open_cme_cases_show_a_case_reference_never_a_name(tables):
    section = _section(tables, "cme_longest_open")

    assert not section["published"]
    assert len(section["rows"]) == 10
    assert [row[1] for row in section["rows"]] == list(range(236, 226, -1))
    reference, _, nc_year, band, reason = section["rows"][0]
    assert len(reference) == 8
    assert (nc_year, band, reason) == ("Year 9", "More than 12 weeks", "Whereabouts unknown")


def test_time_to_first_contact_is_exact_with_a_median_by_team(tables):
    section = _section(tables, "first_contact")

    assert section["note"].startswith(MANAGEMENT_INFORMATION)
    assert section["rows"] == [
        ["No officer assigned", 1, 0, 1, "n/a"],
        ["North", 3, 2, 1, 3],  # 2 and 4 days
        ["South", 2, 2, 0, 8],  # 6 and 10 days
        ["All teams", 6, 4, 2, 5],
    ]


def test_overdue_actions_are_those_open_at_the_quarter_end_and_due_before_it(tables):
    assert _section(tables, "overdue_actions")["rows"] == [
        ["No team recorded", 1, 1, 100.0],
        ["North", 3, 2, 66.7],
        ["South", 2, 1, 50.0],
        ["All teams", 6, 4, 66.7],
    ]


def test_caseload_counts_open_cases_per_officer_exactly(tables):
    assert _section(tables, "caseload")["rows"] == [
        ["Priya Shah", "North", 3, 0, 3],
        ["Tom Reed", "South", 2, 14, 16],
        ["No officer assigned", "", 18, 1, 19],
        ["All officers", "", 23, 15, 38],
    ]


def test_offrolling_alerts_show_each_schools_reviews_as_they_stood_at_the_quarter_end(tables):
    section = _section(tables, "offrolling_alerts")

    assert section["columns"] == [
        "School",
        "URN",
        "New",
        "Under review",
        "Raised with the school",
        "School responded",
        "Closed in the quarter",
        "Open alerts",
    ]
    assert section["rows"] == [
        ["Ashdown Academy", "141001", 0, 1, 0, 0, 1, 1],
        ["Brook Lane School", "141002", 1, 0, 0, 0, 0, 1],
        ["All schools", "", 1, 1, 0, 0, 1, 2],
    ]


def test_trends_give_eight_quarters_of_rounded_figures_with_low_as_a_gap(tables):
    chart = next(chart for chart in tables["charts"] if chart["key"] == "in_ehe_and_cme")
    assert chart["x_labels"] == [
        "Q1 2024",
        "Q2 2024",
        "Q3 2024",
        "Q4 2024",
        "Q1 2025",
        "Q2 2025",
        "Q3 2025",
        "Q4 2025",
    ]
    assert _chart(tables, "in_ehe_and_cme") == {
        "In elective home education": [None, 20, 20, 20, 20, 30, 30, 20],
        "Missing education": [0, 0, 0, 0, None, 10, 10, 20],
    }
    assert _chart(tables, "starts_and_returns") == {
        "Started EHE": [None, 20, 0, 0, 10, None, 0, 10],
        "Returned to school": [0, None, 0, 0, 0, 0, 0, 10],
    }


def test_published_cells_are_rounded_and_management_cells_are_exact(tables):
    for section in tables["sections"]:
        cells = [cell for row in section["rows"] for cell in row[1:]]
        if section["published"]:
            assert all(isinstance(cell, str) for cell in cells), section["key"]
        else:
            assert section["note"].startswith(MANAGEMENT_INFORMATION)
    caseload = _section(tables, "caseload")["rows"]
    assert caseload[-1][2:] == [23, 15, 38]  # not 20, 20, 40


def test_no_child_name_appears_in_the_tables_or_any_file(tables):
    assert CHILD_SURNAME not in json.dumps(tables)
    assert "Marigold" not in json.dumps(tables)
    assert CHILD_SURNAME.encode() not in pack_pdf(tables, compress=False)
    assert CHILD_SURNAME.encode() not in pack_csv(tables)
    with zipfile.ZipFile(io.BytesIO(pack_xlsx(tables))) as book:
        text = b"".join(book.read(name) for name in book.namelist())
    assert CHILD_SURNAME.encode() not in text
    assert b"Priya Shah" in pack_pdf(tables, compress=False)  # staff names do appear


def test_the_number_of_queries_does_not_grow_with_the_number_of_children(
    authority, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as before:
        quarterly_pack_tables(Q4_2025)
    for _ in range(10):
        _ehe(authority, date(2025, 11, 3), contact_after=1)
        _cme(authority, date(2025, 11, 3), date(2025, 11, 1))

    with django_assert_num_queries(len(before.captured_queries)):
        quarterly_pack_tables(Q4_2025)


def test_progress_is_reported_in_order_up_to_the_figures(authority):
    calls = []
    quarterly_pack_tables(Q4_2025, progress=lambda percent, stage: calls.append((percent, stage)))

    percents = [percent for percent, _ in calls]
    assert percents == sorted(percents)
    assert calls[0] == (5, "Children in EHE and CME at the quarter end")
    assert calls[-1] == (90, "Figures worked out")


# --- The files ----------------------------------------------------------------------------------


def test_pdf_is_a_pdf_and_re_renders_identically(tables):
    pdf = pack_pdf(tables)

    assert pdf.startswith(b"%PDF")
    assert pack_pdf(json.loads(json.dumps(tables))) == pdf
    readable = pack_pdf(tables, compress=False)
    assert b"Management information, not for publication." in readable


def test_pdf_text_replaces_what_helvetica_cannot_print():
    assert pdf_text("Q4 – “ok” … ≤12 weeks ✓") == 'Q4 - "ok" ... <=12 weeks ?'
    assert pdf_text("Zoë £5") == "Zoë £5"


def test_xlsx_has_an_about_sheet_a_sheet_per_section_and_the_chart_figures(tables):
    book = load_workbook(io.BytesIO(pack_xlsx(tables)))

    assert book.sheetnames[0] == "About"
    assert len(book.sheetnames) == 1 + len(tables["sections"]) + len(tables["charts"])
    first = book[book.sheetnames[1]]
    assert first["A1"].value == _section(tables, "at_quarter_end")["title"]
    # 0.9, not 1.2: A's six under a s.437 notice count as CME (statistics.md §3.6).
    assert [cell.value for cell in first[5]] == ["Children in elective home education", 20, 0.9]
    trend = book[book.sheetnames[-1]]
    assert [cell.value for cell in trend[5]] == ["Q1 2024", "low", 0]


def test_csv_puts_each_section_under_its_title_and_is_formula_safe(tables):
    tables = json.loads(json.dumps(tables))
    tables["sections"][0]["rows"].append(["=HYPERLINK(1)", "+10", "-x"])
    text = pack_csv(tables).decode("utf-8-sig")

    assert text.splitlines()[0].startswith('"') or "DCS quarterly pack" in text.splitlines()[0]
    for section in tables["sections"]:
        assert section["title"] in text
    assert "'=HYPERLINK(1)" in text
    assert ",+10," in text  # a number cannot run as a formula
    assert "'-x" in text
    assert "Children who started EHE,10,20" in text


def test_chart_svg_is_an_accessible_image_whose_figures_are_in_a_table(tables):
    chart = tables["charts"][0]
    svg = chart_svg(chart)

    root = ElementTree.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find("{http://www.w3.org/2000/svg}title").text == chart["title"]
    assert chart_as_section(chart)["rows"][0] == ["Q1 2024", "low", 0]


# --- Producing, the task and the schedule -------------------------------------------------------


def test_requested_pack_is_produced_by_the_task_with_progress_and_linked_to_its_snapshot(
    authority, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []
    original = service.report_request_progress

    def record(*, request_id, progress, stage):
        seen.append(progress)
        original(request_id=request_id, progress=progress, stage=stage)

    monkeypatch.setattr(service, "report_request_progress", record)
    # The task runs here, in the test's process, on every run: the worker path through Redis is
    # test_tasks.py's broker test.
    monkeypatch.setattr(
        quarterly_pack_task, "apply_async", lambda args=(), **_: quarterly_pack_task.apply(args)
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = service.quarterly_pack_request(quarter="2025-Q4", by=authority)

    request.refresh_from_db()
    assert (request.status, request.progress, request.stage) == ("done", 100, "Done")
    snapshot = request.snapshot
    assert (snapshot.kind, snapshot.period, snapshot.as_at) == (
        ReportKind.QUARTERLY_PACK,
        "2025-Q4",
        Q4_2025.last,
    )
    assert sorted(f.name for f in snapshot.files.all()) == ["pack.csv", "pack.pdf", "pack.xlsx"]
    assert seen == sorted(seen)
    assert len(seen) > 10
    assert snapshot.tables == quarterly_pack_tables(Q4_2025)


def test_task_does_nothing_for_a_request_already_done_or_running(authority):
    request = ReportRequest.objects.create(kind=ReportKind.QUARTERLY_PACK, period="2025-Q4")
    assert quarterly_pack_task.apply(args=[str(request.pk)]).get() != "skipped"
    assert quarterly_pack_task.apply(args=[str(request.pk)]).get().startswith("skipped")
    running = ReportRequest.objects.create(
        kind=ReportKind.QUARTERLY_PACK, period="2025-Q4", status=ReportRequestStatus.RUNNING
    )
    assert quarterly_pack_task.apply(args=[str(running.pk)]).get().startswith("skipped")
    assert ReportSnapshot.objects.count() == 1


def test_a_failed_pack_marks_its_request_failed_and_raises(authority, monkeypatch):
    def broken(quarter, progress=None):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "quarterly_pack_tables", broken)
    request = ReportRequest.objects.create(kind=ReportKind.QUARTERLY_PACK, period="2025-Q4")

    with pytest.raises(RuntimeError):
        quarterly_pack_task.apply(args=[str(request.pk)]).get()
    request.refresh_from_db()
    assert (request.status, request.error) == ("failed", "the database went away")


def test_asking_twice_for_a_quarter_being_produced_gives_the_same_request(authority):
    first = service.quarterly_pack_request(quarter="2025-Q4", by=authority)
    assert service.quarterly_pack_request(quarter="2025-Q4", by=authority) == first


def test_the_database_keeps_one_unfinished_request_per_quarter_whoever_asks(authority):
    queued = report_request_create(kind=ReportKind.QUARTERLY_PACK, period="2025-Q4", by=authority)

    # What a second worker racing past the service's own check would do.
    again = report_request_create(kind=ReportKind.QUARTERLY_PACK, period="2025-Q4", by=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportRequest.objects.create(kind=ReportKind.QUARTERLY_PACK, period="2025-Q4")

    assert again == queued
    assert ReportRequest.objects.count() == 1


def test_a_request_whose_worker_stopped_long_ago_is_failed_and_blocks_nothing(authority):
    stuck = ReportRequest.objects.create(
        kind=ReportKind.QUARTERLY_PACK,
        period="2025-Q4",
        status=ReportRequestStatus.RUNNING,
        requested_at=timezone.now() - service.STALE_AFTER - timedelta(minutes=1),
    )

    fresh = service.quarterly_pack_request(quarter="2025-Q4", by=authority)

    stuck.refresh_from_db()
    assert fresh != stuck
    assert (stuck.status, stuck.error) == (ReportRequestStatus.FAILED, service.STALE_ERROR)


def test_quarter_end_task_produces_the_quarter_just_ended_once():
    just_ended = pack_module.last_ended_quarter(timezone.localdate())

    assert quarterly_pack_quarter_end_task.apply().get() != "skipped"
    snapshot = ReportSnapshot.objects.get()
    assert (snapshot.period, snapshot.as_at) == (just_ended.key, just_ended.last)

    assert (
        quarterly_pack_quarter_end_task.apply().get()
        == f"skipped: {just_ended.key} already produced"
    )
    assert ReportSnapshot.objects.count() == 1
    assert ReportRequest.objects.get().status == ReportRequestStatus.DONE


def test_quarter_end_schedule_runs_at_four_on_the_first_day_of_each_quarter(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["quarterly-pack-at-quarter-end"]
    schedule = entry["schedule"]

    assert entry["task"] == "registry.tasks.quarterly_pack_quarter_end_task"
    assert schedule.month_of_year == {1, 4, 7, 10}
    assert (schedule.day_of_month, schedule.hour, schedule.minute) == ({1}, {4}, {0})


# --- The command --------------------------------------------------------------------------------


def test_command_writes_the_three_files_and_names_the_snapshot(authority, tmp_path):
    out = io.StringIO()
    folder = tmp_path / "packs" / "2025-Q4"

    call_command("quarterly_pack", quarter="2025-Q4", out=folder, stdout=out)

    snapshot = ReportSnapshot.objects.get()
    assert sorted(path.name for path in folder.iterdir()) == ["pack.csv", "pack.pdf", "pack.xlsx"]
    assert (folder / "pack.pdf").read_bytes() == bytes(snapshot.files.get(name="pack.pdf").content)
    assert str(snapshot.pk) in out.getvalue()
    assert len(out.getvalue().strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("quarter", "message"),
    [("2025-13", re.escape(QuarterErrors.FORMAT)), ("2026-Q4", "2026-Q4 has not ended yet")],
)
def test_command_rejects_a_bad_quarter_with_a_clear_message(tmp_path, quarter, message):
    with pytest.raises(CommandError, match=message):
        call_command("quarterly_pack", quarter=quarter, out=tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert not ReportSnapshot.objects.exists()


def test_pack_module_version_is_recorded_on_the_snapshot(authority):
    snapshot = service.quarterly_pack_produce(quarter="2025-Q4", by=authority)
    assert snapshot.method_version == pack_module.METHOD_VERSION
    assert snapshot.produced_by == authority
