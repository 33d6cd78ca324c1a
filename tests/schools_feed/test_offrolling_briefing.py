"""The school briefing and the export (issue 4, §5 and §6): what leaves the LA suppresses small
numbers and never carries an internal note."""

import re
from datetime import date

import pytest
from django.core.management import call_command

from registry.models import Role
from schools_feed.models import OffRollingAlert, SchoolIndicator
from schools_feed.offrolling import briefing
from schools_feed.offrolling.export import alerts_path
from schools_feed.services.offrolling_review import alert_note_add, alert_status_change
from tests.factories import UserFactory
from tests.schools_feed.offrolling_data import planted_authority

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture
def authority():
    return planted_authority(ordinary_schools=4, as_of=AS_OF)


@pytest.fixture
def lead():
    return UserFactory(role=Role.INCLUSION_LEAD, first_name="Ada", last_name="Inclusion")


def test_counts_under_three_read_fewer_than_three():
    assert [briefing.suppress(n) for n in (0, 1, 2, 3, 1234)] == [
        "fewer than 3",
        "fewer than 3",
        "fewer than 3",
        "3",
        "1,234",
    ]
    assert briefing.suppress_rate(2, 0.01) == briefing.SUPPRESSED
    assert briefing.suppress_rate(3, 0.0125) == "1.2%"


def test_the_briefing_shows_the_schools_figures_against_the_la(authority, lead):
    made = briefing.briefing_for_school(school=authority["planted"], user=lead)

    row = SchoolIndicator.objects.get(
        school=authority["planted"],
        indicator="N4",
        period_type="year",
        period_start=date(2025, 9, 1),
    )
    figure = next(
        f
        for f in made.figures
        if f.measure == "Exits from Years 10 and 11" and f.period == "2025/26"
    )
    assert figure.left == str(row.observed)
    assert figure.expected == f"{row.expected:.1f}"
    assert figure.la_rate == f"{100 * row.la_rate:.1f}%"
    assert figure.comparison == "well above expected (99.8% limit)"
    assert made.produced_by == "Ada Inclusion"


def test_small_counts_in_the_figures_and_flags_are_suppressed(authority, lead):
    made = briefing.briefing_for_school(school=authority["planted"], user=lead)

    unknown = [f for f in made.figures if f.measure.startswith("Exits to an unknown")]
    assert unknown
    assert all(f.left == "fewer than 3" for f in unknown)  # 2 a year in the data
    assert all(f.rate == briefing.SUPPRESSED for f in unknown)
    csv_text = briefing.briefing_csv(made).decode("utf-8-sig")
    assert not re.search(r"\b[12] pupils?\b", csv_text)


def test_the_conversation_carries_status_changes_and_briefing_notes_never_internal_ones(
    authority, lead
):
    alert = OffRollingAlert.objects.filter(school=authority["planted"]).first()
    alert_status_change(alert=alert, to_status="under_review", by=lead)
    alert_note_add(alert=alert, note="Meeting with the head on 2 July", in_briefing=True, by=lead)
    alert_note_add(alert=alert, note="Internal: ask the SENCO", in_briefing=False, by=lead)

    made = briefing.briefing_for_school(school=authority["planted"], user=lead)
    csv_text = briefing.briefing_csv(made).decode("utf-8-sig")

    happened = [entry.what for entry in made.conversation]
    assert "Status: Under review" in happened
    assert "Meeting with the head on 2 July" in happened
    assert "Internal: ask the SENCO" not in csv_text
    assert "Meeting with the head on 2 July" in csv_text


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_the_pdf_is_one_page_even_with_many_flags_and_entries(authority, lead):
    alert = OffRollingAlert.objects.filter(school=authority["planted"]).first()
    for number in range(14):
        alert_note_add(
            alert=alert, note=f"Call {number} with the school", in_briefing=True, by=lead
        )
    made = briefing.briefing_for_school(school=authority["planted"], user=lead)

    pdf = briefing.briefing_pdf(made, compress=False)

    assert len(made.conversation) > briefing.MOST_ENTRIES
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    assert b"Pupil exits: Planted Academy" in pdf  # the document title


def test_the_export_writes_indicators_and_alerts_with_small_numbers_suppressed(
    authority, tmp_path, capsys
):
    path = tmp_path / "offrolling.csv"

    call_command("offrolling_export", str(path))

    indicators = path.read_text(encoding="utf-8-sig").splitlines()
    alerts = alerts_path(path).read_text(encoding="utf-8-sig").splitlines()
    assert indicators[0].startswith("URN,School,Indicator,Measure")
    assert len(indicators) == SchoolIndicator.objects.count() + 1
    assert len(alerts) == OffRollingAlert.objects.count() + 1
    assert any(",fewer than 3," in line for line in indicators)
    assert "small numbers suppressed" in capsys.readouterr().out


def test_the_unsuppressed_export_keeps_exact_counts_for_the_las_analysts(authority, tmp_path):
    path = tmp_path / "offrolling.csv"

    call_command("offrolling_export", str(path), "--unsuppressed")

    text = path.read_text(encoding="utf-8-sig")
    assert "fewer than 3" not in text
    assert OffRollingAlert.objects.first().explanation in alerts_path(path).read_text(
        encoding="utf-8-sig"
    )


def test_the_export_neutralises_a_school_name_that_looks_like_a_formula(authority, tmp_path):
    school = authority["clean"]
    school.name = "=1+2 School"
    school.save()
    path = tmp_path / "offrolling.csv"

    call_command("offrolling_export", str(path))

    text = path.read_text(encoding="utf-8-sig")
    assert ",'=1+2 School," in text
    assert ",=1+2 School," not in text
