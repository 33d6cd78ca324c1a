"""The statutory rulebook: every clock, commencement date and policy choice the register applies.

The law fixes some of these (Ground I's 20 school days), leaves others to the LA (how long it
gives itself for a first EHE contact), and some wait on commencement orders with no date yet (the
2026 Act's consent and school attendance order provisions). They are held here once; the code
reads them through ``rules()`` and never writes a number of days of its own.

Each rule says where it comes from (a section of a rule file in ``docs/rules/``, which names the
statutory sources). An LA changes any of them with the ``STATUTORY_RULES`` environment
variable, a JSON object of field names to values, for example
``{"s437_response_days": 21, "consent_s434a_commenced_on": "2027-09-01"}``. Administrators see the
rules in force, with their sources, on the "Rules in force" page.
"""

import json
from dataclasses import dataclass, fields, replace
from datetime import date
from functools import cache

from django.conf import settings

CALENDAR_DAYS = "days"
SCHOOL_DAYS = "school days"
YEARS = "years"
WORKING_DAYS = "working days"
MONTHS = "months"
HOURS = "hours a week"


@dataclass(frozen=True)
class RuleSource:
    """Where a rule comes from and how it is counted, for pages that show the rule applied."""

    label: str
    source: str  # docs/rules/<file>.md §N
    unit: str = ""  # CALENDAR_DAYS, SCHOOL_DAYS or YEARS for a clock


@dataclass(frozen=True)
class Rulebook:
    # --- Registration (Pupil Registration Regulations 2024) -----
    new_pupil_return_days: int = 5
    ground_i_absence_school_days: int = 20
    absence_return_school_days: int = 10
    deletion_return_ambiguous_code_from: date = date(2024, 8, 19)
    # Reg 13(5): a final-year leaver deleted at or after the end of the school year's last term
    # needs no return. Where the LA has loaded no term for that year, the last term is taken to
    # end on this day of the summer ("MM-DD"; LA policy).
    final_year_last_term_ends_without_calendar: str = "07-15"
    # --- Exclusions and s.19 -----
    s19_provision_from_school_day: int = 6
    # --- EHE casework -----
    ehe_first_contact_days: int = 10
    s437_response_days: int = 15
    sao_school_nomination_days: int = 15
    # When an EHE child counts as missing education in the statistics: "unsuitable" (from the
    # finding that the education is unsuitable), "s437_notice" or "sao" (from the step).
    unsuitable_ehe_counts_as_cme_from: str = "unsuitable"
    # --- CME casework -----
    cme_first_checks_days: int = 3
    cme_home_visit_days: int = 5
    cme_wider_checks_days: int = 10
    destination_check_days: int = 10
    # --- Commencement (Children's Wellbeing and Schools Act 2026) -----
    consent_s434a_commenced_on: date | None = None
    sao_2026_procedure_commenced_on: date | None = None
    cnis_register_commenced_on: date | None = None
    # --- The CNIS register once commenced (ss.436B-436G; docs/rules/ehe.md §6) -----
    # The LA may not ask for updates more often than every 3 months; it asks at least every 12.
    cnis_update_min_months: int = 3
    cnis_update_max_months: int = 12
    # Time a parent has to answer an update request (the 2022 Schools Bill's 15 days; the 2026
    # regulations may set another).
    cnis_response_days: int = 15
    # The window for the initial home visit after the LA asks for one.
    cnis_home_visit_days: int = 15
    # Providers are listed above this many hours a week (the "prescribed amount of time" the
    # regulations will set; 0 lists every provider until they do).
    cnis_provider_prescribed_hours: int = 0
    # Flags beyond s.434A Condition B's s.47 enquiry and CP plan that the regulations may add
    # (for example "cp_plan_in_last_5_years", "child_in_need"): flag types, none by default.
    consent_s434a_extra_flags: tuple[str, ...] = ()
    # The officer's action to decide on consent (or to check an advisory case) falls due this
    # many days after the school's return arrives (LA policy).
    consent_decision_action_days: int = 2
    # --- Safeguarding (LA policy) -----
    # The team (the users' "Team") that receives safeguarding alerts on a case no officer holds,
    # and sees every alert; blank: the alert goes to the officer the case would go to.
    safeguarding_team: str = ""
    # --- Retention (LA policy, to agree with the records manager; years) -----
    retention_case_years_after_birth: int = 25
    retention_safeguarding_years_after_last_contact: int = 35
    retention_school_return_years: int = 6
    # --- Parents' complaints (LA complaints procedure; working days, Monday to Friday) -----
    complaint_acknowledge_working_days: int = 5
    complaint_respond_working_days: int = 20

    def commenced(self, field_name: str, on: date) -> bool:
        commenced_on = getattr(self, field_name)
        return commenced_on is not None and on >= commenced_on


SOURCES: dict[str, RuleSource] = {
    "new_pupil_return_days": RuleSource(
        "New pupil return due by the end of the fifth day after entry",
        "docs/rules/registration.md §4",
        CALENDAR_DAYS,
    ),
    "ground_i_absence_school_days": RuleSource(
        "Ground 9(1)(i): continuous absence before deletion",
        "docs/rules/registration.md §5",
        SCHOOL_DAYS,
    ),
    "absence_return_school_days": RuleSource(
        "Absence return: continuous unauthorised absence",
        "docs/rules/registration.md §5",
        SCHOOL_DAYS,
    ),
    "deletion_return_ambiguous_code_from": RuleSource(
        "From this date a bare 'd' or 'e' ground is refused until the school sends the 2024 "
        "ground (9(1)(d) in full, or the ground it meant)",
        "docs/rules/registration.md §2.3",
    ),
    "final_year_last_term_ends_without_calendar": RuleSource(
        "Reg 13(5) final-year leavers: the school year's last term ends on this day (MM-DD) "
        "where no school calendar is loaded (LA policy)",
        "docs/rules/registration.md §3.3",
    ),
    "s19_provision_from_school_day": RuleSource(
        "s.19: provision after a permanent exclusion from this school day",
        "docs/rules/registration.md §7",
        SCHOOL_DAYS,
    ),
    "ehe_first_contact_days": RuleSource(
        "First contact with a home-educating family (LA policy)",
        "docs/rules/ehe.md §2",
        CALENDAR_DAYS,
    ),
    "s437_response_days": RuleSource(
        "s.437(1) notice: time the parent has to respond (not less than 15 days)",
        "docs/rules/ehe.md §4",
        CALENDAR_DAYS,
    ),
    "sao_school_nomination_days": RuleSource(
        "Notice of intention: time to choose an alternative school",
        "docs/rules/ehe.md §4",
        CALENDAR_DAYS,
    ),
    "unsuitable_ehe_counts_as_cme_from": RuleSource(
        "An EHE child counts as missing education from this step (LA policy)",
        "docs/rules/ehe.md §7",
    ),
    "cme_first_checks_days": RuleSource(
        "CME: first checks (school's enquiries, every number held)",
        "docs/rules/cme.md §4",
        CALENDAR_DAYS,
    ),
    "cme_home_visit_days": RuleSource("CME: home visit", "docs/rules/cme.md §4", CALENDAR_DAYS),
    "cme_wider_checks_days": RuleSource(
        "CME: other LAs and the Lost Pupil Database", "docs/rules/cme.md §4", CALENDAR_DAYS
    ),
    "destination_check_days": RuleSource(
        "Check the named destination school confirmed the pupil's arrival",
        "docs/rules/registration.md §6",
        CALENDAR_DAYS,
    ),
    "consent_s434a_commenced_on": RuleSource(
        "s.434A: LA consent before withdrawal to home education (not commenced until set)",
        "docs/rules/ehe.md §5",
    ),
    "sao_2026_procedure_commenced_on": RuleSource(
        "ss.436H-436Q: preliminary and school nomination notices (not commenced until set)",
        "docs/rules/ehe.md §4",
    ),
    "cnis_register_commenced_on": RuleSource(
        "ss.436B-436G: children not in school register (not commenced until set)",
        "docs/rules/ehe.md §6",
    ),
    "cnis_update_min_months": RuleSource(
        "CNIS register: the LA asks parents to update the information no more often than this",
        "docs/rules/ehe.md §6",
        MONTHS,
    ),
    "cnis_update_max_months": RuleSource(
        "CNIS register: and at least this often (LA policy)", "docs/rules/ehe.md §6", MONTHS
    ),
    "cnis_response_days": RuleSource(
        "CNIS register: time a parent has to answer an update request",
        "docs/rules/ehe.md §6",
        CALENDAR_DAYS,
    ),
    "cnis_home_visit_days": RuleSource(
        "CNIS register: window for the initial home visit after the LA asks for it",
        "docs/rules/ehe.md §6",
        CALENDAR_DAYS,
    ),
    "cnis_provider_prescribed_hours": RuleSource(
        "CNIS register: providers are listed above this many hours a week (0: every provider "
        "until the regulations prescribe an amount)",
        "docs/rules/ehe.md §6",
        HOURS,
    ),
    "consent_s434a_extra_flags": RuleSource(
        "s.434A: flags the regulations add to Condition B (none until set)",
        "docs/rules/ehe.md §5",
    ),
    "consent_decision_action_days": RuleSource(
        "s.434A: the officer's action on a withdrawal needing consent falls due after (LA policy)",
        "docs/rules/ehe.md §5",
        CALENDAR_DAYS,
    ),
    "safeguarding_team": RuleSource(
        "The team that receives safeguarding alerts on unassigned cases (LA policy)",
        "docs/rules/cme.md §6",
    ),
    "retention_case_years_after_birth": RuleSource(
        "EHE and CME case records kept to the child's birthday this many years on (LA policy)",
        "docs/rules/data-protection.md §4",
        YEARS,
    ),
    "retention_safeguarding_years_after_last_contact": RuleSource(
        "A child with a child protection plan or in need: held this many years after the last "
        "contact (children's social care schedule)",
        "docs/rules/data-protection.md §4",
        YEARS,
    ),
    "retention_school_return_years": RuleSource(
        "A school's return (its pupil rows) kept this many years after it arrived",
        "docs/rules/data-protection.md §4",
        YEARS,
    ),
    "complaint_acknowledge_working_days": RuleSource(
        "A parent's complaint is acknowledged within this many working days (LA complaints "
        "procedure)",
        "docs/rules/ehe.md §11",
        WORKING_DAYS,
    ),
    "complaint_respond_working_days": RuleSource(
        "A parent's complaint is answered within this many working days (LA complaints procedure)",
        "docs/rules/ehe.md §11",
        WORKING_DAYS,
    ),
}

POLICY_CHOICES = {"unsuitable_ehe_counts_as_cme_from": ("unsuitable", "s437_notice", "sao")}
# Periods the law sets a floor to: s.437(2) gives the parent "not less than 15 days"
# (docs/rules/ehe.md §4). An LA may give more, never less.
# The 2026 Act (as amended in the Lords) forbids asking for CNIS updates more often than every 3
# months (docs/rules/ehe.md §6).
STATUTORY_MINIMUMS = {"s437_response_days": 15, "cnis_update_min_months": 3}


class RulebookError(ValueError):
    pass


@cache
def _rules_from(raw: str) -> Rulebook:
    overrides = json.loads(raw or "{}")
    known = {f.name: f for f in fields(Rulebook)}
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise RulebookError(f"STATUTORY_RULES names rules that do not exist: {', '.join(unknown)}")
    values = {}
    for name, value in overrides.items():
        default = getattr(Rulebook(), name)
        if isinstance(default, int) and not isinstance(default, bool):
            if not isinstance(value, int) or value < 0:
                unit = SOURCES[name].unit or "days"
                raise RulebookError(f"STATUTORY_RULES: {name} must be a whole number of {unit}")
        elif "date" in str(known[name].type):
            value = _date_rule(name, value)
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RulebookError(f"STATUTORY_RULES: {name} must be a list of names")
            value = tuple(value)
        elif isinstance(default, str) and name not in POLICY_CHOICES:
            if not isinstance(value, str):
                raise RulebookError(f"STATUTORY_RULES: {name} must be text")
        if name in STATUTORY_MINIMUMS and value < STATUTORY_MINIMUMS[name]:
            raise RulebookError(
                f"STATUTORY_RULES: {name} may not be less than {STATUTORY_MINIMUMS[name]}"
            )
        if name in POLICY_CHOICES and value not in POLICY_CHOICES[name]:
            choices = ", ".join(POLICY_CHOICES[name])
            raise RulebookError(f"STATUTORY_RULES: {name} must be one of {choices}")
        values[name] = value
    rulebook = replace(Rulebook(), **values)
    if rulebook.cnis_update_min_months > rulebook.cnis_update_max_months:
        raise RulebookError(
            "STATUTORY_RULES: cnis_update_min_months may not be more than cnis_update_max_months"
        )
    return rulebook


def _date_rule(name: str, value) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RulebookError(f"STATUTORY_RULES: {name} must be a date as YYYY-MM-DD") from None


def rules() -> Rulebook:
    """The rules in force: the defaults with the LA's ``STATUTORY_RULES`` applied."""
    return _rules_from(settings.STATUTORY_RULES)


def rules_in_force() -> list[tuple[str, object, RuleSource]]:
    """Every rule with its value and source, in the order above, for the administrators' page."""
    current = rules()
    return [(f.name, getattr(current, f.name), SOURCES[f.name]) for f in fields(Rulebook)]
