"""The DfE counting rules (docs/rules/statistics.md §3.5, §3.6, §4): who the DfE return, the DCS
pack and the home page count, worked out by hand for the known authority of
``tests/registry/reporting_data.py`` with these children added (key: sex, expected NC year in
2025/26; history):

- found_unsuitable: M, Year 4, Lifestyle; EHE from an academy 1 Sep 2025, being assessed 3 Sep,
  education unsuitable 15 Sep 2025.
- under_s437: F, Year 7, Philosophical; EHE from an LA-maintained school 1 Sep 2025, being
  assessed 2 Sep, unsuitable 8 Sep, s.437 notice served 22 Sep 2025.
- sao_stage: M, Year 9, Religious; EHE from an academy 3 Mar 2025, being assessed 10 Mar,
  unsuitable 1 Apr, s.437 notice 1 May, SAO steps (notice of intention) 1 Jul 2025.
- unsuitable_and_cme: F, Year 10, Mental health; EHE from an academy 1 Sep 2025, being assessed
  2 Sep, unsuitable 5 Sep; and a CME episode open from 10 Sep 2025 (missing since 10 Sep,
  Whereabouts unknown).
- cme_past_age: M, Year 12; CME from 1 Sep 2025 (missing since 1 Sep, Other): past compulsory
  school age since 27 June 2025.
- new_reason: F, Year 3; CME from 15 Sep 2025 (missing since 15 Sep) with "awaiting_ehcp", a
  reason an administrator added and mapped to a new DfE category, "Awaiting an EHC needs
  assessment" (order 55).
- unmapped_reason: M, Year 5; CME from 20 Sep 2025 (missing since 20 Sep) with "awaiting_tribunal",
  added without a DfE category (order 56).

The census day is Thursday 2 October 2025. With the default policy (unsuitable EHE counts as CME
from the finding), the EHE census table is exactly the known authority's (none of the new EHE
children is in EHE that day) and the CME table is the one below.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry.cme_reasons import cme_reason_choices
from registry.forms import CMEEpisodeOpenForm
from registry.models import (
    CMEEpisode,
    CMEReason,
    CMEReasonCode,
    EHEEpisode,
    EHEReason,
    EHEStatus,
    EnforcementStepType,
    Role,
    Sex,
)
from registry.reporting import asat
from registry.reporting.dfe import (
    IssueCode,
    census_section,
    census_total,
    dfe_return_issues,
    dfe_return_tables,
    section,
)
from registry.reporting.dfe_files import return_csv_files
from registry.reporting.pack import parse_quarter, quarterly_pack_tables
from registry.school_age import expected_nc_year, is_compulsory_school_age
from registry.selectors import register_overview
from registry.services.dfe_return import dfe_return_produce
from registry.services.episodes import cme_episode_reason_change
from tests.factories import UserFactory, sign_in
from tests.pages import page_text
from tests.registry.reporting_data import (
    CENSUS_DATE,
    build_known_authority,
    use_known_geography,
)
from tests.registry.test_dfe_return import (
    EXPECTED_EHE_CENSUS,
    FULL_YEAR_2024,
    YEAR_TO_DATE_2025,
    census_rows,
    issue_keys,
)

NEW_CATEGORY = "Awaiting an EHC needs assessment"

# (breakdown topic, breakdown, child_count, child_percent, rate_per_100): 10 children, the known
# authority's 4 and found_unsuitable, under_s437, sao_stage, unsuitable_and_cme, new_reason and
# unmapped_reason; cme_past_age is not counted.
EXPECTED_CME_CENSUS = [
    ("Total", "Total", 10, "100.0", "0.5"),
    # believed_abroad, under_s437, unsuitable_and_cme, new_reason
    ("Sex", "Female", 4, "40.0", "z"),
    # awaiting_application, twelve_weeks_exactly, found_unsuitable, sao_stage, unmapped_reason
    ("Sex", "Male", 5, "50.0", "z"),
    ("Sex", "Unknown", 1, "10.0", "z"),  # unknown_everything
    ("Year group", "Reception", 0, "0.0", "z"),
    ("Year group", "Year 1", 1, "10.0", "z"),  # awaiting_application
    ("Year group", "Year 2", 0, "0.0", "z"),
    ("Year group", "Year 3", 1, "10.0", "z"),  # new_reason
    ("Year group", "Year 4", 1, "10.0", "z"),  # found_unsuitable
    ("Year group", "Year 5", 1, "10.0", "z"),  # unmapped_reason
    ("Year group", "Year 6", 1, "10.0", "z"),  # unknown_everything
    ("Year group", "Year 7", 1, "10.0", "z"),  # under_s437
    ("Year group", "Year 8", 1, "10.0", "z"),  # believed_abroad
    ("Year group", "Year 9", 1, "10.0", "z"),  # sao_stage
    ("Year group", "Year 10", 1, "10.0", "z"),  # unsuitable_and_cme
    ("Year group", "Year 11", 1, "10.0", "z"),  # twelve_weeks_exactly
    ("Year group", "Unknown", 0, "0.0", "z"),
    ("Reason", "Believed to have moved out of the country", 1, "10.0", "z"),
    ("Reason", "School application awaiting outcome", 1, "10.0", "z"),
    ("Reason", "Offered a school place, not yet started", 0, "0.0", "z"),
    ("Reason", "Not on roll and no application made", 0, "0.0", "z"),
    # found_unsuitable, under_s437, sao_stage
    ("Reason", "Home education unsuitable", 3, "30.0", "z"),
    ("Reason", NEW_CATEGORY, 1, "10.0", "z"),  # new_reason
    # twelve_weeks_exactly, and unsuitable_and_cme by its CME episode
    ("Reason", "Whereabouts unknown", 2, "20.0", "z"),
    ("Reason", "Moved within the UK, whereabouts unknown", 0, "0.0", "z"),
    ("Reason", "Gypsy, Roma or Traveller family travelling", 0, "0.0", "z"),
    ("Reason", "Permanently excluded, no provision yet", 0, "0.0", "z"),
    ("Reason", "Other", 1, "10.0", "z"),  # unmapped_reason
    ("Reason", "Unknown", 1, "10.0", "z"),  # unknown_everything
    # awaiting_application 22 days, twelve_weeks_exactly 84, found_unsuitable 17 (from 15 Sep),
    # under_s437 24 (from 8 Sep), unsuitable_and_cme 22, new_reason 17, unmapped_reason 12
    ("Time missing", "12 weeks or less", 7, "70.0", "z"),
    # believed_abroad 104 days, sao_stage 184 (from 1 Apr 2025)
    ("Time missing", "More than 12 weeks", 2, "20.0", "z"),
    ("Time missing", "Unknown", 1, "10.0", "z"),  # unknown_everything
]

# The known authority's rows plus the new children (see test_dfe_return for the rest):
# 2024/25: sao_stage is in EHE 3 to 31 March 2025 (anytime, a start from an academy) and served a
# s.437 notice on 1 May 2025.
EXPECTED_EHE_FULL_YEAR_2024_HERE = [7, 6, 1, 1, 2, 1, 0] + [
    *(1, "16.7"),  # lamain: returned_last_year
    *(2, "33.3"),  # acad: enforcement, sao_stage
    *(1, "16.7"),  # free: over_csa_last_year
    *(0, "0.0"),  # ind
    *(1, "16.7"),  # spec: moved_away
    *(0, "0.0"),  # ap
    *(0, "0.0"),  # pru
    *(0, "0.0"),  # ey
    *(0, "0.0"),  # ehe
    *(1, "16.7"),  # none: reason_unknown
    *(0, "0.0"),  # else_unk
]
# 2025/26 to date: found_unsuitable, under_s437 and unsuitable_and_cme were in EHE for a few days
# before the finding (anytime, starts); sao_stage counted as CME all year, so is not in EHE at any
# point; under_s437's notice on 22 Sep 2025 is the second s.437 notice.
EXPECTED_EHE_YEAR_TO_DATE_2025_HERE = [14, 11, 2, 1, 2, 0, 1] + [
    *(2, "18.2"),  # lamain: no_reason_sex_unknown, under_s437
    # acad: returned_on_census_day, came_back x2, found_unsuitable, unsuitable_and_cme
    *(5, "45.5"),
    *(0, "0.0"),  # free
    *(1, "9.1"),  # ind: reason_changed_later
    *(0, "0.0"),  # spec
    *(1, "9.1"),  # ap: school_suggestion
    *(1, "9.1"),  # pru: returns_after_census
    *(0, "0.0"),  # ey
    *(0, "0.0"),  # ehe
    *(0, "0.0"),  # none
    *(1, "9.1"),  # else_unk: no_previous_school
]


@pytest.fixture
def geography(settings):
    use_known_geography(settings)


def _add_reasons() -> None:
    """The two reasons an administrator added (the admin is exercised in its own test)."""
    CMEReasonCode.objects.create(
        code="awaiting_ehcp",
        label="Awaiting an EHC needs assessment",
        dfe_category=NEW_CATEGORY,
        order=55,
    )
    CMEReasonCode.objects.create(
        code="awaiting_tribunal", label="Awaiting a tribunal decision", order=56
    )


@pytest.fixture
def known(db, geography):
    known = build_known_authority()
    _add_reasons()
    s = known.schools

    known.child("found_unsuitable", sex=Sex.MALE, year_group=4)
    known.open_ehe(
        "found_unsuitable",
        start_date=date(2025, 9, 1),
        previous_school=s["acad"],
        primary_reason=EHEReason.LIFESTYLE,
    )
    known.ehe_status("found_unsuitable", EHEStatus.BEING_ASSESSED, date(2025, 9, 3))
    known.ehe_status("found_unsuitable", EHEStatus.UNSUITABLE, date(2025, 9, 15))

    known.child("under_s437", sex=Sex.FEMALE, year_group=7)
    known.open_ehe(
        "under_s437",
        start_date=date(2025, 9, 1),
        previous_school=s["lamain"],
        primary_reason=EHEReason.PHILOSOPHICAL,
    )
    known.ehe_status("under_s437", EHEStatus.BEING_ASSESSED, date(2025, 9, 2))
    known.ehe_status("under_s437", EHEStatus.UNSUITABLE, date(2025, 9, 8))
    known.ehe_status("under_s437", EHEStatus.S437_NOTICE_SERVED, date(2025, 9, 22))

    known.child("sao_stage", sex=Sex.MALE, year_group=9)
    known.open_ehe(
        "sao_stage",
        start_date=date(2025, 3, 3),
        previous_school=s["acad"],
        primary_reason=EHEReason.RELIGIOUS,
    )
    known.ehe_status("sao_stage", EHEStatus.BEING_ASSESSED, date(2025, 3, 10))
    known.ehe_status("sao_stage", EHEStatus.UNSUITABLE, date(2025, 4, 1))
    known.ehe_status("sao_stage", EHEStatus.S437_NOTICE_SERVED, date(2025, 5, 1))
    known.ehe_status("sao_stage", EHEStatus.SAO_STEPS, date(2025, 7, 1))
    known.step("sao_stage", EnforcementStepType.NOTICE_OF_INTENTION, date(2025, 7, 1))

    known.child("unsuitable_and_cme", sex=Sex.FEMALE, year_group=10)
    known.open_ehe(
        "unsuitable_and_cme",
        start_date=date(2025, 9, 1),
        previous_school=s["acad"],
        primary_reason=EHEReason.MENTAL_HEALTH,
    )
    known.ehe_status("unsuitable_and_cme", EHEStatus.BEING_ASSESSED, date(2025, 9, 2))
    known.ehe_status("unsuitable_and_cme", EHEStatus.UNSUITABLE, date(2025, 9, 5))
    known.open_cme(
        "unsuitable_and_cme",
        start_date=date(2025, 9, 10),
        missing_since=date(2025, 9, 10),
        primary_reason=CMEReason.WHEREABOUTS_UNKNOWN,
    )

    known.child("cme_past_age", sex=Sex.MALE, year_group=12)
    known.open_cme(
        "cme_past_age",
        start_date=date(2025, 9, 1),
        missing_since=date(2025, 9, 1),
        primary_reason=CMEReason.OTHER,
    )

    known.child("new_reason", sex=Sex.FEMALE, year_group=3)
    known.open_cme(
        "new_reason",
        start_date=date(2025, 9, 15),
        missing_since=date(2025, 9, 15),
        primary_reason="awaiting_ehcp",
    )

    known.child("unmapped_reason", sex=Sex.MALE, year_group=5)
    known.open_cme(
        "unmapped_reason",
        start_date=date(2025, 9, 20),
        missing_since=date(2025, 9, 20),
        primary_reason="awaiting_tribunal",
    )
    return known


def _policy(settings, step: str) -> None:
    settings.STATUTORY_RULES = f'{{"unsuitable_ehe_counts_as_cme_from": "{step}"}}'


def _rows(tables: dict, key: str) -> dict[tuple[str, str], int]:
    return {(topic, label): count for topic, label, count, _, _ in census_rows(tables, key)}


# --- The return worked by hand --------------------------------------------------------------------


def test_the_cme_census_table_counts_unsuitable_home_education_as_missing_education(known):
    """Unsuitable EHE counts as CME, once, with the reason 'Home education unsuitable' and time
    missing from the finding; children past compulsory school age are not counted; a reason an
    administrator added is counted under its DfE category, an unmapped one under 'Other'
    (docs/rules/statistics.md §3.5, §3.6, §4.2)."""
    tables = dfe_return_tables(CENSUS_DATE)

    assert census_rows(tables, "cme_census") == EXPECTED_CME_CENSUS


def test_the_ehe_census_table_leaves_out_every_child_whose_home_education_is_unsuitable(known):
    """An EHE child found unsuitable is no longer counted as EHE (docs/rules/statistics.md §3.6):
    the EHE table is exactly the known authority's, as if the four were not there."""
    tables = dfe_return_tables(CENSUS_DATE)

    assert census_rows(tables, "ehe_census") == EXPECTED_EHE_CENSUS


def test_the_academic_year_rows_count_ehe_and_cme_days_apart(known):
    """At any point, a child counts as EHE on the days before the finding and as CME after it,
    and only on days of compulsory school age (docs/rules/statistics.md §3.5, §3.6)."""
    tables = dfe_return_tables(CENSUS_DATE)

    assert section(tables, "ehe_academic_year")["rows"] == [
        FULL_YEAR_2024 + EXPECTED_EHE_FULL_YEAR_2024_HERE,
        YEAR_TO_DATE_2025 + EXPECTED_EHE_YEAR_TO_DATE_2025_HERE,
    ]
    # 2024/25: the known 3 and sao_stage (from 1 April 2025). 2025/26 to date: the known 5 and
    # found_unsuitable, under_s437, sao_stage, unsuitable_and_cme, new_reason, unmapped_reason;
    # not cme_past_age.
    assert section(tables, "cme_academic_year")["rows"] == [
        FULL_YEAR_2024 + [4],
        YEAR_TO_DATE_2025 + [11],
    ]


# --- The LA's policy: from which stage unsuitable EHE counts as CME -------------------------------


@pytest.mark.parametrize(
    ("step", "cme", "ehe", "unsuitable", "up_to_12_weeks", "over_12_weeks"),
    [
        # found_unsuitable (17 days), under_s437 (24), sao_stage (184) are CME.
        ("unsuitable", 10, 9, 3, 7, 2),
        # found_unsuitable is EHE; under_s437 from 22 Sep (10 days), sao_stage from 1 May (154).
        ("s437_notice", 9, 10, 2, 6, 2),
        # found_unsuitable and under_s437 are EHE; sao_stage from 1 Jul 2025 (93 days).
        ("sao", 8, 11, 1, 5, 2),
    ],
)
def test_the_la_policy_sets_the_stage_from_which_unsuitable_ehe_counts_as_cme(
    known, settings, step, cme, ehe, unsuitable, up_to_12_weeks, over_12_weeks
):
    """Unsuitable EHE counts as CME from the stage the LA's policy names: the finding, the s.437
    notice or the SAO steps (``unsuitable_ehe_counts_as_cme_from``, docs/rules/statistics.md
    §3.6). unsuitable_and_cme counts as CME by its own CME episode whatever the policy."""
    _policy(settings, step)

    tables = dfe_return_tables(CENSUS_DATE)

    cme_rows = _rows(tables, "cme_census")
    assert census_total(tables, "CME") == cme
    assert census_total(tables, "EHE") == ehe
    assert cme_rows[("Reason", "Home education unsuitable")] == unsuitable
    assert cme_rows[("Reason", "Whereabouts unknown")] == 2
    assert cme_rows[("Time missing", "12 weeks or less")] == up_to_12_weeks
    assert cme_rows[("Time missing", "More than 12 weeks")] == over_12_weeks
    assert all(check["passed"] for check in tables["checks"] if "mapped" not in check["check"])


@pytest.mark.parametrize(
    ("step", "counted_from"),
    [
        ("unsuitable", date(2025, 4, 1)),
        ("s437_notice", date(2025, 5, 1)),
        ("sao", date(2025, 7, 1)),
    ],
)
def test_a_child_counts_as_cme_from_the_day_the_policys_stage_took_effect(
    known, settings, step, counted_from
):
    """The child counts as CME from the day the status or step took effect, not before, and the
    time missing runs from that day (docs/rules/statistics.md §3.6, ADR 0008)."""
    _policy(settings, step)
    child_id = str(known.children["sao_stage"].pk)
    day_before = counted_from - timedelta(days=1)

    assert child_id in {child.child_id for child in asat.in_ehe_on(day_before)}
    assert child_id not in {child.child_id for child in asat.missing_education_on(day_before)}
    on_the_day = {child.child_id: child for child in asat.missing_education_on(counted_from)}
    assert on_the_day[child_id].reason == CMEReason.EHE_UNSUITABLE
    assert on_the_day[child_id].days_missing == 0
    assert child_id not in {child.child_id for child in asat.in_ehe_on(counted_from)}


def test_education_found_suitable_again_counts_as_ehe_again_from_that_day(known):
    """A child whose education is later found suitable is EHE again from that day
    (docs/rules/statistics.md §3.6)."""
    known.ehe_status("found_unsuitable", EHEStatus.SUITABLE, date(2025, 9, 29))
    child_id = str(known.children["found_unsuitable"].pk)

    assert child_id in {child.child_id for child in asat.missing_education_on(date(2025, 9, 28))}
    assert child_id in {child.child_id for child in asat.in_ehe_on(CENSUS_DATE)}
    assert child_id not in {child.child_id for child in asat.missing_education_on(CENSUS_DATE)}


def test_a_child_with_unsuitable_ehe_and_an_open_cme_episode_is_counted_once(known):
    """No double counting: the child counts once, as CME, by the CME episode's reason and date
    (docs/rules/statistics.md §3.6)."""
    child_id = str(known.children["unsuitable_and_cme"].pk)

    missing = [
        child for child in asat.missing_education_on(CENSUS_DATE) if child.child_id == child_id
    ]

    assert len(missing) == 1
    assert missing[0].episode_id == str(known.cme["unsuitable_and_cme"].pk)
    assert missing[0].reason == CMEReason.WHEREABOUTS_UNKNOWN
    assert missing[0].days_missing == 22
    assert child_id not in {child.child_id for child in asat.in_ehe_on(CENSUS_DATE)}
    assert len(asat.children_at_any_point(CMEEpisode, date(2025, 9, 1), CENSUS_DATE)) == 11


# --- Compulsory school age ------------------------------------------------------------------------


def test_children_past_compulsory_school_age_are_not_counted_but_listed_to_close(known):
    """Only children of compulsory school age are counted, even while their episode is still
    open (docs/rules/statistics.md §3.5); the validation report lists them."""
    issues = issue_keys(known, dfe_return_issues(CENSUS_DATE))
    counted = {child.child_id for child in asat.missing_education_on(CENSUS_DATE)}

    assert str(known.children["cme_past_age"].pk) not in counted
    assert ("cme_past_age", "CME", IssueCode.NOT_OF_COMPULSORY_SCHOOL_AGE) in issues
    assert ("year_12", "EHE", IssueCode.NOT_OF_COMPULSORY_SCHOOL_AGE) in issues
    # Reception, born 15 March 2021, is of compulsory school age from 31 March 2026.
    assert ("reception", "EHE", IssueCode.NOT_OF_COMPULSORY_SCHOOL_AGE) in issues
    reception = str(known.children["reception"].pk)
    assert reception in {child.child_id for child in asat.in_ehe_on(date(2026, 3, 31))}
    assert reception not in {child.child_id for child in asat.in_ehe_on(date(2026, 3, 30))}


def test_a_child_counts_until_the_last_day_of_compulsory_school_age(known):
    """The last day of compulsory school age is the last Friday of June in Year 11
    (docs/rules/statistics.md §3.3, §3.5): twelve_weeks_exactly (Year 11 in 2025/26) is counted
    on Friday 26 June 2026 and not on Saturday 27 June."""
    child_id = str(known.children["twelve_weeks_exactly"].pk)

    assert child_id in {child.child_id for child in asat.missing_education_on(date(2026, 6, 26))}
    assert child_id not in {
        child.child_id for child in asat.missing_education_on(date(2026, 6, 27))
    }
    assert asat.children_on_count(CMEEpisode, date(2026, 6, 27)) == len(
        asat.missing_education_on(date(2026, 6, 27))
    )


def test_the_span_of_dates_of_birth_of_school_age_is_exactly_the_children_of_that_age():
    """The database filter on dates of birth gives exactly ``is_compulsory_school_age``
    (docs/rules/statistics.md §3.5), at the census days and at the edges of the school year."""
    for day in (CENSUS_DATE, date(2026, 1, 15), date(2026, 6, 26), date(2026, 6, 27)):
        earliest, latest = asat.school_age_dates_of_birth(day)
        born = date(2005, 1, 1)
        while born < date(2023, 1, 1):
            assert is_compulsory_school_age(born, day) == (earliest <= born <= latest), (born, day)
            born += timedelta(days=1)


# --- Year groups ----------------------------------------------------------------------------------


def test_a_child_with_no_year_group_is_counted_as_unknown_not_dropped(db, geography):
    """DfE's year groups are Reception to Year 11 and 'Unknown' (docs/rules/statistics.md §4): a
    child counted whose year group the register cannot give is in the Unknown row, and listed."""
    child = asat.ChildOnDay(
        child_id="c", episode_id="e", sex=Sex.FEMALE, nc_year="", reason=EHEReason.RELIGIOUS
    )

    table = census_section(kind="EHE", children=[child], census_date=CENSUS_DATE, population=None)

    rows = {(row[10], row[11]): row[12] for row in table["rows"]}
    assert rows[("Total", "Total")] == 1
    assert rows[("Year group", "Unknown")] == 1
    assert sum(count for (topic, _), count in rows.items() if topic == "Year group") == 1


def test_every_child_of_compulsory_school_age_has_a_year_group_from_reception_to_year_11():
    """Why the Unknown row is 0 from the register's own data (docs/rules/statistics.md §3.5): a
    child of compulsory school age always has an expected year group from Reception to Year 11,
    and the date of birth is always recorded."""
    years = {"R", *(str(year) for year in range(1, 12))}
    for day in (CENSUS_DATE, date(2026, 1, 15), date(2026, 5, 21), date(2026, 8, 31)):
        born = date(2005, 1, 1)
        while born < date(2023, 1, 1):
            if is_compulsory_school_age(born, day):
                assert expected_nc_year(born, day) in years, (born, day)
            born += timedelta(days=1)


# --- Labels and files -----------------------------------------------------------------------------


def test_the_csv_files_carry_the_dfe_labels_and_the_unknown_year_group(known):
    """The files DfE receives use its own labels (docs/rules/statistics.md §4)."""
    files = return_csv_files(dfe_return_tables(CENSUS_DATE))

    ehe = files["ehe_census.csv"].decode("utf-8-sig")
    cme = files["cme_census.csv"].decode("utf-8-sig")
    assert "Year group,Unknown,0," in ehe
    assert "Reason,School dissatisfaction SEND,1," in ehe
    assert "Reason,Health concerns related to COVID19,0," in ehe
    assert "Year group,Unknown,0," in cme
    assert "Reason,Home education unsuitable,3," in cme
    assert f"Reason,{NEW_CATEGORY},1," in cme


# --- CME reasons as data --------------------------------------------------------------------------


def test_the_seeded_reasons_keep_every_code_the_register_had(db):
    """Migration 0015 seeds the table from the enumeration, each reason its own DfE category
    (docs/rules/statistics.md §4.2), so existing episodes keep their codes."""
    seeded = dict(CMEReasonCode.objects.values_list("code", "dfe_category"))

    assert {
        "believed_abroad",
        "application_awaiting",
        "offered_not_started",
        "no_application",
        "ehe_unsuitable",
        "whereabouts_unknown",
        "moved_uk_unknown",
        "travelling",
        "excluded_no_provision",
        "other",
        "unknown",
    } <= set(seeded)
    assert seeded["ehe_unsuitable"] == "Home education unsuitable"
    assert seeded["other"] == "Other"


def test_a_reason_that_is_not_in_the_table_is_refused_and_a_deactivated_one_is_kept(known):
    """Validation reads the table (docs/rules/statistics.md §4.2): an unknown code is refused
    whatever writes it; an episode keeps a reason deactivated since."""
    episode = known.cme["new_reason"]

    with pytest.raises(ValidationError):
        cme_episode_reason_change(
            episode=episode, by=known.officer, primary_reason="made_up", why="Typed by hand"
        )

    CMEReasonCode.objects.filter(code="awaiting_ehcp").update(active=False)
    cme_episode_reason_change(
        episode=known.cme["awaiting_application"],
        by=known.officer,
        primary_reason="awaiting_ehcp",
        why="Already recorded before the reason was retired",
    )
    episode.refresh_from_db()
    assert episode.primary_reason == "awaiting_ehcp"
    episode.full_clean()


def test_an_unmapped_reason_is_counted_under_other_and_the_validation_report_says_so(known):
    """An unmapped reason counts under 'Other'; a check fails and the child is listed
    (docs/rules/statistics.md §4.2)."""
    tables = dfe_return_tables(CENSUS_DATE)

    failed = [check for check in tables["checks"] if not check["passed"]]
    assert [check["check"] for check in failed] == [
        "CME census day: every primary reason is mapped to a DfE category"
    ]
    assert "'Awaiting a tribunal decision' (1)" in failed[0]["detail"]
    issues = issue_keys(known, dfe_return_issues(CENSUS_DATE))
    assert ("unmapped_reason", "CME", IssueCode.CME_REASON_NOT_MAPPED) in issues
    assert tables["issue_counts"][IssueCode.CME_REASON_NOT_MAPPED] == 1

    CMEReasonCode.objects.filter(code="awaiting_tribunal").update(dfe_category="Other")

    assert all(check["passed"] for check in dfe_return_tables(CENSUS_DATE)["checks"])


def test_an_administrator_adds_a_reason_in_the_admin_and_officers_can_choose_it(db, client):
    """A new DfE reason needs no code change (docs/rules/statistics.md §4.2): added in the admin,
    it is offered on the CME forms; a deactivated one is not, and none can be deleted."""
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True))

    response = client.post(
        reverse("admin:registry_cmereasoncode_add"),
        {
            "code": "awaiting_ehcp",
            "label": "Awaiting an EHC needs assessment",
            "dfe_category": NEW_CATEGORY,
            "order": "55",
            "active": "on",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:registry_cmereasoncode_changelist")
    added = CMEReasonCode.objects.get(code="awaiting_ehcp")
    assert added.history.count() == 1
    assert ("awaiting_ehcp", "Awaiting an EHC needs assessment") in cme_reason_choices()
    assert ("awaiting_ehcp", "Awaiting an EHC needs assessment") in list(
        CMEEpisodeOpenForm().fields["primary_reason"].choices
    )
    CMEReasonCode.objects.filter(code="travelling").update(active=False)
    assert "travelling" not in dict(CMEEpisodeOpenForm().fields["primary_reason"].choices)
    delete = reverse("admin:registry_cmereasoncode_delete", args=[added.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert CMEReasonCode.objects.filter(code="awaiting_ehcp").exists()
    sign_in(client, UserFactory(role=Role.CME_OFFICER, is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:registry_cmereasoncode_add")).status_code == 403


def test_an_administrator_who_is_not_a_superuser_adds_a_reason_in_the_admin(db, client):
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=False))

    assert client.get(reverse("admin:registry_cmereasoncode_add")).status_code == 200


# --- The pack and the home page count the same way ------------------------------------------------


def test_the_home_page_counts_agree_with_the_return(known):
    """The DCS home page counts as the return does (docs/rules/statistics.md §3.5, §3.6)."""
    overview = register_overview(on=CENSUS_DATE)
    tables = dfe_return_tables(CENSUS_DATE)

    assert overview["ehe_now"] == census_total(tables, "EHE") == 9
    assert overview["cme_now"] == census_total(tables, "CME") == 10
    assert asat.children_on_count(EHEEpisode, CENSUS_DATE) == 9
    # Children who started this year while of compulsory school age: the 7 children of the known
    # authority's 8 EHE starts (came_back started twice) and found_unsuitable, under_s437,
    # unsuitable_and_cme; CME: located_before_census, awaiting_application, unknown_everything,
    # unsuitable_and_cme, new_reason, unmapped_reason, and found_unsuitable and under_s437, who
    # began to count as CME on 15 and 8 September (unsuitable_and_cme's run is the same child).
    assert overview["ehe_starts"] == 10
    assert overview["cme_starts"] == 8


def test_the_pack_shows_unsuitable_home_education_among_the_longest_open_cme_cases(known):
    """The pack counts as the return does: on 30 September 2025 sao_stage has counted as CME for
    182 days, the longest, with the reason 'Home education unsuitable' (statistics.md §3.6)."""
    tables = quarterly_pack_tables(parse_quarter("2025-Q3"))

    longest = next(s for s in tables["sections"] if s["key"] == "cme_longest_open")["rows"]
    assert longest[0][1:] == [182, "Year 9", "More than 12 weeks", "Home education unsuitable"]
    assert longest[0][0] == str(known.ehe["sao_stage"].pk).replace("-", "")[:8].upper()
    assert len(longest) == 10


def test_the_pack_and_the_return_each_read_the_episodes_found_unsuitable_once(known, monkeypatch):
    """Every figure of one report is taken from one reading (the pack read them for each of
    some 26 figures); outside a report each asking reads them afresh."""
    reads = []
    read = asat._unsuitable_ehe_episodes_read
    monkeypatch.setattr(asat, "_unsuitable_ehe_episodes_read", lambda: reads.append(1) or read())

    quarterly_pack_tables(parse_quarter("2025-Q3"))
    assert len(reads) == 1
    dfe_return_tables(CENSUS_DATE)
    assert len(reads) == 2
    asat.counting_as_cme_on(CENSUS_DATE)
    asat.counting_as_cme_on(CENSUS_DATE)
    assert len(reads) == 4


def test_the_return_on_screen_shows_the_dfe_labels_and_the_validation_page_the_unmapped_reason(
    known, client
):
    """The pages show what the files hold (docs/rules/statistics.md §4.1, §4.2): the frozen
    return with DfE's labels and the failed mapping check, and the validation page the child
    whose reason is not mapped."""
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    snapshot = dfe_return_produce(census_date=CENSUS_DATE, by=administrator)
    sign_in(client, administrator)

    page = client.get(reverse("registry:snapshot-detail", args=[snapshot.pk]))
    validation = client.get(reverse("registry:dfe-return-validation", args=[CENSUS_DATE]))

    text = " ".join(page_text(page).split())
    assert page.status_code == 200
    for label in ("Home education unsuitable", NEW_CATEGORY, "School dissatisfaction SEND"):
        assert label in text
    assert "CME census day: every primary reason is mapped to a DfE category" in text
    listed = " ".join(page_text(validation).split())
    assert validation.status_code == 200
    assert known.children["unmapped_reason"].legal_surname in listed
    assert "Awaiting a tribunal decision" in listed
