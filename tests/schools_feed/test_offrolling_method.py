"""What the off-rolling method counts and when: pure functions (ADR 0007)."""

from datetime import date

import pytest

from registry.census import census_days, january_census_day
from schools_feed.offrolling.explain import explanation, most_overrepresented
from schools_feed.offrolling.method import (
    FLAG_BITS,
    Category,
    ExitGroup,
    HomeEducationExit,
    Parameters,
    Prompt,
    before_january_census,
    case_prompts,
    characteristics,
    counts_towards,
    nc_year_of,
    periods,
)


def group(**changes) -> ExitGroup:
    values = {
        "school_id": 1,
        "category": Category.OTHER,
        "academic_year": 2025,
        "term": "autumn",
        "before_january_census": True,
        "in_rolling": True,
        "nc_year": "9",
        "sen": "none",
        "fsm": False,
        "social_care": False,
        "history": False,
        "count": 1,
    }
    return ExitGroup(**{**values, **changes})


def test_census_days_are_the_school_census_thursdays_dfe_used_in_2022_23():
    assert census_days(2022) == {
        "autumn": date(2022, 10, 6),
        "spring": date(2023, 1, 19),
        "summer": date(2023, 5, 18),
    }


def test_a_configured_census_day_replaces_the_computed_one(settings):
    settings.SCHOOL_CENSUS_DATES = ["2026-01-22"]

    assert january_census_day(2025) == date(2026, 1, 22)


def test_periods_cover_each_academic_year_its_started_terms_and_the_last_12_months():
    found = periods(date(2026, 2, 10), academic_years=2)

    labels = [p.label for p in found]
    assert labels == [
        "2024/25",
        "Autumn 2024/25",
        "Spring 2024/25",
        "Summer 2024/25",
        "2025/26",
        "Autumn 2025/26",
        "Spring 2025/26",
        "12 months to 10 Feb 2026",
    ]
    current = found[4]
    assert (current.start, current.end) == (date(2025, 9, 1), date(2026, 2, 10))
    assert found[-1].start == date(2025, 2, 11)


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        (Category.TRANSFER, set()),
        (Category.EXCLUDED, set()),
        (Category.HOME_EDUCATION, {"N1", "N2"}),
        (Category.UNKNOWN_OR_CME, {"N1", "N3"}),
        (Category.OTHER, {"N1"}),
    ],
)
def test_only_non_standard_exits_count_and_destinations_split_them(category, expected):
    counted = {
        code for code in ("N1", "N2", "N3") if counts_towards(code, group(category=category))
    }

    assert counted == expected


def test_year_11_exits_before_the_january_census_and_year_10_summer_exits_are_in_the_window():
    assert counts_towards("N5", group(nc_year="11", before_january_census=True))
    assert not counts_towards("N5", group(nc_year="11", before_january_census=False))
    assert counts_towards("N5", group(nc_year="10", term="summer", before_january_census=False))
    assert not counts_towards("N5", group(nc_year="10", term="autumn"))
    assert counts_towards("N4", group(nc_year="10"))
    assert not counts_towards("N4", group())


def test_vulnerable_exits_include_an_attendance_or_behaviour_history():
    assert not counts_towards("N6", group())
    assert counts_towards("N6", group(history=True))
    assert counts_towards("N6", group(sen="support"))
    assert counts_towards("N6", group(fsm=True))
    assert counts_towards("N6", group(social_care=True))


def test_the_january_census_window_starts_in_september():
    assert before_january_census(date(2025, 9, 1))
    assert before_january_census(date(2026, 1, 15))  # census day itself
    assert not before_january_census(date(2026, 1, 16))
    assert not before_january_census(date(2026, 6, 1))


def test_nc_year_is_the_schools_or_else_the_one_the_date_of_birth_implies():
    assert nc_year_of("10", None, 2025) == "10"
    assert nc_year_of("09", None, 2025) == "9"
    # Born between September 2010 and August 2011: Reception in 2016/17, Year 9 in 2025/26.
    assert nc_year_of("", 2010, 2025) == "10"
    assert nc_year_of("", 2020, 2025) == "R"
    assert nc_year_of("", None, 2025) == ""


def test_characteristics_come_from_the_return_or_a_flag_in_force_that_day():
    assert characteristics(sen_provision="E", fsm_eligible=None, flag_bits=0, history=False) == (
        "ehcp",
        False,
        False,
        False,
    )
    flags = FLAG_BITS["sen_support"] | FLAG_BITS["fsm"] | FLAG_BITS["child_in_need"]
    assert characteristics(
        sen_provision="", fsm_eligible=False, flag_bits=flags, history=False
    ) == (
        "support",
        True,
        True,
        False,
    )
    at_risk = FLAG_BITS["at_risk_cme"]
    assert characteristics(sen_provision="", fsm_eligible=None, flag_bits=at_risk, history=False)[3]


def case(**changes) -> HomeEducationExit:
    values = {
        "notification_id": "n1",
        "school_id": 1,
        "deletion_date": date(2025, 11, 10),
        "parent_notice_date": date(2025, 11, 3),
        "sen_provision": "",
        "flag_bits": 0,
        "reasons": frozenset(),
    }
    return HomeEducationExit(**{**values, **changes})


def test_an_ordinary_home_education_exit_has_no_prompt():
    assert case_prompts(case(), Parameters()) == []


def test_each_soft_indicator_of_r6_is_a_prompt():
    parameters = Parameters()
    deleted = date(2025, 11, 10)

    assert case_prompts(case(reasons=frozenset({"school_suggestion"})), parameters) == [
        Prompt.SCHOOL_SUGGESTION
    ]
    assert case_prompts(case(reasons=frozenset({"risk_of_exclusion"})), parameters) == [
        Prompt.RISK_OF_EXCLUSION
    ]
    assert case_prompts(case(suspensions=(date(2025, 10, 1),)), parameters) == [
        Prompt.AFTER_SUSPENSION
    ]
    assert case_prompts(case(suspensions=(date(2025, 5, 1),)), parameters) == []
    assert case_prompts(case(permanent_exclusions=(deleted,)), parameters) == [
        Prompt.DURING_EXCLUSION
    ]
    assert case_prompts(case(returns=(date(2026, 3, 1),)), parameters) == [Prompt.RETURNED_SOON]
    assert case_prompts(case(returns=(date(2026, 9, 1),)), parameters) == []
    assert case_prompts(case(sen_provision="E"), parameters) == [Prompt.EHCP_OR_SOCIAL_CARE]
    assert case_prompts(case(flag_bits=FLAG_BITS["cp_plan"]), parameters) == [
        Prompt.EHCP_OR_SOCIAL_CARE
    ]
    assert case_prompts(case(parent_notice_date=date(2025, 11, 20)), parameters) == [
        Prompt.DELETED_BEFORE_NOTICE
    ]


def test_parameters_from_settings_ignore_unknown_names_and_round_trip():
    parameters = Parameters.from_settings({"alert_level": 0.999, "unknown": 1, "nc_years": ["10"]})

    assert parameters.alert_level == 0.999
    assert parameters.nc_years == ("10",)
    assert Parameters.from_settings(parameters.as_dict()) == parameters


EVIDENCE = {
    "period_label": "2025/26",
    "in_progress": False,
    "observed": 14,
    "expected": 3.1,
    "warning_upper": 6.2,
    "alert_upper": 9.4,
    "band": "above_998",
    "breakdown": {
        "exits": {"fsm": 12, "sen": 2, "social_care": 0},
        "roll": {"on_roll": 400, "fsm": 92, "sen": 60, "social_care": 12},
    },
}


def test_explanation_reads_like_the_issue_example():
    text = explanation("R1", "N4", EVIDENCE)

    assert text == (
        "14 pupils left Years 10 and 11 other than by a normal transfer in 2025/26; 3.1 were "
        "expected for a school of this size and intake. That is above the 99.8% control limit of "
        "9.4: a count this high would arise by chance at about 1 school in 1,000. 12 of the 14 "
        "were eligible for free school meals, against 23% on roll."
    )


def test_no_characteristic_is_named_when_none_is_over_represented():
    even = {**EVIDENCE, "breakdown": {"exits": {"fsm": 3}, "roll": {"on_roll": 400, "fsm": 92}}}

    assert most_overrepresented(even) == ""
