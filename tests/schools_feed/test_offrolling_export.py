"""python manage.py offrolling_export: both files, suppressed by default, formula-safe."""

import csv
import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from registry.models import Role
from schools_feed.offrolling import export
from schools_feed.offrolling.export import (
    ALERT_HEADINGS,
    INDICATOR_HEADINGS,
    alerts_path_for,
    offrolling_export,
)
from tests.factories import (
    OffRollingAlertFactory,
    OffRollingRunFactory,
    SchoolFactory,
    SchoolIndicatorFactory,
    UserFactory,
)

EXACT_EXPLANATION = (
    "2 pupils left to home education in 2025/26; 0.6 were expected for a school of this size "
    "and intake."
)


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def headings(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return next(csv.reader(file))


def run_export(tmp_path: Path, *options: str) -> tuple[Path, Path, str]:
    target = tmp_path / "out.csv"
    stdout = io.StringIO()
    call_command("offrolling_export", str(target), *options, stdout=stdout)
    return target, tmp_path / "out-alerts.csv", stdout.getvalue()


@pytest.fixture
def school():
    return SchoolFactory(name="Oakfield Academy", urn="140303", is_local=True)


@pytest.fixture
def run():
    return OffRollingRunFactory()


@pytest.fixture
def small_numbers(school, run):
    """One indicator with 2 exits (under 3) and 45 on another, and an alert whose explanation
    gives the exact small count."""
    SchoolIndicatorFactory(
        school=school,
        run=run,
        indicator="N2",
        observed=2,
        denominator=1000,
        expected=0.6,
        rate=0.002,
        la_rate=0.001,
        ratio=2 / 0.6,
        band="insufficient",
    )
    SchoolIndicatorFactory(
        school=school,
        run=run,
        indicator="N1",
        observed=45,
        denominator=1000,
        expected=30.0,
        rate=0.045,
        la_rate=0.03,
        ratio=1.5,
        band="above_95",
        rules_met=["R2", "R5:fsm"],
    )
    owner = UserFactory(role=Role.INCLUSION_LEAD, first_name="Priya", last_name="Shah")
    return OffRollingAlertFactory(
        school=school,
        run=run,
        rule="R3",
        indicator="N2",
        explanation=EXACT_EXPLANATION,
        evidence={
            "period_label": "2025/26",
            "observed": 2,
            "expected": 0.6,
            "warning_upper": 1.9,
            "alert_upper": 3.2,
            "band": "above_95",
        },
        owner=owner,
        due_date=date(2026, 7, 28),
        raised_at=datetime(2026, 6, 30, 9, 30, tzinfo=ZoneInfo("Europe/London")),
    )


def test_the_alerts_file_is_named_like_the_indicators_file_with_alerts_before_the_suffix():
    assert alerts_path_for(Path("/tmp/out.csv")) == Path("/tmp/out-alerts.csv")
    assert alerts_path_for(Path("exports/2026-06.offrolling.csv")) == Path(
        "exports/2026-06.offrolling-alerts.csv"
    )
    assert alerts_path_for(Path("figures")) == Path("figures-alerts")


@pytest.mark.django_db
def test_export_writes_both_files_with_their_headings_and_a_row_each_and_says_so(
    tmp_path, small_numbers
):
    indicators, alerts, said = run_export(tmp_path)

    assert headings(indicators) == INDICATOR_HEADINGS
    assert headings(alerts) == ALERT_HEADINGS
    assert len(read(indicators)) == 2
    assert len(read(alerts)) == 1
    assert said.strip() == (
        f"2 indicator rows written to {indicators} and 1 alerts to {alerts} "
        "(small numbers suppressed)."
    )


@pytest.mark.django_db
def test_export_writes_each_indicator_with_its_figures_limits_band_and_rules(
    tmp_path, small_numbers
):
    indicators, _, _ = run_export(tmp_path)

    row = next(row for row in read(indicators) if row["Indicator"] == "N1")

    assert (row["URN"], row["School"], row["Indicator label"]) == (
        "140303",
        "Oakfield Academy",
        "Non-standard exits",
    )
    assert (row["Period type"], row["Period"]) == ("Academic year", "2025/26")
    assert (row["Pupils who left (observed)"], row["Number on roll (denominator)"]) == (
        "45",
        "1000",
    )
    assert (row["Expected"], row["Rate"], row["LA rate"], row["Observed / expected"]) == (
        "30.00",
        "4.50%",
        "3.00%",
        "1.500",
    )
    assert (row["95% lower limit"], row["95% upper limit"], row["99.8% upper limit"]) == (
        "19.80",
        "40.60",
        "47.40",
    )
    assert (row["Band"], row["Rules met"]) == ("Above the 95% limit", "R2; R5:fsm")


@pytest.mark.django_db
def test_export_suppresses_small_numbers_and_exact_explanations_by_default(tmp_path, small_numbers):
    indicators, alerts, _ = run_export(tmp_path)

    row = next(row for row in read(indicators) if row["Indicator"] == "N2")
    assert row["Pupils who left (observed)"] == "fewer than 3"
    assert (row["Rate"], row["Observed / expected"]) == ("suppressed", "suppressed")
    (alert,) = read(alerts)
    assert alert["Explanation"].startswith("Fewer than 3 pupils left to home education")
    assert "2 pupils" not in alerts.read_text(encoding="utf-8-sig")


@pytest.mark.django_db
def test_export_with_unsuppressed_gives_exact_numbers_and_the_alerts_own_explanations(
    tmp_path, small_numbers
):
    indicators, alerts, said = run_export(tmp_path, "--unsuppressed")

    row = next(row for row in read(indicators) if row["Indicator"] == "N2")
    assert row["Pupils who left (observed)"] == "2"
    assert (row["Rate"], row["Observed / expected"]) == ("0.20%", "3.333")
    (alert,) = read(alerts)
    assert alert["Explanation"] == EXACT_EXPLANATION
    assert "UNSUPPRESSED" in said


@pytest.mark.django_db
def test_export_writes_each_alert_with_its_review_and_method(tmp_path, small_numbers):
    _, alerts, _ = run_export(tmp_path)

    (alert,) = read(alerts)

    assert alert["Alert ID"] == str(small_numbers.pk)
    assert (alert["URN"], alert["School"], alert["Rule"], alert["Indicator"]) == (
        "140303",
        "Oakfield Academy",
        "R3",
        "N2",
    )
    assert (alert["Period"], alert["Status"], alert["Outcome"]) == ("2025/26", "New", "")
    assert (alert["Owner"], alert["Due date"]) == ("Priya Shah", "2026-07-28")
    assert alert["Raised at"] == "2026-06-30T09:30+01:00"
    assert alert["Method version"] == "2026.1"


@pytest.mark.django_db
def test_export_neutralises_a_school_name_that_starts_with_an_equals_sign(tmp_path, run):
    school = SchoolFactory(name='=HYPERLINK("http://evil.example")', is_local=True)
    SchoolIndicatorFactory(school=school, run=run)
    OffRollingAlertFactory(school=school, run=run)

    indicators, alerts, _ = run_export(tmp_path)

    assert read(indicators)[0]["School"] == '\'=HYPERLINK("http://evil.example")'
    assert read(alerts)[0]["School"] == '\'=HYPERLINK("http://evil.example")'


@pytest.mark.django_db
def test_export_streams_every_row_in_chunks(tmp_path, run, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_SIZE", 7)
    schools = [SchoolFactory(is_local=True) for _ in range(5)]
    for school in schools:
        for indicator in ("N1", "N2", "N3", "N4", "N5", "N6"):
            SchoolIndicatorFactory(school=school, run=run, indicator=indicator)

    result = offrolling_export(path=tmp_path / "out.csv")

    assert result.indicators == 30
    assert len(read(result.indicators_path)) == 30
    assert {row["URN"] for row in read(result.indicators_path)} == {s.urn for s in schools}


@pytest.mark.django_db
def test_export_to_a_folder_that_does_not_exist_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Could not write the export"):
        call_command("offrolling_export", str(tmp_path / "missing" / "out.csv"))


@pytest.mark.django_db
def test_export_that_fails_part_way_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("yesterday's export\n")

    def broken_rows(*, suppressed):
        yield ["140303", "Oakfield Academy"]
        raise OSError("disk full")

    monkeypatch.setattr(export, "indicator_rows", broken_rows)

    with pytest.raises(CommandError, match="disk full"):
        call_command("offrolling_export", str(target))

    assert target.read_text() == "yesterday's export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
