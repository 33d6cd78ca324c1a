"""The DfE termly EHE and CME return: exact tables for a known authority, frozen snapshots that
later edits cannot change, the validation report, the command and its files, and DfE rounding.

The expected figures below are worked out by hand from the histories described in
``tests/registry/reporting_data.py``, not from the code under test.
"""

import csv
import io
import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from registry.census import is_census_day, term_of
from registry.management.commands.dfe_return import Messages
from registry.models import (
    Child,
    CMEStatus,
    EHEReason,
    EHEStatus,
    EnforcementStepType,
    ReportKind,
    ReportSnapshot,
)
from registry.reporting.dfe import (
    METHOD_VERSION,
    Issue,
    IssueCode,
    IssueMessages,
    census_checks,
    census_section,
    dfe_return_issues,
    dfe_return_tables,
    previous_school_type,
    school_type_checks,
    section,
)
from registry.reporting.dfe_files import (
    CHILDREN_COLUMNS,
    return_csv_files,
    section_csv,
    validation_children_csv,
)
from registry.reporting.publish import exact_ratio, published_count, published_ratio
from registry.services.children import child_identity_correct
from registry.services.dfe_return import DfEReturnErrors, dfe_return_produce
from registry.services.episodes import (
    cme_episode_reason_change,
    ehe_episode_update,
    enforcement_step_record,
)
from registry.services.reporting import tables_sha256
from tests.registry.reporting_data import (
    CENSUS_DATE,
    build_known_authority,
    use_known_geography,
)

LA = ["Local authority", "E92000001", "England", "E12000008", "South East", "E10000032", "938"]
LA_NAME = "West Sussex"
AUTUMN_2025 = ["202526", "Autumn term", *LA, LA_NAME]
FULL_YEAR_2024 = ["202425", "Academic year", *LA, LA_NAME]
YEAR_TO_DATE_2025 = ["202526", "Academic year to date", *LA, LA_NAME]
SECTION_FILES = {
    "ehe_census.csv",
    "cme_census.csv",
    "ehe_academic_year.csv",
    "cme_academic_year.csv",
}
SNAPSHOT_FILES = SECTION_FILES | {"validation_checks.csv"}
COMMAND_FILES = SNAPSHOT_FILES | {"validation_children.csv"}

# (breakdown topic, breakdown, child_count, child_percent, rate_per_100); 9 children counted.
# Changed by the statutory counting rules (docs/rules/statistics.md §3.5, §4.1): "reception" (born
# 15 March 2021, of compulsory school age only from 31 March 2026) is no longer counted, so the
# total is 9 not 10, and Female, Reception and Lifestyle each lose one; the reasons carry the DfE's
# published labels; the year groups end with "Unknown".
EXPECTED_EHE_CENSUS = [
    ("Total", "Total", 9, "100.0", "0.5"),
    ("Sex", "Female", 3, "33.3", "z"),
    ("Sex", "Male", 5, "55.6", "z"),
    ("Sex", "Unknown", 1, "11.1", "z"),
    ("Year group", "Reception", 0, "0.0", "z"),
    ("Year group", "Year 1", 0, "0.0", "z"),
    ("Year group", "Year 2", 1, "11.1", "z"),
    ("Year group", "Year 3", 1, "11.1", "z"),
    ("Year group", "Year 4", 0, "0.0", "z"),
    ("Year group", "Year 5", 1, "11.1", "z"),
    ("Year group", "Year 6", 0, "0.0", "z"),
    ("Year group", "Year 7", 1, "11.1", "z"),
    ("Year group", "Year 8", 1, "11.1", "z"),
    ("Year group", "Year 9", 1, "11.1", "z"),
    ("Year group", "Year 10", 2, "22.2", "z"),
    ("Year group", "Year 11", 1, "11.1", "z"),
    ("Year group", "Unknown", 0, "0.0", "z"),
    ("Reason", "Mental health", 2, "22.2", "z"),
    ("Reason", "Physical health", 0, "0.0", "z"),
    ("Reason", "Health concerns related to COVID19", 0, "0.0", "z"),
    ("Reason", "School dissatisfaction general", 0, "0.0", "z"),
    ("Reason", "School dissatisfaction SEND", 1, "11.1", "z"),
    ("Reason", "School dissatisfaction bullying", 1, "11.1", "z"),
    ("Reason", "Lifestyle", 0, "0.0", "z"),
    ("Reason", "Philosophical or preferential", 1, "11.1", "z"),
    ("Reason", "Religious", 1, "11.1", "z"),
    ("Reason", "Risk of school exclusion", 0, "0.0", "z"),
    ("Reason", "Permanent exclusion", 0, "0.0", "z"),
    ("Reason", "Did not get school preference", 0, "0.0", "z"),
    ("Reason", "Difficulty accessing suitable school place", 0, "0.0", "z"),
    ("Reason", "Offered school place but not yet accepted", 0, "0.0", "z"),
    ("Reason", "Did not apply for school place at compulsory school age", 0, "0.0", "z"),
    ("Reason", "School suggestion", 1, "11.1", "z"),
    ("Reason", "Other", 0, "0.0", "z"),
    ("Reason", "No reason given", 1, "11.1", "z"),
    ("Reason", "Unknown", 1, "11.1", "z"),
]

# Four children missing education on the day.
EXPECTED_CME_CENSUS = [
    ("Total", "Total", 4, "100.0", "0.2"),
    ("Sex", "Female", 1, "25.0", "z"),
    ("Sex", "Male", 2, "50.0", "z"),
    ("Sex", "Unknown", 1, "25.0", "z"),
    ("Year group", "Reception", 0, "0.0", "z"),
    ("Year group", "Year 1", 1, "25.0", "z"),
    ("Year group", "Year 2", 0, "0.0", "z"),
    ("Year group", "Year 3", 0, "0.0", "z"),
    ("Year group", "Year 4", 0, "0.0", "z"),
    ("Year group", "Year 5", 0, "0.0", "z"),
    ("Year group", "Year 6", 1, "25.0", "z"),
    ("Year group", "Year 7", 0, "0.0", "z"),
    ("Year group", "Year 8", 1, "25.0", "z"),
    ("Year group", "Year 9", 0, "0.0", "z"),
    ("Year group", "Year 10", 0, "0.0", "z"),
    ("Year group", "Year 11", 1, "25.0", "z"),
    ("Year group", "Unknown", 0, "0.0", "z"),  # the "Unknown" row: statistics.md §4
    ("Reason", "Believed to have moved out of the country", 1, "25.0", "z"),
    ("Reason", "School application awaiting outcome", 1, "25.0", "z"),
    ("Reason", "Offered a school place, not yet started", 0, "0.0", "z"),
    ("Reason", "Not on roll and no application made", 0, "0.0", "z"),
    ("Reason", "Home education unsuitable", 0, "0.0", "z"),
    ("Reason", "Whereabouts unknown", 1, "25.0", "z"),
    ("Reason", "Moved within the UK, whereabouts unknown", 0, "0.0", "z"),
    ("Reason", "Gypsy, Roma or Traveller family travelling", 0, "0.0", "z"),
    ("Reason", "Permanently excluded, no provision yet", 0, "0.0", "z"),
    ("Reason", "Other", 0, "0.0", "z"),
    ("Reason", "Unknown", 1, "25.0", "z"),
    ("Time missing", "12 weeks or less", 2, "50.0", "z"),
    ("Time missing", "More than 12 weeks", 1, "25.0", "z"),
    ("Time missing", "Unknown", 1, "25.0", "z"),
]

# anytime, starts, returns, other leavers, s.437 notices, SAOs issued, SAOs revoked, then each
# previous school type of the starts with its percentage, in the published column order:
# lamain, acad, free, ind, spec, ap, pru, ey, ehe, none, else_unk.
EXPECTED_EHE_FULL_YEAR_2024 = [6, 5, 1, 1, 1, 1, 0] + [
    *(1, "20.0"),  # lamain: returned_last_year
    *(1, "20.0"),  # acad: enforcement
    *(1, "20.0"),  # free: over_csa_last_year
    *(0, "0.0"),  # ind
    *(1, "20.0"),  # spec: moved_away
    *(0, "0.0"),  # ap
    *(0, "0.0"),  # pru
    *(0, "0.0"),  # ey
    *(0, "0.0"),  # ehe
    *(1, "20.0"),  # none: reason_unknown (never enrolled)
    *(0, "0.0"),  # else_unk
]
# Changed by the compulsory school age rule (docs/rules/statistics.md §3.5): "year_12" (past it)
# and "reception" (not yet of it) are neither in EHE at any point nor starts, so anytime is 11 not
# 13, starts 8 not 10, and the ey and ehe school types 0.
EXPECTED_EHE_YEAR_TO_DATE_2025 = [11, 8, 2, 1, 1, 0, 1] + [
    *(1, "12.5"),  # lamain: no_reason_sex_unknown
    *(3, "37.5"),  # acad: returned_on_census_day and both of came_back's episodes
    *(0, "0.0"),  # free
    *(1, "12.5"),  # ind: reason_changed_later
    *(0, "0.0"),  # spec
    *(1, "12.5"),  # ap: school_suggestion
    *(1, "12.5"),  # pru: returns_after_census
    *(0, "0.0"),  # ey: reception started before compulsory school age
    *(0, "0.0"),  # ehe: year_12 (from another LA) started past compulsory school age
    *(0, "0.0"),  # none
    *(1, "12.5"),  # else_unk: no_previous_school
]

EXPECTED_ISSUES = {
    ("reason_unknown", "EHE", IssueCode.REASON_UNKNOWN),
    ("no_reason_sex_unknown", "EHE", IssueCode.NO_REASON_GIVEN),
    ("no_reason_sex_unknown", "EHE", IssueCode.SEX_UNKNOWN),
    ("no_previous_school", "EHE", IssueCode.PREVIOUS_SCHOOL_UNKNOWN),
    ("year_12", "EHE", IssueCode.NOT_OF_COMPULSORY_SCHOOL_AGE),
    ("reception", "EHE", IssueCode.NOT_OF_COMPULSORY_SCHOOL_AGE),
    ("unknown_everything", "CME", IssueCode.REASON_UNKNOWN),
    ("unknown_everything", "CME", IssueCode.SEX_UNKNOWN),
    ("unknown_everything", "CME", IssueCode.TIME_MISSING_UNKNOWN),
}


@pytest.fixture
def geography(settings):
    use_known_geography(settings)


@pytest.fixture
def known(db, geography):
    return build_known_authority()


def census_rows(tables: dict, key: str) -> list[tuple]:
    return [tuple(row[10:]) for row in section(tables, key)["rows"]]


def prefixes(tables: dict, key: str) -> list[list]:
    return [row[:10] for row in section(tables, key)["rows"]]


def issue_keys(known, issues: list[Issue]) -> set[tuple]:
    key_of = {str(child.pk): key for key, child in known.children.items()}
    return {(key_of[issue.child_id], issue.kind, issue.code) for issue in issues}


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# --- Exactly the expected tables ----------------------------------------------------------------


def test_the_known_authority_gives_exactly_the_expected_ehe_census_table(known):
    tables = dfe_return_tables(CENSUS_DATE)

    assert census_rows(tables, "ehe_census") == EXPECTED_EHE_CENSUS
    assert prefixes(tables, "ehe_census") == [AUTUMN_2025] * len(EXPECTED_EHE_CENSUS)


def test_the_known_authority_gives_exactly_the_expected_cme_census_table(known):
    tables = dfe_return_tables(CENSUS_DATE)

    assert census_rows(tables, "cme_census") == EXPECTED_CME_CENSUS
    assert prefixes(tables, "cme_census") == [AUTUMN_2025] * len(EXPECTED_CME_CENSUS)


def test_the_known_authority_gives_exactly_the_expected_academic_year_rows(known):
    tables = dfe_return_tables(CENSUS_DATE)

    assert section(tables, "ehe_academic_year")["rows"] == [
        FULL_YEAR_2024 + EXPECTED_EHE_FULL_YEAR_2024,
        YEAR_TO_DATE_2025 + EXPECTED_EHE_YEAR_TO_DATE_2025,
    ]
    assert section(tables, "cme_academic_year")["rows"] == [
        FULL_YEAR_2024 + [3],  # believed_abroad, twelve_weeks_exactly, abroad_last_year
        YEAR_TO_DATE_2025 + [5],  # the four on the census day and located_before_census
    ]


def test_the_academic_year_columns_are_those_of_the_published_file(known):
    columns = section(dfe_return_tables(CENSUS_DATE), "ehe_academic_year")["columns"]

    assert columns[10:17] == [
        "ehe_anytime_full_year",
        "ehe_starts_full_year",
        "ehe_returns_full_year",
        "ehe_leave",
        "ehe_section_437_full_year",
        "ehe_sao_issued_full_year",
        "ehe_sao_revoked_full_year",
    ]
    assert columns[17:21] == [
        "ehe_schtype_lamain",
        "ehe_schtype_lamain_pc",
        "ehe_schtype_acad",
        "ehe_schtype_acad_pc",
    ]
    assert columns[-2:] == ["ehe_schtype_else_unk", "ehe_schtype_else_unk_pc"]


def test_the_return_names_its_census_day_term_year_and_population(known):
    tables = dfe_return_tables(CENSUS_DATE)

    assert tables["as_at"] == "2025-10-02"
    assert tables["term"] == "autumn"
    assert tables["academic_year"] == "2025/26"
    assert tables["population_aged_5_to_16"] == 2000
    assert [s["key"] for s in tables["sections"]] == [
        "ehe_census",
        "cme_census",
        "ehe_academic_year",
        "cme_academic_year",
    ]
    assert "West Sussex" in tables["title"]


# --- The proof: frozen, and reproducible as at the old date --------------------------------------


def edit_the_children_after_the_census_day(known) -> None:
    """Casework after 2 October 2025, every fact dated after it."""
    by = known.officer
    known.ehe_status("enforcement", EHEStatus.RETURNED_TO_SCHOOL, date(2026, 1, 12))
    ehe_episode_update(
        episode=known.ehe["reason_unknown"],
        by=by,
        primary_reason=EHEReason.MENTAL_HEALTH,
        reason_effective_date=date(2025, 12, 1),
    )
    ehe_episode_update(
        episode=known.ehe["no_reason_sex_unknown"],
        by=by,
        primary_reason=EHEReason.DISSATISFACTION_GENERAL,
        reason_effective_date=date(2026, 2, 2),
    )
    known.ehe_status("no_previous_school", EHEStatus.CONCERNS, date(2025, 11, 3))
    enforcement_step_record(
        episode=known.ehe["school_suggestion"],
        by=by,
        step_type=EnforcementStepType.S437_NOTICE,
        served_on=date(2025, 10, 16),
    )
    known.step("no_previous_school", EnforcementStepType.SAO_ISSUED, date(2026, 3, 2))
    known.ehe_status("starts_day_after", EHEStatus.RETURNED_TO_SCHOOL, date(2025, 11, 10))
    known.open_ehe(
        "returned_last_year_again",
        child_key="returned_last_year",
        start_date=date(2026, 2, 2),
        primary_reason=EHEReason.MENTAL_HEALTH,
        previous_school=known.schools["lamain"],
    )
    known.cme_status(
        "awaiting_application",
        CMEStatus.LOCATED_IN_SCHOOL,
        date(2025, 12, 1),
        located_school=known.schools["lamain"],
    )
    cme_episode_reason_change(
        episode=known.cme["unknown_everything"],
        by=by,
        primary_reason="whereabouts_unknown",
        effective_date=date(2025, 11, 5),
    )
    child_identity_correct(
        child=known.children["reception"], by=by, why="Spelling", legal_surname="Renamed"
    )


def test_a_frozen_return_and_the_figures_as_at_its_day_do_not_change_when_children_are_edited(
    known,
):
    snapshot = dfe_return_produce(census_date=CENSUS_DATE, by=known.officer)
    frozen_tables = snapshot.tables
    frozen_files = {file.name: bytes(file.content) for file in snapshot.files.all()}
    assert census_rows(frozen_tables, "ehe_census") == EXPECTED_EHE_CENSUS

    edit_the_children_after_the_census_day(known)

    reloaded = ReportSnapshot.objects.get(pk=snapshot.pk)
    assert reloaded.tables == frozen_tables
    assert reloaded.tables_sha256 == snapshot.tables_sha256 == tables_sha256(reloaded.tables)
    assert {file.name: bytes(file.content) for file in reloaded.files.all()} == frozen_files
    again = dfe_return_tables(CENSUS_DATE)
    assert again == frozen_tables
    assert census_rows(again, "ehe_census") == EXPECTED_EHE_CENSUS
    assert census_rows(again, "cme_census") == EXPECTED_CME_CENSUS


def test_the_edits_after_the_census_day_do_show_as_at_a_later_census_day(known):
    edit_the_children_after_the_census_day(known)

    later = dfe_return_tables(date(2026, 5, 21))

    ehe = dict(
        ((topic, label), count) for topic, label, count, _, _ in census_rows(later, "ehe_census")
    )
    # Gone: enforcement, returns_after_census, starts_day_after; back: returned_last_year.
    assert ehe[("Total", "Total")] == 9
    assert ehe[("Reason", "Unknown")] == 0
    assert ehe[("Reason", "No reason given")] == 0
    assert ehe[("Reason", "Lifestyle")] == 2  # reason_changed_later now, and reception
    cme = census_rows(later, "cme_census")
    assert cme[0][2] == 3  # awaiting_application was found on a school roll


def test_the_snapshot_keeps_the_section_files_and_checks_but_never_the_children(known):
    snapshot = dfe_return_produce(census_date=CENSUS_DATE, by=known.officer)

    assert snapshot.kind == ReportKind.DFE_RETURN
    assert snapshot.period == "2025-10-02"
    assert snapshot.as_at == CENSUS_DATE
    assert snapshot.method_version == METHOD_VERSION
    assert {file.name for file in snapshot.files.all()} == SNAPSHOT_FILES


def test_a_return_cannot_be_frozen_for_a_day_not_yet_reached(db, geography):
    with pytest.raises(ValidationError) as refused:
        dfe_return_produce(census_date=date(2099, 10, 1), by=None)

    assert refused.value.message_dict == {"census_date": [DfEReturnErrors.FUTURE_DATE]}
    assert not ReportSnapshot.objects.exists()


def test_the_tables_count_issues_but_hold_no_child_ids(known):
    tables = dfe_return_tables(CENSUS_DATE)

    text = json.dumps(tables)
    assert not [key for key, child in known.children.items() if str(child.pk) in text]
    assert tables["issue_counts"] == {
        "reason_unknown": 2,
        "no_reason_given": 1,
        "sex_unknown": 2,
        "time_missing_unknown": 1,
        "previous_school_unknown": 1,
        # year_12 and reception (docs/rules/statistics.md §3.5)
        "not_of_compulsory_school_age": 2,
        "year_group_unknown": 0,
        "cme_reason_not_mapped": 0,
    }


# --- Checks and issues ---------------------------------------------------------------------------


def test_every_check_passes_on_consistent_data(known):
    checks = dfe_return_tables(CENSUS_DATE)["checks"]

    assert [check["check"] for check in checks if not check["passed"]] == []
    assert len(checks) == 13  # with the CME reason mapping check (statistics.md §4.2)
    assert all(check["detail"] for check in checks)


def test_a_breakdown_that_does_not_add_up_to_the_total_fails_its_check(db, geography):
    census = census_section(kind="EHE", children=[], census_date=CENSUS_DATE, population=None)
    female = next(row for row in census["rows"] if row[11] == "Female")
    female[12] = 3

    failed = [check for check in census_checks(census, "EHE") if not check["passed"]]

    assert [check["check"] for check in failed] == ["EHE census day: sex adds up to the total"]
    assert failed[0]["detail"] == "The sex rows add up to 3, but the total is 0."


def test_previous_school_types_that_do_not_add_up_to_the_starts_fail_their_check(known):
    year = section(dfe_return_tables(CENSUS_DATE), "ehe_academic_year")
    year["rows"][1][year["columns"].index("ehe_schtype_acad")] = 2

    checks = school_type_checks(year)

    assert [check["passed"] for check in checks] == [True, False]
    assert checks[1]["detail"] == "The previous school types add up to 7, but there were 8 starts."


def test_a_missing_geography_setting_fails_a_check(db, geography, settings):
    settings.REGION_CODE = ""

    checks = dfe_return_tables(CENSUS_DATE)["checks"]

    failed = [check for check in checks if not check["passed"]]
    assert [check["check"] for check in failed] == ["The local authority's geography is set"]
    assert "REGION_CODE" in failed[0]["detail"]


def test_issues_list_the_children_behind_every_unknown_and_no_reason_given(known):
    issues = dfe_return_issues(CENSUS_DATE)

    assert issue_keys(known, issues) == EXPECTED_ISSUES
    assert len(issues) == len(EXPECTED_ISSUES)
    by_code = {
        (issue.kind, issue.code, issue.child_id): issue
        for issue in issues
        if issue.code == IssueCode.NOT_OF_COMPULSORY_SCHOOL_AGE
    } | {(issue.kind, issue.code): issue for issue in issues}
    assert by_code[("EHE", IssueCode.REASON_UNKNOWN)].message == IssueMessages.REASON_UNKNOWN
    assert by_code[("EHE", IssueCode.REASON_UNKNOWN)].episode_id == str(
        known.ehe["reason_unknown"].pk
    )
    year_12 = ("EHE", IssueCode.NOT_OF_COMPULSORY_SCHOOL_AGE, str(known.children["year_12"].pk))
    assert by_code[year_12].message == (
        IssueMessages.NOT_OF_COMPULSORY_SCHOOL_AGE.format(year_group="Year 12")
    )
    assert by_code[("EHE", IssueCode.PREVIOUS_SCHOOL_UNKNOWN)].message == (
        IssueMessages.PREVIOUS_SCHOOL_UNKNOWN.format(start="Tuesday 16 September 2025")
    )


def test_fixing_a_reason_from_the_start_clears_its_issue_as_at_the_census_day(known):
    ehe_episode_update(
        episode=known.ehe["reason_unknown"],
        by=known.officer,
        primary_reason=EHEReason.PHYSICAL_HEALTH,
        reason_effective_date=date(2025, 1, 13),
    )

    issues = issue_keys(known, dfe_return_issues(CENSUS_DATE))

    assert ("reason_unknown", "EHE", IssueCode.REASON_UNKNOWN) not in issues
    rows = census_rows(dfe_return_tables(CENSUS_DATE), "ehe_census")
    assert ("Reason", "Physical health", 1, "11.1", "z") in rows  # 1 of 9 (statistics.md §3.5)


@pytest.mark.parametrize(
    ("group", "type_name", "phase", "source", "expected"),
    [
        ("la_maintained", "Community school", "Primary", "school_deletion", "lamain"),
        ("academy", "Academy converter", "Secondary", "school_deletion", "acad"),
        ("free_school", "Free schools", "Secondary", "school_deletion", "free"),
        ("independent", "Other independent school", "", "school_deletion", "ind"),
        ("special", "Community special school", "", "school_deletion", "spec"),
        ("pru_ap", "Pupil referral unit", "", "school_deletion", "pru"),
        ("pru_ap", "Academy alternative provision converter", "", "school_deletion", "ap"),
        ("la_maintained", "Local authority nursery school", "Nursery", "parent", "ey"),
        ("college", "Further education", "16 plus", "school_deletion", "else_unk"),
        (None, None, None, "never_enrolled", "none"),
        (None, None, None, "other_la", "ehe"),
        (None, None, None, "parent", "else_unk"),
    ],
)
def test_previous_school_type_follows_the_published_categories(
    group, type_name, phase, source, expected
):
    start = {
        "previous_school__type_group": group,
        "previous_school__type_name": type_name,
        "previous_school__phase": phase,
        "source": source,
    }

    assert previous_school_type(start) == expected


def test_census_days_are_the_school_census_thursdays_and_terms_follow_the_school_year(settings):
    settings.SCHOOL_CENSUS_DATES = []

    assert is_census_day(date(2025, 10, 2))
    assert is_census_day(date(2026, 1, 15))
    assert is_census_day(date(2026, 5, 21))
    assert not is_census_day(date(2025, 10, 9))
    assert [term_of(date(2025, 10, 2)), term_of(date(2026, 1, 15)), term_of(date(2026, 5, 21))] == [
        "autumn",
        "spring",
        "summer",
    ]


def test_a_configured_census_day_is_the_census_day_instead(settings):
    settings.SCHOOL_CENSUS_DATES = ["2026-01-22"]

    assert is_census_day(date(2026, 1, 22))
    assert not is_census_day(date(2026, 1, 15))


def test_an_empty_register_still_gives_every_category_and_no_rate_without_a_population(
    db, geography
):
    tables = dfe_return_tables(CENSUS_DATE)

    ehe = census_rows(tables, "ehe_census")
    assert ehe[0] == ("Total", "Total", 0, "z", "x")
    assert len(ehe) == len(EXPECTED_EHE_CENSUS)
    assert all(count == 0 for _, _, count, _, _ in ehe)
    assert tables["population_aged_5_to_16"] is None
    assert all(check["passed"] for check in tables["checks"])


# --- Files and the command -----------------------------------------------------------------------


def test_the_command_writes_every_file_for_a_census_day(known, tmp_path):
    out = tmp_path / "returns" / "autumn-2025"
    stdout = io.StringIO()

    call_command("dfe_return", "--census-date", "2025-10-02", "--out", str(out), stdout=stdout)

    assert {path.name for path in out.iterdir()} == COMMAND_FILES  # no staging left behind
    tables = dfe_return_tables(CENSUS_DATE)
    for name, content in return_csv_files(tables).items():
        assert (out / name).read_bytes() == content
    ehe_csv = read_csv((out / "ehe_census.csv").read_bytes())
    assert ehe_csv[0][-5:] == [
        "breakdown_topic",
        "breakdown",
        "child_count",
        "child_percent",
        "rate_per_100",
    ]
    # 9, not 10: "reception" is not yet of compulsory school age (statistics.md §3.5).
    assert ehe_csv[1] == [*AUTUMN_2025, "Total", "Total", "9", "100.0", "0.5"]
    children = read_csv((out / "validation_children.csv").read_bytes())
    assert children[0] == CHILDREN_COLUMNS
    assert len(children) == 1 + len(EXPECTED_ISSUES)
    unknown = known.children["reason_unknown"]
    row = next(row for row in children[1:] if row[0] == str(unknown.pk))
    assert row[1:5] == [unknown.upn, unknown.full_name, "2010-03-15", "EHE"]
    assert row[6:] == [IssueCode.REASON_UNKNOWN, IssueMessages.REASON_UNKNOWN]
    assert stdout.getvalue().strip() == Messages.SUMMARY.format(
        day="Thursday 2 October 2025",
        # 9 not 10, and one more issue: "reception" is not of compulsory school age; one more
        # check: CME reasons mapped (docs/rules/statistics.md §3.5, §4.2).
        ehe=9,
        cme=4,
        passed=13,
        failed=0,
        issues=9,
        children=out / "validation_children.csv",
    )


def test_the_command_refuses_a_date_that_is_not_a_census_day_and_names_that_years_census_days(
    db, tmp_path, settings
):
    settings.SCHOOL_CENSUS_DATES = []

    with pytest.raises(CommandError) as refused:
        call_command("dfe_return", "--census-date", "2025-10-03", "--out", str(tmp_path / "out"))

    assert str(refused.value) == Messages.NOT_A_CENSUS_DAY.format(
        day="Friday 3 October 2025",
        days="Thursday 2 October 2025, Thursday 15 January 2026 and Thursday 21 May 2026",
    )
    assert not (tmp_path / "out").exists()


def test_the_command_accepts_another_date_with_any_date(known, tmp_path):
    stdout = io.StringIO()

    call_command(
        "dfe_return",
        "--census-date",
        "2025-10-03",
        "--any-date",
        "--out",
        str(tmp_path),
        stdout=stdout,
    )

    # The day after the census: starts_day_after is in, returned_on_census_day is still out;
    # "reception" is not counted, not yet of compulsory school age (statistics.md §3.5).
    ehe_csv = read_csv((tmp_path / "ehe_census.csv").read_bytes())
    assert ehe_csv[1][10:13] == ["Total", "Total", "10"]
    assert "10 in EHE" in stdout.getvalue()


@pytest.mark.parametrize("text", ["02/10/2025", "2025-13-01", "next Thursday"])
def test_the_command_refuses_a_date_it_cannot_read(db, tmp_path, text):
    with pytest.raises(CommandError) as refused:
        call_command("dfe_return", "--census-date", text, "--out", str(tmp_path))

    assert str(refused.value) == Messages.BAD_DATE.format(text=text)


def test_the_command_refuses_a_date_in_the_future(db, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("dfe_return", "--census-date", "2099-10-01", "--out", str(tmp_path))

    assert str(refused.value) == Messages.FUTURE_DATE.format(day="Thursday 1 October 2099")


def test_the_command_freezes_a_snapshot_with_freeze(known, tmp_path):
    stdout = io.StringIO()

    call_command(
        "dfe_return",
        "--census-date",
        "2025-10-02",
        "--out",
        str(tmp_path),
        "--freeze",
        stdout=stdout,
    )

    snapshot = ReportSnapshot.objects.get()
    assert snapshot.produced_by is None
    assert Messages.FROZEN.format(id=snapshot.pk) in stdout.getvalue()
    assert census_rows(snapshot.tables, "ehe_census") == EXPECTED_EHE_CENSUS
    for file in snapshot.files.all():
        assert (tmp_path / file.name).read_bytes() == bytes(file.content)


def test_csv_cells_that_start_like_a_formula_are_written_as_text(db, settings):
    use_known_geography(settings)
    settings.LOCAL_AUTHORITY_NAME = '=HYPERLINK("https://example.org","x")'
    census = census_section(kind="EHE", children=[], census_date=CENSUS_DATE, population=None)
    child = Child(
        legal_forenames="=1+2",
        legal_surname="@SUM(A1)",
        upn="+441234",
        date_of_birth=date(2015, 3, 15),
    )
    issue = Issue(str(child.pk), "-1", "EHE", IssueCode.SEX_UNKNOWN, "-2+3")

    census_csv = read_csv(section_csv(census))
    children_csv = read_csv(validation_children_csv([issue], {str(child.pk): child}))

    assert census_csv[1][9] == '\'=HYPERLINK("https://example.org","x")'
    assert children_csv[1] == [
        str(child.pk),
        "'+441234",
        "'=1+2 @SUM(A1)",
        "2015-03-15",
        "EHE",
        "'-1",
        IssueCode.SEX_UNKNOWN,
        "'-2+3",
    ]


# --- DfE rounding for anything published (publish.py) --------------------------------------------


@pytest.mark.parametrize(
    ("count", "base", "expected"),
    [
        (None, 10, "x"),
        (0, 10, "0"),
        (1, 10, "low"),
        (4, 10, "low"),
        (5, 10, "10"),  # halves round up
        (14, 10, "10"),
        (15, 10, "20"),
        (1234, 10, "1230"),
        (49, 100, "low"),
        (50, 100, "100"),
        (149, 100, "100"),
        (150, 100, "200"),
    ],
)
def test_published_counts_round_to_the_nearest_10_or_100_and_show_low_for_small_non_zero(
    count, base, expected
):
    assert published_count(count, base=base) == expected


@pytest.mark.parametrize(
    ("count", "of", "expected"),
    [
        (25, 200, "12.5"),
        (4, 200, "x"),  # the count would round to "low": its percentage would give it away
        (0, 200, "0.0"),
        (5, 0, "z"),
        (5, None, "x"),
        (1, 16, "x"),
        (10, 3000, "0.3"),
    ],
)
def test_published_ratios_hide_what_the_rounded_count_hides(count, of, expected):
    assert published_ratio(count, of) == expected


@pytest.mark.parametrize(
    ("count", "of", "expected"),
    [(1, 3, "33.3"), (2, 3, "66.7"), (1, 16, "6.3"), (4, 200, "2.0"), (0, 0, "z"), (1, None, "x")],
)
def test_exact_ratios_for_the_return_are_not_suppressed_and_round_halves_up(count, of, expected):
    assert exact_ratio(count, of) == expected
