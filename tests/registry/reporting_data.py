"""A small local authority of known children with known histories, for the statistics tests.

Everything is written through the services the officers' pages use, so the dated facts (status
changes, reason changes, enforcement steps) are the ones real casework leaves behind. The census
day is the autumn 2025 school census, Thursday 2 October 2025; the academic year to date runs from
1 September 2025 and the previous full academic year is 1 September 2024 to 31 August 2025.

In EHE on the census day (key: sex, expected NC year in 2025/26, reason that day; history):

- enforcement: F, Year 10, Mental health; from an academy 1 Oct 2024, s.437 notice 10 Feb 2025,
  SAO issued 12 May 2025, SAO revoked 22 Sep 2025.
- reason_unknown: M, Year 11, Unknown; never enrolled, from 13 Jan 2025.
- no_reason_sex_unknown: sex unknown, Year 7, No reason given; from an LA-maintained school
  8 Sep 2025.
- reason_changed_later: F, Year 3, Philosophical (Lifestyle from 10 Nov 2025); from an
  independent school 1 Sep 2025.
- returns_after_census: M, Year 10, School dissatisfaction: SEND; from a PRU 10 Sep 2025, back at
  school 20 Oct 2025.
- reception: F, Reception, Lifestyle; from a nursery school 15 Sep 2025.
- school_suggestion: M, Year 8, School suggestion; from alternative provision 12 Sep 2025.
- no_previous_school: F, Year 9, Mental health; the parent told us, no school known, 16 Sep 2025;
  s.437 notice 29 Sep 2025.
- reason_learnt_later: M, Year 5, Religious (recorded later, dated from the start); migrated,
  from 1 Jun 2023.
- came_back: M, Year 2, School dissatisfaction: bullying; from an academy 2 Sep 2025
  (``came_back_first``), back at school 9 Sep, home educated again from the academy 23 Sep.
- year_12 (not counted: outside Reception to Year 11): F, Year 12, Mental health; from another
  LA with no school, 5 Sep 2025.

Not in EHE on the census day: returned_on_census_day (F, Year 6, from an academy 8 Sep 2025,
back at school 2 Oct 2025), starts_day_after (M, Year 4, from 3 Oct 2025), moved_away (M,
Year 9, from a special school 2 Jun 2025, moved away 29 Sep 2025), returned_last_year (F, from an
LA-maintained school 4 Nov 2024, back at school 3 Mar 2025), over_csa_last_year (M, from a free
school 2 Sep 2024, over compulsory school age 27 Jun 2025).

Missing education on the census day (key: sex, NC year, reason; time missing):

- believed_abroad: F, Year 8, Believed to have moved out of the country (status "believed
  abroad", so still counted); missing since 20 Jun 2025, more than 12 weeks.
- awaiting_application: M, Year 1, School application awaiting outcome; since 10 Sep 2025.
- unknown_everything: sex unknown, Year 6, Unknown; no missing-since date, so time unknown.
- twelve_weeks_exactly: M, Year 11, Whereabouts unknown; since 10 Jul 2025, exactly 84 days, so
  12 weeks or less.

Not missing education on the day: located_before_census (F, Year 4, missing from 3 Sep 2025,
found on a school roll 24 Sep 2025) and abroad_last_year (M, missing from 2 Dec 2024, confirmed
abroad 14 Feb 2025).

The LA's population aged 5 to 16 (mid-2025) is 2,000.
"""

from dataclasses import dataclass, field
from datetime import date

from registry.identifiers import upn_check_letter
from registry.models import (
    Child,
    CMEEpisode,
    CMEReason,
    CMEStatus,
    EHEEpisode,
    EHEReason,
    EHESource,
    EHEStatus,
    EnforcementStepType,
    Role,
    Sex,
    User,
)
from registry.services.episodes import (
    cme_episode_open,
    cme_episode_status_change,
    ehe_episode_open,
    ehe_episode_status_change,
    ehe_episode_update,
    enforcement_step_record,
)
from registry.services.reporting import population_estimate_save
from tests.factories import ChildFactory, SchoolFactory, UserFactory

CENSUS_DATE = date(2025, 10, 2)
POPULATION_AGED_5_TO_16 = 2000

# The geography settings the expected tables assume (apply with ``use_known_geography``).
KNOWN_GEOGRAPHY = {
    "LOCAL_AUTHORITY_CODE": "938",
    "LOCAL_AUTHORITY_NAME": "West Sussex",
    "LOCAL_AUTHORITY_NEW_CODE": "E10000032",
    "REGION_CODE": "E12000008",
    "REGION_NAME": "South East",
    "SCHOOL_CENSUS_DATES": [],
}


def use_known_geography(settings) -> None:
    for name, value in KNOWN_GEOGRAPHY.items():
        setattr(settings, name, value)


def born_in_year_group(year_group: int) -> date:
    """A date of birth giving this expected NC year in 2025/26 (Reception is 0)."""
    return date(2021 - year_group, 3, 15)


def known_upn(serial: int) -> str:
    """A valid UPN for this LA (938), so identity corrections validate."""
    body = f"938200025{serial:03d}"
    return upn_check_letter(body) + body


@dataclass
class KnownAuthority:
    census_date: date
    officer: User
    schools: dict = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    ehe: dict[str, EHEEpisode] = field(default_factory=dict)
    cme: dict[str, CMEEpisode] = field(default_factory=dict)

    def child(self, key: str, *, sex: str, year_group: int) -> Child:
        child = ChildFactory(
            sex=sex,
            date_of_birth=born_in_year_group(year_group),
            upn=known_upn(len(self.children) + 1),
        )
        self.children[key] = child
        return child

    def open_ehe(self, key: str, *, child_key: str | None = None, **fields) -> EHEEpisode:
        fields.setdefault("source", EHESource.SCHOOL_DELETION)
        child = self.children[child_key or key]
        self.ehe[key] = ehe_episode_open(child=child, by=self.officer, **fields)
        return self.ehe[key]

    def ehe_status(self, key: str, status: str, on: date) -> None:
        self.ehe[key] = ehe_episode_status_change(
            episode=self.ehe[key], by=self.officer, status=status, effective_date=on, reason="Known"
        )

    def step(self, key: str, step_type: str, on: date) -> None:
        enforcement_step_record(
            episode=self.ehe[key], by=self.officer, step_type=step_type, served_on=on
        )

    def open_cme(self, key: str, **fields) -> CMEEpisode:
        fields.setdefault("source", "school_deletion")
        self.cme[key] = cme_episode_open(child=self.children[key], by=self.officer, **fields)
        return self.cme[key]

    def cme_status(self, key: str, status: str, on: date, **extra) -> None:
        self.cme[key] = cme_episode_status_change(
            episode=self.cme[key],
            by=self.officer,
            status=status,
            effective_date=on,
            reason="Known",
            **extra,
        )


def _schools() -> dict:
    return {
        "lamain": SchoolFactory(
            name="Downs Community Primary", type_group="la_maintained", type_name="Community school"
        ),
        "acad": SchoolFactory(name="Oakfield Academy", type_name="Academy converter"),
        "free": SchoolFactory(name="Harbour Free School", type_group="free_school"),
        "ind": SchoolFactory(name="Ashdown House", type_group="independent"),
        "spec": SchoolFactory(name="Brook Special School", type_group="special"),
        "pru": SchoolFactory(
            name="Coastal Learning Centre", type_group="pru_ap", type_name="Pupil referral unit"
        ),
        "ap": SchoolFactory(
            name="Pathways AP Academy",
            type_group="pru_ap",
            type_name="Academy alternative provision converter",
        ),
        "ey": SchoolFactory(
            name="Little Acorns Nursery School",
            type_group="la_maintained",
            type_name="Local authority nursery school",
            phase="Nursery",
        ),
    }


def _ehe_on_census_day(known: KnownAuthority) -> None:
    s = known.schools
    known.child("enforcement", sex=Sex.FEMALE, year_group=10)
    known.open_ehe(
        "enforcement",
        start_date=date(2024, 10, 1),
        previous_school=s["acad"],
        primary_reason=EHEReason.MENTAL_HEALTH,
    )
    known.step("enforcement", EnforcementStepType.S437_NOTICE, date(2025, 2, 10))
    known.step("enforcement", EnforcementStepType.SAO_ISSUED, date(2025, 5, 12))
    known.step("enforcement", EnforcementStepType.SAO_REVOKED, date(2025, 9, 22))

    known.child("reason_unknown", sex=Sex.MALE, year_group=11)
    known.open_ehe("reason_unknown", start_date=date(2025, 1, 13), source=EHESource.NEVER_ENROLLED)

    known.child("no_reason_sex_unknown", sex=Sex.UNKNOWN, year_group=7)
    known.open_ehe(
        "no_reason_sex_unknown",
        start_date=date(2025, 9, 8),
        previous_school=s["lamain"],
        primary_reason=EHEReason.NO_REASON_GIVEN,
    )

    known.child("reason_changed_later", sex=Sex.FEMALE, year_group=3)
    known.open_ehe(
        "reason_changed_later",
        start_date=date(2025, 9, 1),
        previous_school=s["ind"],
        primary_reason=EHEReason.PHILOSOPHICAL,
    )
    ehe_episode_update(
        episode=known.ehe["reason_changed_later"],
        by=known.officer,
        primary_reason=EHEReason.LIFESTYLE,
        reason_effective_date=date(2025, 11, 10),
        why="The family's reasons changed",
    )

    known.child("returns_after_census", sex=Sex.MALE, year_group=10)
    known.open_ehe(
        "returns_after_census",
        start_date=date(2025, 9, 10),
        previous_school=s["pru"],
        primary_reason=EHEReason.DISSATISFACTION_SEND,
    )
    known.ehe_status("returns_after_census", EHEStatus.RETURNED_TO_SCHOOL, date(2025, 10, 20))

    known.child("reception", sex=Sex.FEMALE, year_group=0)
    known.open_ehe(
        "reception",
        start_date=date(2025, 9, 15),
        previous_school=s["ey"],
        primary_reason=EHEReason.LIFESTYLE,
    )

    known.child("school_suggestion", sex=Sex.MALE, year_group=8)
    known.open_ehe(
        "school_suggestion",
        start_date=date(2025, 9, 12),
        previous_school=s["ap"],
        primary_reason=EHEReason.SCHOOL_SUGGESTION,
    )

    known.child("no_previous_school", sex=Sex.FEMALE, year_group=9)
    known.open_ehe(
        "no_previous_school",
        start_date=date(2025, 9, 16),
        source=EHESource.PARENT,
        primary_reason=EHEReason.MENTAL_HEALTH,
    )
    known.step("no_previous_school", EnforcementStepType.S437_NOTICE, date(2025, 9, 29))

    known.child("reason_learnt_later", sex=Sex.MALE, year_group=5)
    known.open_ehe("reason_learnt_later", start_date=date(2023, 6, 1), source=EHESource.MIGRATION)
    ehe_episode_update(
        episode=known.ehe["reason_learnt_later"],
        by=known.officer,
        primary_reason=EHEReason.RELIGIOUS,
        reason_effective_date=date(2023, 6, 1),
        why="The parent told us the reason had been the same from the start",
    )

    known.child("came_back", sex=Sex.MALE, year_group=2)
    known.open_ehe(
        "came_back_first",
        child_key="came_back",
        start_date=date(2025, 9, 2),
        previous_school=s["acad"],
        primary_reason=EHEReason.DISSATISFACTION_GENERAL,
    )
    known.ehe_status("came_back_first", EHEStatus.RETURNED_TO_SCHOOL, date(2025, 9, 9))
    known.open_ehe(
        "came_back",
        start_date=date(2025, 9, 23),
        previous_school=s["acad"],
        primary_reason=EHEReason.DISSATISFACTION_BULLYING,
    )

    known.child("year_12", sex=Sex.FEMALE, year_group=12)
    known.open_ehe(
        "year_12",
        start_date=date(2025, 9, 5),
        source=EHESource.OTHER_LA,
        primary_reason=EHEReason.MENTAL_HEALTH,
    )


def _ehe_not_on_census_day(known: KnownAuthority) -> None:
    s = known.schools
    known.child("returned_on_census_day", sex=Sex.FEMALE, year_group=6)
    known.open_ehe(
        "returned_on_census_day",
        start_date=date(2025, 9, 8),
        previous_school=s["acad"],
        primary_reason=EHEReason.PHYSICAL_HEALTH,
    )
    known.ehe_status("returned_on_census_day", EHEStatus.RETURNED_TO_SCHOOL, CENSUS_DATE)

    known.child("starts_day_after", sex=Sex.MALE, year_group=4)
    known.open_ehe(
        "starts_day_after",
        start_date=date(2025, 10, 3),
        previous_school=s["lamain"],
        primary_reason=EHEReason.OTHER,
    )

    known.child("moved_away", sex=Sex.MALE, year_group=9)
    known.open_ehe(
        "moved_away",
        start_date=date(2025, 6, 2),
        previous_school=s["spec"],
        primary_reason=EHEReason.DISSATISFACTION_SEND,
    )
    known.ehe_status("moved_away", EHEStatus.MOVED_AWAY, date(2025, 9, 29))

    known.child("returned_last_year", sex=Sex.FEMALE, year_group=6)
    known.open_ehe(
        "returned_last_year",
        start_date=date(2024, 11, 4),
        previous_school=s["lamain"],
        primary_reason=EHEReason.RISK_OF_EXCLUSION,
    )
    known.ehe_status("returned_last_year", EHEStatus.RETURNED_TO_SCHOOL, date(2025, 3, 3))

    known.child("over_csa_last_year", sex=Sex.MALE, year_group=12)
    known.open_ehe(
        "over_csa_last_year",
        start_date=date(2024, 9, 2),
        previous_school=s["free"],
        primary_reason=EHEReason.LIFESTYLE,
    )
    known.ehe_status("over_csa_last_year", EHEStatus.OVER_COMPULSORY_SCHOOL_AGE, date(2025, 6, 27))


def _cme(known: KnownAuthority) -> None:
    known.child("believed_abroad", sex=Sex.FEMALE, year_group=8)
    known.open_cme(
        "believed_abroad",
        start_date=date(2025, 6, 23),
        missing_since=date(2025, 6, 20),
        primary_reason=CMEReason.BELIEVED_MOVED_ABROAD,
    )
    known.cme_status("believed_abroad", CMEStatus.BELIEVED_ABROAD, date(2025, 7, 1))

    known.child("awaiting_application", sex=Sex.MALE, year_group=1)
    known.open_cme(
        "awaiting_application",
        start_date=date(2025, 9, 12),
        missing_since=date(2025, 9, 10),
        primary_reason=CMEReason.APPLICATION_AWAITING_OUTCOME,
    )

    known.child("unknown_everything", sex=Sex.UNKNOWN, year_group=6)
    known.open_cme("unknown_everything", start_date=date(2025, 9, 20), missing_since=None)

    known.child("twelve_weeks_exactly", sex=Sex.MALE, year_group=11)
    known.open_cme(
        "twelve_weeks_exactly",
        start_date=date(2025, 7, 14),
        missing_since=date(2025, 7, 10),
        primary_reason=CMEReason.WHEREABOUTS_UNKNOWN,
    )

    known.child("located_before_census", sex=Sex.FEMALE, year_group=4)
    known.open_cme(
        "located_before_census",
        start_date=date(2025, 9, 3),
        missing_since=date(2025, 9, 1),
        primary_reason=CMEReason.OTHER,
    )
    known.cme_status(
        "located_before_census",
        CMEStatus.LOCATED_IN_SCHOOL,
        date(2025, 9, 24),
        located_school=known.schools["lamain"],
    )

    known.child("abroad_last_year", sex=Sex.MALE, year_group=7)
    known.open_cme(
        "abroad_last_year",
        start_date=date(2024, 12, 2),
        missing_since=date(2024, 11, 25),
        primary_reason=CMEReason.BELIEVED_MOVED_ABROAD,
    )
    known.cme_status(
        "abroad_last_year",
        CMEStatus.CONFIRMED_ABROAD,
        date(2025, 2, 14),
        abroad_evidence="Enrolment letter from a school in Lisbon",
    )


def build_known_authority() -> KnownAuthority:
    """Build the known authority described above (needs the database)."""
    officer = UserFactory(role=Role.EHE_OFFICER, username="known-authority-officer")
    known = KnownAuthority(census_date=CENSUS_DATE, officer=officer, schools=_schools())
    population_estimate_save(
        mid_year=2025, aged_5_to_16=POPULATION_AGED_5_TO_16, source="ONS mid-2025", by=officer
    )
    _ehe_on_census_day(known)
    _ehe_not_on_census_day(known)
    _cme(known)
    return known
