"""The school briefing: small numbers suppressed, only what may leave the LA, one A4 page."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from registry.models import Role
from schools_feed.offrolling.briefing import (
    FLAG_FIGURES_NOTE,
    briefing_csv,
    briefing_for_school,
    briefing_pdf,
    compact_status_changes,
    flag_sentence,
)
from schools_feed.offrolling.explain import FEWER_THAN, SUPPRESSED, suppress, suppress_rate
from tests.factories import (
    AlertEventFactory,
    OffRollingAlertFactory,
    OffRollingRunFactory,
    SchoolFactory,
    SchoolIndicatorFactory,
    UserFactory,
)

LONDON = ZoneInfo("Europe/London")
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
INTERNAL_NOTE = "Internal: the head is under investigation by HR"
SHARED_NOTE = "Met the headteacher; the school will send its exit interviews"


def pages_in(pdf: bytes) -> int:
    return len(PAGE_OBJECT.findall(pdf))


def at(day: int, month: int = 1, year: int = 2026) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=LONDON)


@pytest.fixture
def lead():
    return UserFactory(
        role=Role.INCLUSION_LEAD, username="lead", first_name="Priya", last_name="Shah"
    )


@pytest.fixture
def school():
    return SchoolFactory(
        name="Oakfield Academy",
        urn="140101",
        laestab="9384101",
        phase="Secondary",
        trust_name="Downs Learning Trust",
        is_local=True,
    )


@pytest.fixture
def run():
    return OffRollingRunFactory()


def year_row(school, run, *, start_year=2025, indicator="N1", **values):
    return SchoolIndicatorFactory(
        school=school,
        run=run,
        indicator=indicator,
        period_type="year",
        period_start=date(start_year, 9, 1),
        period_end=date(start_year + 1, 8, 31),
        period_label=f"{start_year}/{str(start_year + 1)[2:]}",
        **values,
    )


def rolling_row(school, run, *, end=date(2026, 5, 31), indicator="N1", **values):
    return SchoolIndicatorFactory(
        school=school,
        run=run,
        indicator=indicator,
        period_type="rolling",
        period_start=end - timedelta(days=364),
        period_end=end,
        period_label=f"12 months to {end:%-d %b %Y}",
        **values,
    )


def alert_for(school, run, **values):
    values.setdefault("raised_at", at(5))
    return OffRollingAlertFactory(school=school, run=run, **values)


# --- Small numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "fewer than 3"), (1, "fewer than 3"), (2, "fewer than 3"), (3, "3")]
)
def test_suppress_shows_counts_under_3_as_fewer_than_3_and_others_as_the_number(count, shown):
    assert suppress(count) == shown


def test_suppress_shows_large_counts_with_thousands_separators():
    assert suppress(1234) == "1,234"


@pytest.mark.parametrize(
    ("observed", "rate", "shown"),
    [(0, 0.0, "suppressed"), (2, 0.02, "suppressed"), (3, 0.123, "12.3%"), (40, 0.04, "4.0%")],
)
def test_suppress_rate_hides_a_rate_resting_on_fewer_than_3_pupils(observed, rate, shown):
    assert suppress_rate(observed, rate) == shown


# --- The content --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_briefing_names_the_school_and_who_produced_it_for_which_la(settings, lead, school):
    settings.LOCAL_AUTHORITY_NAME = "West Sussex County Council"

    made = briefing_for_school(school=school, user=lead)

    assert (made.school_name, made.urn, made.laestab) == ("Oakfield Academy", "140101", "9384101")
    assert (made.phase, made.trust) == ("Secondary", "Downs Learning Trust")
    assert made.produced_by == "Priya Shah"
    assert made.local_authority == "West Sussex County Council"
    assert "Produced by Priya Shah, West Sussex County Council, on " in made.footer


@pytest.mark.django_db
def test_briefing_shows_the_latest_two_academic_years_and_the_latest_rolling_12_months(
    lead, school, run
):
    for start_year in (2023, 2024, 2025):
        year_row(school, run, start_year=start_year)
    rolling_row(school, run, end=date(2026, 2, 28))
    rolling_row(school, run, end=date(2026, 5, 31))
    year_row(school, run, indicator="N2", observed=4)

    made = briefing_for_school(school=school, user=lead)

    assert [(f.indicator, f.period_label) for f in made.figures] == [
        ("N1", "2024/25"),
        ("N1", "2025/26"),
        ("N1", "12 months to 31 May 2026"),
        ("N2", "2025/26"),
    ]


@pytest.mark.django_db
def test_briefing_figures_give_counts_rates_and_the_la_comparison(lead, school, run):
    year_row(
        school,
        run,
        observed=45,
        denominator=1000,
        expected=30.0,
        rate=0.045,
        la_rate=0.03,
        band="above_95",
    )

    (figure,) = briefing_for_school(school=school, user=lead).figures

    assert (figure.observed, figure.on_roll, figure.expected) == ("45", "1,000", "30.0")
    assert (figure.rate, figure.la_rate) == ("4.5%", "3.0%")
    assert figure.band == "Above expected"


@pytest.mark.django_db
def test_briefing_figures_show_fewer_than_3_and_suppress_the_rate_of_a_small_count(
    lead, school, run
):
    year_row(school, run, indicator="N2", observed=2, denominator=1000, expected=1.1, rate=0.002)

    (figure,) = briefing_for_school(school=school, user=lead).figures

    assert (figure.observed, figure.rate) == (FEWER_THAN, SUPPRESSED)


@pytest.mark.django_db
def test_briefing_leaves_out_indicators_with_no_pupils_on_roll_in_their_year_groups(
    lead, school, run
):
    year_row(school, run, indicator="N1")
    year_row(school, run, indicator="N4", observed=0, denominator=0, expected=0.0, rate=None)

    made = briefing_for_school(school=school, user=lead)

    assert [f.indicator for f in made.figures] == ["N1"]


@pytest.mark.django_db
def test_briefing_covers_only_the_school_asked_for(lead, school, run):
    other = SchoolFactory(name="Elmgrove School", is_local=True)
    year_row(other, run)
    alert_for(other, run)

    made = briefing_for_school(school=school, user=lead)

    assert (made.figures, made.flags) == ([], [])


@pytest.mark.django_db
def test_briefing_for_a_user_outside_the_monitor_holds_no_figures_or_flags(school, run):
    officer = UserFactory(role=Role.EHE_OFFICER)
    year_row(school, run)
    alert_for(school, run)

    made = briefing_for_school(school=school, user=officer)

    assert (made.figures, made.flags) == ([], [])


@pytest.mark.django_db
def test_briefing_flags_give_the_rule_period_status_and_a_suppressed_sentence(lead, school, run):
    alert = alert_for(school, run, status="closed", outcome="explained")

    (flag,) = briefing_for_school(school=school, user=lead).flags

    assert flag.rule_label == "Above the 99.8% limit"
    assert flag.period_label == "2025/26"
    assert flag.status == "Closed: Explained"
    assert flag.sentence == flag_sentence(alert)
    assert flag.sentence.startswith("52 pupils left the school's roll other than by a normal")


@pytest.mark.django_db
def test_flag_sentence_shows_small_counts_in_the_evidence_as_fewer_than_3(school, run):
    evidence = {
        "period_label": "2025/26",
        "observed": 4,
        "expected": 1.2,
        "warning_upper": 3.4,
        "alert_upper": 5.1,
        "band": "above_95",
        "previous": {"period_label": "2024/25", "observed": 2, "expected": 0.4},
        "breakdown": {
            "exits": {"fsm": 1, "sen": 0, "social_care": 0},
            "roll": {"on_roll": 120, "fsm": 20, "sen": 10, "social_care": 2},
        },
    }
    alert = alert_for(school, run, rule="R2", evidence=evidence)

    sentence = flag_sentence(alert)

    assert sentence.startswith("4 pupils left the school's roll")
    assert "in 2024/25 too (fewer than 3 pupils against 0.4 expected)" in sentence
    assert "Fewer than 3 of the 4 were eligible for free school meals" in sentence
    assert " 2 pupils" not in sentence
    assert "1 of the" not in sentence


@pytest.mark.django_db
def test_flag_sentence_hides_a_relative_risk_resting_on_fewer_than_3_pupils(school, run):
    evidence = {
        "period_label": "2025/26",
        "observed": 9,
        "expected": 6.0,
        "group": "fsm",
        "relative_risk": {
            "group_exits": 2,
            "group_on_roll": 40,
            "ratio": 3.4,
            "lower": 1.1,
            "upper": 9.0,
        },
    }
    alert = alert_for(school, run, rule="R5", group="fsm", evidence=evidence)

    sentence = flag_sentence(alert)

    assert "Pupils eligible for free school meals were more likely to leave" in sentence
    assert "3.4" not in sentence


@pytest.mark.django_db
def test_flag_sentence_counts_home_education_prompts_with_small_numbers_suppressed(school, run):
    evidence = {
        "period_label": "2025/26",
        "observed": 5,
        "expected": 2.0,
        "cases": [{"notification": "1", "prompts": ["school_suggestion"]}],
        "prompt_counts": {"school_suggestion": 1},
    }
    alert = alert_for(school, run, rule="R6", indicator="N2", evidence=evidence)

    sentence = flag_sentence(alert)

    assert sentence.startswith("5 pupils left to home education in 2025/26")
    assert "Fewer than 3 of these home education exits have a prompt for a conversation" in (
        sentence
    )
    assert "fewer than 3 where" in sentence


@pytest.mark.django_db
def test_flag_sentence_falls_back_to_the_rule_and_period_when_the_evidence_lacks_fields(
    school, run
):
    alert = alert_for(school, run, rule="R4", indicator="N5", evidence={"observed": 5})

    assert flag_sentence(alert) == "Exits cluster before the Year 11 January census (2025/26)."


@pytest.mark.django_db
def test_conversation_has_status_changes_and_briefing_notes_oldest_first_never_internal_notes(
    lead, school, run
):
    alert = alert_for(school, run)
    AlertEventFactory(alert=alert, event_type="raised", to_status="new", at=at(5))
    AlertEventFactory(
        alert=alert,
        event_type="status",
        from_status="under_review",
        to_status="raised_with_school",
        note="Internal reason for the change",
        at=at(9),
    )
    AlertEventFactory(
        alert=alert, event_type="status", from_status="new", to_status="under_review", at=at(6)
    )
    AlertEventFactory(alert=alert, event_type="note", note=INTERNAL_NOTE, at=at(7))
    AlertEventFactory(alert=alert, event_type="note", note=SHARED_NOTE, in_briefing=True, at=at(12))
    AlertEventFactory(alert=alert, event_type="assigned", note="Owner: Priya Shah", at=at(8))

    made = briefing_for_school(school=school, user=lead)

    assert [(entry.on, entry.text) for entry in made.conversation] == [
        (date(2026, 1, 6), "Status: Under review."),
        (date(2026, 1, 9), "Status: Raised with the school."),
        (date(2026, 1, 12), SHARED_NOTE),
    ]
    assert {entry.flag for entry in made.conversation} == {"R1 N1 2025/26"}


# --- PDF ----------------------------------------------------------------------------------------


def full_school(lead, *, events: int, alerts: int = 6, note_length: int = 200):
    """A school with figures for every indicator, ``alerts`` alerts and ``events`` events."""
    school = SchoolFactory(name="Oakfield Academy", urn="140202", is_local=True)
    run = OffRollingRunFactory()
    for indicator in ("N1", "N2", "N3", "N4", "N5", "N6"):
        for start_year in (2024, 2025):
            year_row(school, run, indicator=indicator, start_year=start_year)
        rolling_row(school, run, indicator=indicator)
    made_alerts = [
        alert_for(school, run, rule=f"R{n % 3 + 1}", key=f"alert-{n}", raised_at=at(2 + n))
        for n in range(alerts)
    ]
    for n in range(events):
        note = f"Entry {n}: " + "the school explained its exits at length. " * 20
        AlertEventFactory(
            alert=made_alerts[n % alerts],
            event_type="note",
            note=note[:note_length],
            in_briefing=True,
            at=at(1, month=2) + timedelta(days=n),
        )
    return briefing_for_school(school=school, user=lead)


@pytest.mark.django_db
def test_pdf_is_one_page_with_the_briefing_title_in_its_metadata(lead, school, run):
    year_row(school, run)
    made = briefing_for_school(school=school, user=lead)

    pdf = briefing_pdf(made)

    assert pdf.startswith(b"%PDF")
    assert pages_in(pdf) == 1
    assert b"/Title (Pupils leaving the roll: Oakfield Academy)" in pdf


@pytest.mark.django_db
def test_pdf_fits_one_page_for_six_alerts_and_ten_events(lead):
    made = full_school(lead, events=10, alerts=6)
    assert (len(made.flags), len(made.conversation), len(made.figures)) == (6, 10, 18)

    pdf = briefing_pdf(made, compress=False)

    assert pages_in(pdf) == 1
    # All ten entries fit (smaller type), none left out.
    assert b"Entry 0:" in pdf
    assert b"Entry 9:" in pdf
    assert b"earlier entries" not in pdf


@pytest.mark.django_db
def test_pdf_keeps_the_latest_entries_and_says_how_many_earlier_ones_are_left_out(lead):
    made = full_school(lead, events=40, note_length=400)

    pdf = briefing_pdf(made, compress=False)

    assert pages_in(pdf) == 1
    left_out = re.search(rb"and (\d+) earlier entries", pdf)
    assert left_out is not None
    assert b"Entry 39:" in pdf
    assert b"Entry 0:" not in pdf


@pytest.mark.django_db
def test_pdf_keeps_every_note_of_a_five_entry_conversation_beside_eight_flags(lead):
    """The page the demo's inclusion lead saw: eight flags, eighteen figures and five notes, of
    which the PDF kept the last two with half the page blank."""
    made = full_school(lead, events=5, alerts=8, note_length=300)

    pdf = briefing_pdf(made, compress=False)

    assert pages_in(pdf) == 1
    for n in range(5):
        assert f"Entry {n}:".encode() in pdf
    assert b"earlier entries" not in pdf


@pytest.mark.django_db
def test_pdf_says_each_flag_shows_the_figures_of_the_day_it_was_raised(lead, school, run):
    year_row(school, run)
    alert_for(school, run)

    made = briefing_for_school(school=school, user=lead)
    pdf = briefing_pdf(made, compress=False)

    assert made.figures_as_of == run.as_of
    assert f"calculated on {run.as_of.day}".encode() in pdf
    assert FLAG_FIGURES_NOTE.split(".")[0].encode() in pdf.replace(b"\n", b" ")
    assert ["About", "Flags", FLAG_FIGURES_NOTE] in csv_rows(briefing_csv(made))


@pytest.mark.django_db
def test_a_flags_status_changes_are_said_on_one_line_when_the_page_is_full(lead, school, run):
    alert = alert_for(school, run)
    AlertEventFactory(alert=alert, event_type="status", to_status="under_review", at=at(3))
    AlertEventFactory(alert=alert, event_type="note", note=SHARED_NOTE, in_briefing=True, at=at(4))
    AlertEventFactory(alert=alert, event_type="status", to_status="closed", at=at(5))
    entries = briefing_for_school(school=school, user=lead).conversation

    compacted = compact_status_changes(entries)

    assert len(entries) == 3
    assert [entry.text for entry in compacted if not entry.is_status] == [SHARED_NOTE]
    (statuses,) = [entry for entry in compacted if entry.is_status]
    assert statuses.text.count(" on ") == 2


@pytest.mark.django_db
def test_pdf_holds_the_school_figures_and_briefing_notes_but_never_internal_notes(
    lead, school, run
):
    year_row(school, run, observed=45, denominator=1000, expected=30.0, rate=0.045)
    year_row(school, run, indicator="N2", observed=1, denominator=1000, expected=0.5, rate=0.001)
    alert = alert_for(school, run)
    AlertEventFactory(alert=alert, event_type="note", note=INTERNAL_NOTE, at=at(6))
    AlertEventFactory(alert=alert, event_type="note", note=SHARED_NOTE, in_briefing=True, at=at(7))

    pdf = briefing_pdf(briefing_for_school(school=school, user=lead), compress=False)

    assert b"Oakfield Academy" in pdf
    assert b"(45) Tj" in pdf
    assert b"(4.5%) Tj" in pdf
    # The N2 count of 1 is a table cell of its own, not the footer's explanation of the rule.
    assert b"(fewer than 3) Tj" in pdf
    assert b"(suppressed) Tj" in pdf
    assert SHARED_NOTE.encode() in pdf
    assert INTERNAL_NOTE.encode() not in pdf


# --- CSV ----------------------------------------------------------------------------------------


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_csv_holds_the_figures_flags_and_briefing_notes_but_never_internal_notes(lead, school, run):
    year_row(school, run, observed=45, denominator=1000, expected=30.0, rate=0.045, la_rate=0.03)
    year_row(school, run, indicator="N2", observed=2, denominator=1000, expected=0.5, rate=0.002)
    alert = alert_for(school, run)
    AlertEventFactory(alert=alert, event_type="note", note=INTERNAL_NOTE, at=at(6))
    AlertEventFactory(alert=alert, event_type="note", note=SHARED_NOTE, in_briefing=True, at=at(7))

    rows = csv_rows(briefing_csv(briefing_for_school(school=school, user=lead)))

    assert rows[0] == ["Section", "Item", "Value"]
    assert ["School", "School", "Oakfield Academy"] in rows
    assert ["School", "URN", "140101"] in rows
    figures = {row[2]: row for row in rows if row[0] == "Figures"}
    assert figures["N1"][4:10] == ["2025/26", "45", "1,000", "30.0", "4.5%", "3.0%"]
    assert (figures["N2"][5], figures["N2"][8]) == (FEWER_THAN, SUPPRESSED)
    assert any(row[:2] == ["Flags", "R1 Above the 99.8% limit"] for row in rows)
    assert ["Conversation", "2026-01-07", "R1 N1 2025/26", SHARED_NOTE] in rows
    assert all(INTERNAL_NOTE not in cell for row in rows for cell in row)


@pytest.mark.django_db
def test_csv_neutralises_a_school_name_that_starts_with_an_equals_sign(lead, run):
    school = SchoolFactory(name='=HYPERLINK("http://evil.example")', is_local=True)

    rows = csv_rows(briefing_csv(briefing_for_school(school=school, user=lead)))

    assert ["School", "School", '\'=HYPERLINK("http://evil.example")'] in rows
