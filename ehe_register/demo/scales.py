"""How big each demo authority is. Rates come from docs/rules/statistics.md §8 (ADCS surveys,
DfE statistics)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    schools: int
    pupils_on_roll: int
    register_children: int
    planted_schools: int
    chunk_size: int


SCALES = {
    "tiny": Scale(
        schools=12,
        pupils_on_roll=2_000,
        register_children=1_200,
        planted_schools=1,
        chunk_size=2_000,
    ),
    # A district-sized authority: large enough that its figures look like a county's (a rate per
    # 100 near England's, a few hundred children in EHE), small enough to seed in a minute.
    "small": Scale(
        schools=60,
        pupils_on_roll=24_000,
        register_children=8_000,
        planted_schools=3,
        chunk_size=5_000,
    ),
    "county": Scale(
        schools=400,
        pupils_on_roll=150_000,
        register_children=500_000,
        planted_schools=8,
        chunk_size=20_000,
    ),
}

# Rates per child aged 5-16 (docs/rules/statistics.md §8).
EHE_STOCK_RATE = 0.015
EHE_STARTS_PER_STOCK = 0.6
EHE_RETURN_SHARE = 0.36
CME_STOCK_RATE = 0.0045
CME_ANY_POINT_PER_STOCK = 4.0
IN_YEAR_TRANSFER_RATE = 0.04

EHE_SEX = {"F": 52, "M": 47.6, "U": 0.4}
CME_SEX = {"M": 54, "F": 45, "U": 1}
# Reception .. Year 11: rising with age, Y11 ≈ 19%, Y10 ≈ 17% (docs/rules/statistics.md §8).
EHE_NC_YEAR_WEIGHTS = [0.3, 3, 4, 5, 6, 7, 8, 9, 10, 11.7, 17, 19]
CME_NC_YEAR_WEIGHTS = [6, 7, 7, 7, 7, 7, 7, 9, 9, 9, 11, 14]
EHE_REASON_WEIGHTS = {
    "mental_health": 16,
    "unknown": 17,
    "no_reason_given": 12,
    "philosophical": 12,
    "lifestyle": 8.5,
    "dissatisfaction_general": 8,
    "dissatisfaction_send": 4,
    "physical_health": 3,
    "dissatisfaction_bullying": 4,
    "religious": 2,
    "risk_of_exclusion": 3,
    "permanent_exclusion": 1,
    "no_preference": 2,
    "no_suitable_place": 2,
    "place_not_accepted": 1,
    "did_not_apply": 1,
    "covid": 1,
    "school_suggestion": 1,
    "other": 2.5,
}
CME_REASON_WEIGHTS = {
    "believed_abroad": 25,
    "application_awaiting": 22,
    "offered_not_started": 8,
    "whereabouts_unknown": 10,
    "moved_uk_unknown": 8,
    "ehe_unsuitable": 5,
    "no_application": 10,
    "travelling": 3,
    "excluded_no_provision": 3,
    "other": 4,
    "unknown": 2,
}
# Children aged 5-16 at independent schools (DfE Schools, pupils and their characteristics).
INDEPENDENT_SCHOOL_SHARE = 0.07
KNOWN_TO_SOCIAL_CARE_SHARE = 0.12
EHE_EHCP_SHARE = 0.09
FSM_SHARE = 0.24
SEN_SUPPORT_SHARE = 0.13
EHCP_SHARE = 0.03
CME_UNKNOWN_MISSING_SINCE_SHARE = 0.08
