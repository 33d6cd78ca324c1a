"""Benchmark: the DfE return and the DCS quarterly pack at county scale on PostgreSQL (issue 5).

Builds (or reuses) a dedicated database for a county of about 150,000 children aged 5 to 16 (an
ONS-style mid-year estimate for every year, England and regional figures for the autumn censuses
DfE has published), with the current academic year and the five before it of EHE and CME history,
after five more years of run-in so that the stock is steady when the history starts:

- 330 schools: local primaries, secondaries, specials, PRUs and AP, nurseries and independent
  schools, and some outside the county, in the GIAS type groups the return's previous-school
  breakdown reads; 16 officers in four teams (three EHE, one CME);
- EHE: about 1.5% of the population at the latest autumn censuses (≈2,250; the stock rises
  through each school year and falls each autumn as Year 11 ages out), starts about 0.6× the
  stock a year, returns to school about 0.36× the starts, the others leaving as over compulsory
  school age, moved away, became CME or closed; sex, year group and primary reason from
  ``ehe_register/demo/scales.py``; most starts with a previous school; first contact on most
  episodes; s.437 notices for about 4% of the children in EHE at any point in a year, SAOs
  issued for about 1.4%, about a quarter of them revoked;
- CME: about 0.45% of the population on any day, about 4× that at any point in a year (most found
  within twelve weeks), with "missing since" unknown for 8%; EHE found unsuitable opens a CME
  episode, and CME located in home education an EHE one;
- for every episode a status change for its opening, its closing and the steps between; about
  10% with dated changes of primary reason; open and completed actions, some overdue; flags (FSM,
  EHC plan, known to social care) on some children;
- 150,000 more children in the register with no episode, so the joins meet a county-sized table
  (0.5% of them duplicates merged into another record, which the counts leave out).

Then it times the real code paths:

- ``dfe_return_produce(census_date=...)`` for the latest autumn census day and the two census
  days before it (each once);
- ``quarterly_pack_produce(quarter="YYYY-QN")`` for the last complete calendar quarter, twice
  (tables, charts, PDF, XLSX and CSV, frozen as a snapshot).

When a target is missed (or with --profile) it prints where the time went for the slowest call:
each function of the reporting modules (inclusive times), a cProfile summary, the slowest SQL with
its plan.

    .venv/bin/python bench/reporting_bench.py [--population 150000] [--rebuild] \
        [--database-url postgres://postgres@127.0.0.1:5432/ehe_register_reporting_bench] \
        [--register-children 150000] [--today 2026-11-23] [--repeat 2] [--profile] \
        [--build-only] [--return-only | --pack-only]

The script sets DATABASE_URL itself, from --database-url (the default above), so an exported
DATABASE_URL for another benchmark is never rebuilt by accident; it sets the authority's codes
(West Sussex, South East) unless they are set already. --today must not be after the real date:
the pack refuses a quarter that has not ended by then. The database is created and migrated when
missing, reused when it holds data built with the same options, and dropped and built again with
--rebuild. The data is synthetic, deterministic for a seed and a day, and travels
by COPY (``registry.bulk``) with django-simple-history switched off: children, flags, episodes,
enforcement steps and actions are written without their historical rows, which nothing timed here
reads. No ANALYZE is run by hand: the bulk writes refresh the statistics of the tables they
fill, as an import does.

Targets (issue 5): each DfE return ≤ 5 s; the quarterly pack ≤ 30 s, charts, PDF, XLSX and CSV
included (each run judged; the maximum is printed). Peak memory is the maximum resident set.
Record results in docs/benchmarks.md.
"""

import argparse
import inspect
import os
import random
import sys
import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")
os.environ.setdefault("DEBUG", "true")

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ehe_register_reporting_bench"
DEFAULT_TODAY = date(2026, 11, 23)
# Bump when the generated data changes, so an old database is not reused for a new build.
DATA_VERSION = 2


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--rebuild", action="store_true", help="drop the database and build it")
    parser.add_argument(
        "--population", type=int, default=150_000, help="children aged 5 to 16 in the county"
    )
    parser.add_argument(
        "--register-children",
        type=int,
        default=150_000,
        help="children in the register with no episode, besides those with one",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=DEFAULT_TODAY, help="default: 2026-11-23"
    )
    parser.add_argument("--repeat", type=int, default=2, help="quarterly packs to time")
    parser.add_argument("--build-only", action="store_true", help="build the data, time nothing")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--return-only", action="store_true", help="time the DfE returns only")
    only.add_argument("--pack-only", action="store_true", help="time the quarterly pack only")
    parser.add_argument(
        "--profile", action="store_true", help="profile the slowest return and pack, and their SQL"
    )
    return parser.parse_args()


ARGS = parse_arguments()
os.environ["DATABASE_URL"] = ARGS.database_url
# The authority the figures are for, as COLLECT needs it in every row (unless already set).
for variable, value in (
    ("LOCAL_AUTHORITY_CODE", "938"),
    ("LOCAL_AUTHORITY_NAME", "West Sussex"),
    ("LOCAL_AUTHORITY_NEW_CODE", "E10000032"),
    ("REGION_CODE", "E12000008"),
    ("REGION_NAME", "South East"),
):
    os.environ.setdefault(variable, value)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._shared import (  # noqa: E402
    FORENAMES,
    LA_CODE,
    LA_NAME,
    SURNAMES,
    TOWNS,
    peak_memory_mb,
    prepare_database,
    profile_call,
    store_marker,
    weighted,
)
from ehe_register.demo import scales  # noqa: E402
from registry import lifecycle  # noqa: E402
from registry.bulk import bulk_insert, bulk_insert_with_history  # noqa: E402
from registry.census import census_days  # noqa: E402
from registry.models import (  # noqa: E402
    Action,
    Child,
    ChildFlag,
    CMEEpisode,
    CMEStatus,
    ComparatorFigure,
    EHEEpisode,
    EnforcementStep,
    EpisodeReasonChange,
    EpisodeStatusChange,
    PopulationEstimate,
    ReportSnapshot,
    Role,
    User,
    time_missing_band,
)
from registry.school_age import (  # noqa: E402
    academic_year_start,
    compulsory_school_age_end,
    date_of_birth_range_for_nc_year,
    expected_nc_year,
)
from registry.services.children import child_build  # noqa: E402
from schools_feed.models import School  # noqa: E402

ACADEMIC_YEARS = 5  # of history before the current one
RUN_IN_YEARS = 5  # before the history, so the stock is steady when it starts
ETHNICITIES = {
    "WBRI": 72, "WOTH": 8, "MWBC": 3, "AIND": 3, "APKN": 2, "BAFR": 3, "WIRT": 1, "WROM": 1,
    "CHNE": 1, "AOTH": 2, "MOTH": 2, "REFU": 1, "NOBT": 1,
}  # fmt: skip
SECONDARY_REASONS = ["mental_health", "lifestyle", "dissatisfaction_send", "philosophical"]
PARENTS_WORDS = [
    "", "", "We want to focus on her wellbeing.", "School could not meet his needs.",
    "Our own choice.",
]  # fmt: skip
EDUCATORS = {"parents": 6, "parents_and_others": 2, "others": 0.5, "not_known": 1.5}

# The schools: (how many, type group, GIAS type name, phase, local).
SCHOOL_KINDS = [
    (110, "la_maintained", "Community school", "Primary", True),
    (25, "la_maintained", "Voluntary aided school", "Primary", True),
    (75, "academy", "Academy converter", "Primary", True),
    (8, "free_school", "Free schools", "Primary", True),
    (8, "la_maintained", "Community school", "Secondary", True),
    (30, "academy", "Academy converter", "Secondary", True),
    (5, "free_school", "Free schools", "Secondary", True),
    (2, "academy", "Academy converter", "All-through", True),
    (12, "special", "Community special school", "Not applicable", True),
    (6, "academy", "Academy special converter", "Not applicable", True),
    (4, "pru_ap", "Pupil referral unit", "Not applicable", True),
    (3, "pru_ap", "Academy alternative provision converter", "Not applicable", True),
    (5, "la_maintained", "LA nursery school", "Nursery", True),
    (17, "independent", "Other independent school", "Not applicable", True),
    (10, "la_maintained", "Community school", "Primary", False),
    (10, "academy", "Academy converter", "Secondary", False),
]  # 330 in all
OTHER_LAS = ["Brighton and Hove", "Surrey", "East Sussex", "Hampshire", "Kent", "Portsmouth"]
MANAGER_USERNAME = "reporting-bench-manager"
CLOSED_UNFOUND = "Every enquiry made; none found the child"
TEAMS = {  # team -> (role, officers)
    "EHE North": (Role.EHE_OFFICER, 4),
    "EHE South": (Role.EHE_OFFICER, 4),
    "EHE Coastal": (Role.EHE_OFFICER, 3),
    "CME": (Role.CME_OFFICER, 5),
}

# EHE. Starts by NC year on the day they start (the stock comes out older: Years 10 and 11 about
# 40% of it, docs/rules/statistics.md §8); returns are likelier for younger children. With these
# exits the mean stay is about 1.7 years, so starts of scales.EHE_STARTS_PER_STOCK x the stock
# keep it steady.
EHE_START_NC_WEIGHTS = [0.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 12]
NC_YEARS = ["R", *(str(year) for year in range(1, 12))]
EHE_RETURN_YOUNG, EHE_RETURN_OLD = 0.50, 0.35  # probability of returning to school, R .. Y11
EHE_OTHER_EXITS = {"moved_away": 0.10, "became_cme": 0.02, "closed": 0.04}
BECOMES_CME_FROM = {"unsuitable", "s437_notice", "sao_steps"}
BENCH_REASON = "Reporting bench"
EHE_STAY_MEAN_DAYS = 4000  # otherwise in EHE until 16, unless this (exponential) ends it first
EHE_SOURCES = {
    "school_deletion": 72,
    "parent": 10,
    "never_enrolled": 8,
    "other_la": 7,
    "professional": 3,
}
FIRST_CONTACT_SHARE = 0.88
ENFORCEMENT_SHARE = 0.125  # of starts with a first contact: concerns, then a s.437 notice
SAO_SHARE = 0.35  # of s.437 notices: a notice of intention, then an SAO
REVOKED_SHARE = 0.27  # of SAOs
REASON_CHANGE_SHARE = {"unknown": 0.25, "no_reason_given": 0.25}  # others: 0.04
MONTH_WEIGHTS_EHE = {9: 9, 10: 12, 11: 12, 12: 7, 1: 11, 2: 9, 3: 10, 4: 7, 5: 9, 6: 8, 7: 5, 8: 1}
MONTH_WEIGHTS_CME = {9: 14, 10: 9, 11: 9, 12: 6, 1: 9, 2: 8, 3: 8, 4: 7, 5: 8, 6: 8, 7: 7, 8: 3}

# CME: starts a year are (any point / stock - 1) x the target stock; stays of about 120 days.
CME_SOURCES = {
    "school_deletion": 45,
    "non_arrival": 15,
    "other_la": 10,
    "admissions": 10,
    "health": 7,
    "police": 7,
    "public": 6,
}
CME_OUTCOMES = {
    "located_school": 50,
    "located_other_la": 20,
    "confirmed_abroad": 15,
    "located_ehe": 4,
    "closed": 11,
}
MERGED_SHARE = 0.005  # of the children with no episode: duplicates merged into another record
ACTIONS = [
    "Arrange a home visit",
    "Review the education report",
    "Chase the family for a reply",
    "Check with the previous school",
    "Send the annual review letter",
    "Check the Lost Pupil Database",
    "Ask the other LA to confirm",
]
# England (docs/rules/statistics.md §7) and South East (invented, a little above England) at
# autumn censuses.
COMPARATORS = {
    2022: ((80_900, "1.0", 24_700, "0.3"), (13_400, "1.1", 3_900, "0.3")),
    2023: ((92_000, "1.1", 33_000, "0.4"), (15_600, "1.2", 5_100, "0.4")),
    2024: ((111_700, "1.4", 39_200, "0.5"), (18_900, "1.5", 6_000, "0.5")),
    2025: ((126_000, "1.5", 34_700, "0.4"), (21_300, "1.6", 5_300, "0.4")),
}


def days(first: date, last: date) -> int:
    return (last - first).days


# --- The database -------------------------------------------------------------------------------


def build_marker(population: int, register_children: int, today: date, seed: int) -> str:
    return (
        f"reporting-bench v{DATA_VERSION} population={population} "
        f"register_children={register_children} today={today} seed={seed}"
    )


# --- Reference data: schools, officers, population, comparators ---------------------------------


def build_schools(rng: random.Random) -> list[School]:
    urns = rng.sample(range(100_000, 150_000), sum(kind[0] for kind in SCHOOL_KINDS))
    schools = []
    for count, group, type_name, phase, local in SCHOOL_KINDS:
        for _ in range(count):
            index = len(schools)
            town = TOWNS[index % len(TOWNS)]
            la_code, la_name = (LA_CODE, LA_NAME) if local else ("846", rng.choice(OTHER_LAS))
            number = 2000 + index
            low, high = {
                "Primary": (4, 11),
                "Secondary": (11, 16),
                "All-through": (4, 16),
                "Nursery": (2, 5),
            }.get(phase, (5, 16))
            schools.append(
                School(
                    urn=str(urns[index]),
                    la_code=la_code,
                    la_name=la_name,
                    establishment_number=str(number),
                    laestab=f"{la_code}{number}",
                    name=f"{town} {type_name} {index + 1:03d}",
                    type_name=type_name,
                    type_group=group,
                    phase=phase,
                    status="Open",
                    statutory_low_age=low,
                    statutory_high_age=high,
                    postcode="BN11 1AA",
                    town=town,
                    is_local=local,
                )
            )
    return School.objects.bulk_create(schools)


def build_officers() -> dict[str, list[User]]:
    teams = {}
    for team, (role, count) in TEAMS.items():
        slug = team.lower().replace(" ", "-")
        users = [
            User(
                username=f"reporting-bench-{slug}-{n + 1}",
                first_name=f"{team.split()[-1]}",
                last_name=f"Officer {n + 1}",
                role=role,
                team=team,
            )
            for n in range(count)
        ]
        for user in users:
            user.set_unusable_password()
        teams[team] = User.objects.bulk_create(users)
    User.objects.bulk_create(
        [
            User(username="reporting-bench-dcs", role=Role.DCS, team="Performance"),
            User(username="reporting-bench-admin", role=Role.ADMINISTRATOR, team="Data"),
            # Closes the CME cases that end without the child found (docs/rules/cme.md §7).
            User(username=MANAGER_USERNAME, role=Role.INCLUSION_LEAD, team="Inclusion"),
        ]
    )
    return teams


def build_reference_figures(population: int, first_year: int, today: date) -> None:
    # ONS publishes a mid-year estimate about a year late: the newest is last year's. The county
    # grows by about 0.4% a year to the population given.
    last = today.year - 1
    PopulationEstimate.objects.bulk_create(
        PopulationEstimate(
            mid_year=year,
            aged_5_to_16=round(population * 0.996 ** (last - year)),
            source="ONS mid-year estimates (reporting bench)",
        )
        for year in range(first_year, last + 1)
    )
    figures = []
    for year, rows in COMPARATORS.items():
        census = census_days(year)["autumn"]
        if census > today:
            continue
        for geography, figure in zip(("england", "region"), rows, strict=True):
            ehe, ehe_rate, cme, cme_rate = figure
            figures.append(
                ComparatorFigure(
                    census_date=census,
                    geography=geography,
                    ehe_count=ehe,
                    ehe_rate_per_100=Decimal(ehe_rate),
                    cme_count=cme,
                    cme_rate_per_100=Decimal(cme_rate),
                    source="DfE EHE and CME statistics (reporting bench)",
                )
            )
    ComparatorFigure.objects.bulk_create(figures)


# --- Children and episodes ----------------------------------------------------------------------


class Generator:
    """Every child, episode and row about an episode, drawn day by day over the years."""

    def __init__(self, rng: random.Random, seed: int, today: date, schools, teams, population):
        self.rng = rng
        self.ids = random.Random(seed * 7919 + 1)  # keys apart, so they do not shift the draws
        self.today = today
        self.teams = teams
        self.manager = User.objects.get(username=MANAGER_USERNAME)
        self.ehe_teams = [team for team, (role, _) in TEAMS.items() if role == Role.EHE_OFFICER]
        self.cme_officers = [
            user
            for team, (role, _) in TEAMS.items()
            if role == Role.CME_OFFICER
            for user in teams[team]
        ]
        local = [s for s in schools if s.is_local]
        self.pools = {
            "primary": [s for s in local if s.phase in ("Primary", "All-through")],
            "secondary": [s for s in local if s.phase in ("Secondary", "All-through")],
            "special": [s for s in local if s.type_group == "special" or "special" in s.type_name],
            "pru_ap": [s for s in local if s.type_group == "pru_ap"],
            "nursery": [s for s in local if s.phase == "Nursery"],
            "independent": [s for s in local if s.type_group == "independent"],
            "elsewhere": [s for s in schools if not s.is_local],
        }
        self.ehe_stock = scales.EHE_STOCK_RATE * population
        self.cme_stock = scales.CME_STOCK_RATE * population
        self.children: list[Child] = []
        self.flags: list[ChildFlag] = []
        self.ehe: list[EHEEpisode] = []
        self.cme: list[CMEEpisode] = []
        self.status_changes: list[EpisodeStatusChange] = []
        self.reason_changes: list[EpisodeReasonChange] = []
        self.steps: list[EnforcementStep] = []
        self.actions: list[Action] = []

    # Helpers.

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.ids.getrandbits(128), version=4)

    def moment(self, day: date) -> datetime:
        hour, minute = self.rng.randint(8, 17), self.rng.randint(0, 59)
        return timezone.make_aware(datetime.combine(day, clock(hour, minute)))

    def between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, days(first, last))))

    def school_for(self, nc: str) -> School:
        rng = self.rng
        roll = rng.random()
        if roll < 0.06:
            pool = "independent"
        elif roll < 0.10:
            pool = "special"
        elif roll < 0.13 and nc in ("7", "8", "9", "10", "11"):
            pool = "pru_ap"
        elif nc == "R" and roll < 0.40:
            pool = "nursery"
        else:
            pool = "primary" if nc in NC_YEARS[:7] else "secondary"
        return rng.choice(self.pools[pool])

    def child(self, nc: str, on: date, sexes: dict, created: date) -> Child:
        rng = self.rng
        earliest, latest = date_of_birth_range_for_nc_year(nc, on)
        sex = weighted(rng, sexes)
        identity = {
            "id": self.uuid(),
            "legal_forenames": rng.choice(FORENAMES),
            "legal_surname": rng.choice(SURNAMES),
            "date_of_birth": self.between(earliest, latest),
            "sex": sex,
            "ethnicity": weighted(rng, ETHNICITIES),
            "created_at": self.moment(created),
        }
        if rng.random() < 0.1:
            identity["middle_names"] = rng.choice(FORENAMES)
        child = child_build(**identity)
        self.children.append(child)
        return child

    def flag(self, child: Child, flag_type: str, valid_from: date, source: str) -> None:
        valid_to = None
        if self.rng.random() < 0.2:
            valid_to = min(valid_from + timedelta(days=self.rng.randint(90, 900)), self.today)
            valid_to = max(valid_to, valid_from)
        self.flags.append(
            ChildFlag(
                id=self.uuid(),
                child=child,
                flag_type=flag_type,
                source=source,
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )

    def child_flags(self, child: Child, start: date) -> None:
        rng = self.rng
        if rng.random() < scales.FSM_SHARE:
            self.flag(child, "fsm", start - timedelta(days=rng.randint(60, 900)), "school_return")
        if rng.random() < scales.EHE_EHCP_SHARE:
            self.flag(child, "ehcp", start - timedelta(days=rng.randint(60, 1200)), "sen_team")
        elif rng.random() < scales.SEN_SUPPORT_SHARE:
            self.flag(
                child, "sen_support", start - timedelta(days=rng.randint(60, 900)), "school_return"
            )
        if rng.random() < scales.KNOWN_TO_SOCIAL_CARE_SHARE:
            kind = weighted(rng, {"child_in_need": 6, "cp_plan": 3, "looked_after": 1})
            self.flag(child, kind, start - timedelta(days=rng.randint(30, 700)), "social_care")

    def status_path(self, episode, path: list[tuple[str, date]], officer) -> None:
        """Replay the episode's path through the lifecycle (registry/lifecycle.py), as every
        path does: the opening, then each change; the last one takes the evidence already on
        the episode (another LA's confirmation, evidence of being abroad, the school)."""
        evidence = {
            "other_la_name": getattr(episode, "other_la_name", ""),
            "other_la_confirmed_on": getattr(episode, "other_la_confirmed_on", None),
            "abroad_evidence": getattr(episode, "abroad_evidence", ""),
            "located_school": getattr(episode, "located_school", None),
        }
        if isinstance(episode, EHEEpisode):
            evidence = {}
        changes = [lifecycle.episode_opening(episode, by=officer, reason=BENCH_REASON)]
        for status, on in path[1:]:
            # A CME case closed without the child found is a manager's decision.
            by_manager = isinstance(episode, CMEEpisode) and status == CMEStatus.CLOSED
            changes.append(
                lifecycle.episode_transition(
                    episode,
                    to_status=status,
                    effective_date=on,
                    reason=BENCH_REASON,
                    by=self.manager if by_manager else officer,
                    manager_decision=CLOSED_UNFOUND if by_manager else "",
                    **evidence,
                )
            )
        for change in changes:
            change.id = self.uuid()
            change.changed_at = self.moment(change.effective_date)
        self.status_changes += changes

    def reason_history(self, episode, weights: dict, officer) -> None:
        """About one episode in ten has its primary reason changed, once or twice, after it
        started: mostly an 'unknown' or 'no reason given' found out later."""
        rng = self.rng
        last = min(episode.end_date or self.today, self.today)
        share = REASON_CHANGE_SHARE.get(episode.primary_reason, 0.04)
        if days(episode.start_date, last) < 2 or rng.random() >= share:
            return
        field = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
        known = {k: w for k, w in weights.items() if k not in ("unknown", "no_reason_given")}
        day = episode.start_date
        for _ in range(1 + (rng.random() < 0.15)):
            if days(day, last) < 1:
                break
            day = day + timedelta(days=rng.randint(1, min(240, days(day, last))))
            to_reason = weighted(rng, known)
            if to_reason == episode.primary_reason:
                continue
            self.reason_changes.append(
                EpisodeReasonChange(
                    id=self.uuid(),
                    child=episode.child,
                    from_reason=episode.primary_reason,
                    to_reason=to_reason,
                    effective_date=day,
                    why="Reporting bench: the family told us",
                    changed_by=officer,
                    changed_at=self.moment(min(day + timedelta(days=rng.randint(0, 5)), last)),
                    **{field: episode},
                )
            )
            episode.primary_reason = to_reason

    def actions_for(self, episode, officer) -> None:
        rng = self.rng
        field = "ehe_episode" if isinstance(episode, EHEEpisode) else "cme_episode"
        last = min(episode.end_date or self.today, self.today)
        for _ in range(rng.randint(1, 3)):
            created = self.between(episode.start_date, last)
            due = created + timedelta(days=rng.randint(7, 28))
            done = min(due + timedelta(days=rng.randint(-6, 10)), last)
            if done < created:
                continue
            cancelled = rng.random() < 0.05
            self.actions.append(
                Action(
                    id=self.uuid(),
                    child=episode.child,
                    description=rng.choice(ACTIONS),
                    owner=officer,
                    due_date=due,
                    status="cancelled" if cancelled else "done",
                    completed_on=done,
                    completion_note="" if cancelled else "Done.",
                    created_by=officer,
                    created_at=self.moment(created),
                    **{field: episode},
                )
            )
        if episode.end_date is None:
            for _ in range(1 + (rng.random() < 0.3)):
                created = self.between(max(episode.start_date, self.today - timedelta(90)), last)
                self.actions.append(
                    Action(
                        id=self.uuid(),
                        child=episode.child,
                        description=rng.choice(ACTIONS),
                        owner=officer,
                        due_date=self.today + timedelta(days=rng.randint(-30, 60)),
                        created_by=officer,
                        created_at=self.moment(created),
                        **{field: episode},
                    )
                )

    # The starts, day by day.

    def start_days(self, year: int, per_year: float, months: dict) -> list[date]:
        """Start days in the academic year from ``year``, weekdays weighted by month, up to
        today (the current year's share so far)."""
        first, last = date(year, 9, 1), min(date(year + 1, 8, 31), self.today)
        span = [first + timedelta(days=n) for n in range(days(first, last) + 1)]
        weekdays = [d for d in span if d.weekday() < 5]
        weights = [months[d.month] for d in weekdays]
        full = sum(months.values()) * 261 / 12  # a whole year's weight
        expected = per_year * sum(weights) / full
        count = max(0, round(self.rng.gauss(expected, expected**0.5)))
        return sorted(self.rng.choices(weekdays, weights=weights, k=count))

    def run(self, first_year: int) -> None:
        ehe_per_year = scales.EHE_STARTS_PER_STOCK * self.ehe_stock
        cme_per_year = (scales.CME_ANY_POINT_PER_STOCK - 1) * self.cme_stock
        for year in range(first_year, academic_year_start(self.today) + 1):
            starts = [(d, "ehe") for d in self.start_days(year, ehe_per_year, MONTH_WEIGHTS_EHE)]
            starts += [(d, "cme") for d in self.start_days(year, cme_per_year, MONTH_WEIGHTS_CME)]
            for day, kind in sorted(starts):
                if kind == "ehe":
                    self.ehe_episode(day)
                else:
                    self.cme_episode(day)

    # EHE.

    def ehe_episode(self, start: date, *, child: Child | None = None, source: str = "") -> None:
        rng = self.rng
        if child is None:
            nc = rng.choices(NC_YEARS, weights=EHE_START_NC_WEIGHTS)[0]
            child = self.child(nc, start, scales.EHE_SEX, created=start)
            self.child_flags(child, start)
        nc = expected_nc_year(child.date_of_birth, start)
        leaves_at = compulsory_school_age_end(child.date_of_birth)
        if nc not in NC_YEARS or leaves_at <= start:
            return
        previous_school = None
        if not source:
            source = weighted(rng, EHE_SOURCES)
            if source == "school_deletion" or (source == "parent" and rng.random() < 0.6):
                previous_school = self.school_for(nc)
            elif source == "other_la" and rng.random() < 0.3:
                previous_school = rng.choice(self.pools["elsewhere"])
        team = rng.choice(self.ehe_teams)
        officer = rng.choice(self.teams[team])
        episode = EHEEpisode(
            id=self.uuid(),
            child=child,
            start_date=start,
            source=source,
            previous_school=previous_school,
            primary_reason=weighted(rng, scales.EHE_REASON_WEIGHTS),
            secondary_reasons=rng.sample(SECONDARY_REASONS, rng.choice([0, 0, 0, 1, 2])),
            parent_reason_text=rng.choice(PARENTS_WORDS),
            educator=weighted(rng, EDUCATORS),
            estimated_hours_from_parents=Decimal(rng.randint(5, 25)),
            assigned_officer=officer,
            created_at=self.moment(start),
        )

        # Where it ends, left alone: back to school (likelier when young), moved away, missing,
        # closed, or in EHE until the end of compulsory school age.
        index = NC_YEARS.index(nc)
        roll = rng.random() - (EHE_RETURN_YOUNG + (EHE_RETURN_OLD - EHE_RETURN_YOUNG) * index / 11)
        if roll < 0:
            outcome, end = "returned_to_school", start + timedelta(days=rng.randint(30, 540))
        elif roll < EHE_OTHER_EXITS["moved_away"]:
            outcome, end = "moved_away", start + timedelta(days=rng.randint(60, 900))
        elif roll < EHE_OTHER_EXITS["moved_away"] + EHE_OTHER_EXITS["became_cme"]:
            outcome, end = "became_cme", start + timedelta(days=rng.randint(90, 500))
        elif roll < sum(EHE_OTHER_EXITS.values()):
            outcome, end = "closed", start + timedelta(days=rng.randint(30, 700))
        else:  # until 16, unless the family moves away or stops answering first
            stay = 30 + int(rng.expovariate(1 / EHE_STAY_MEAN_DAYS))
            outcome, end = rng.choice(["moved_away", "closed"]), start + timedelta(days=stay)

        path = [("notified", start)]
        steps = []
        if rng.random() < FIRST_CONTACT_SHARE:
            contact = start + timedelta(days=rng.randint(2, 35))
            path.append(("first_contact", contact))
            day = contact + timedelta(days=rng.randint(7, 30))
            path.append(("being_assessed", day))
            day += timedelta(days=rng.randint(20, 90))
            if rng.random() < ENFORCEMENT_SHARE:
                outcome, end = self.enforcement(start, day, path, steps, outcome, end)
            else:
                path.append(("suitable" if rng.random() < 0.85 else "concerns", day))
        if end >= leaves_at:
            outcome, end = "over_csa", leaves_at
        path = [(status, on) for status, on in path if on < end and on <= self.today]
        if end <= self.today:
            if outcome == "became_cme" and path[-1][0] not in BECOMES_CME_FROM:
                # The lifecycle lets only education found unsuitable become CME: concerns first.
                found = max(path[-1][1], end - timedelta(days=14))
                if path[-1][0] != "concerns":
                    path.append(("concerns", found))
                path.append(("unsuitable", found))
            path.append((outcome, end))
        else:
            episode.next_review_due = self.today + timedelta(days=rng.randint(-60, 300))
            if rng.random() < 0.03:
                episode.assigned_officer = officer = None
        if len(path) > 1 and path[1][0] == "first_contact":
            episode.first_contact_date = path[1][1]
        self.status_path(episode, path, officer)
        for step in steps:
            if step.served_on < end and step.served_on <= self.today:
                step.episode = episode
                step.recorded_by = officer or self.teams[team][0]
                self.steps.append(step)
        self.reason_history(episode, scales.EHE_REASON_WEIGHTS, officer)
        self.ehe.append(episode)
        self.actions_for(episode, officer or self.teams[team][0])
        if episode.status == "became_cme":
            self.cme_episode(end, child=child, source="unsuitable_ehe", reason="ehe_unsuitable")

    def enforcement(self, start, day, path, steps, outcome, end):
        """Concerns, then a s.437 notice; for some an SAO (a quarter of them revoked). Returns the
        episode's outcome and end, which the enforcement may bring forward."""
        rng = self.rng
        path.append(("concerns", day))
        day += timedelta(days=rng.randint(20, 60))
        path.append(("unsuitable", day))
        day += timedelta(days=rng.randint(3, 20))
        path.append(("s437_notice", day))
        steps.append(self.step("s437_notice", day, respond_by=day + timedelta(days=15)))
        if rng.random() >= SAO_SHARE:
            roll = rng.random()
            if roll < 0.45:  # the parents satisfied the LA after all
                path.append(("suitable", day + timedelta(days=rng.randint(15, 40))))
                return outcome, end
            if roll < 0.80:
                return "returned_to_school", min(end, day + timedelta(days=rng.randint(15, 60)))
            return "moved_away", min(end, day + timedelta(days=rng.randint(30, 120)))
        day += timedelta(days=rng.randint(20, 40))
        path.append(("sao_steps", day))
        steps.append(self.step("notice_of_intention", day, respond_by=day + timedelta(days=15)))
        day += timedelta(days=rng.randint(15, 25))
        steps.append(self.step("sao_issued", day, school=self.school_for("7")))
        if rng.random() < REVOKED_SHARE:  # education shown suitable: the order is revoked
            day += timedelta(days=rng.randint(30, 200))
            steps.append(self.step("sao_revoked", day))
            path.append(("suitable", day))
            return outcome, max(end, day + timedelta(days=30))
        roll = rng.random()
        if roll < 0.70:  # the child is registered at the school named
            return "returned_to_school", day + timedelta(days=rng.randint(10, 45))
        if roll < 0.80:
            steps.append(self.step("prosecution", day + timedelta(days=rng.randint(60, 120))))
            return outcome, end
        return "became_cme", day + timedelta(days=rng.randint(20, 60))

    def step(self, step_type: str, on: date, respond_by=None, school=None) -> EnforcementStep:
        return EnforcementStep(
            id=self.uuid(),
            step_type=step_type,
            served_on=on,
            respond_by=respond_by,
            school_named=school,
            note="Reporting bench",
        )

    # CME.

    def cme_episode(self, start: date, *, child=None, source: str = "", reason: str = "") -> None:
        rng = self.rng
        if child is None:
            nc = rng.choices(NC_YEARS, weights=scales.CME_NC_YEAR_WEIGHTS)[0]
            child = self.child(nc, start, scales.CME_SEX, created=start)
            if rng.random() < 0.2:
                kind = rng.choice(["transient", "migrant", "homeless", "grt", "exploitation"])
                self.flag(child, kind, start - timedelta(days=60), "officer")
        leaves_at = compulsory_school_age_end(child.date_of_birth)
        if leaves_at <= start:
            return
        officer = rng.choice(self.cme_officers)
        missing_since = None
        if rng.random() >= scales.CME_UNKNOWN_MISSING_SINCE_SHARE:
            missing_since = start - timedelta(days=rng.randint(0, 20))
        episode = CMEEpisode(
            id=self.uuid(),
            child=child,
            start_date=start,
            source=source or weighted(rng, CME_SOURCES),
            primary_reason=reason or weighted(rng, scales.CME_REASON_WEIGHTS),
            missing_since=missing_since,
            last_seen_date=missing_since,
            assigned_officer=officer,
            created_at=self.moment(start),
        )
        roll = rng.random()
        if roll < 0.60:
            end = start + timedelta(days=rng.randint(10, 84))
        elif roll < 0.92:
            end = start + timedelta(days=rng.randint(85, 250))
        else:
            end = start + timedelta(days=rng.randint(250, 700))
        outcome = weighted(rng, CME_OUTCOMES)
        if end >= leaves_at:
            outcome, end = "closed", leaves_at
        path = [("enquiries_open", start)]
        if outcome == "confirmed_abroad" and rng.random() < 0.5:
            path.append(("believed_abroad", start + (end - start) // 2))
        elif episode.primary_reason == "believed_abroad" and rng.random() < 0.4:
            path.append(("believed_abroad", start + timedelta(days=rng.randint(5, 40))))
        path = [(status, on) for status, on in path if on < end and on <= self.today]
        if end <= self.today:
            path.append((outcome, end))
            if outcome == "located_school":
                nc = expected_nc_year(child.date_of_birth, end)
                episode.located_school = self.school_for(nc if nc in NC_YEARS else "11")
            elif outcome == "located_other_la":
                episode.other_la_name = rng.choice(OTHER_LAS)
                episode.other_la_notified_on = self.between(start, end)
                episode.other_la_confirmed_on = end
            elif outcome == "confirmed_abroad":
                episode.abroad_evidence = "Confirmed by the family's new school abroad."
        self.status_path(episode, path, officer)
        self.reason_history(episode, scales.CME_REASON_WEIGHTS, officer)
        self.cme.append(episode)
        self.actions_for(episode, officer)
        if episode.status == "located_ehe":
            self.ehe_episode(end, child=child, source="cme_enquiry")

    # Children with no episode.

    def register_children(self, count: int) -> None:
        """Children known from school rolls and the legacy register, aged 3 to 18 today."""
        rng = self.rng
        first_created = date(self.today.year - ACADEMIC_YEARS - RUN_IN_YEARS, 9, 1)
        known = []
        for _ in range(count):
            nc = rng.choice(["N1", "N2", *NC_YEARS, "12", "13"])
            created = self.between(first_created, self.today)
            child = self.child(nc, self.today, {"F": 49, "M": 50.8, "U": 0.2}, created=created)
            if known and rng.random() < MERGED_SHARE:  # a duplicate, merged into the record kept
                child.merged_into = rng.choice(known)
            else:
                known.append(child)


def summarise(generator: Generator, first_history_year: int, population: int) -> None:
    """The built data as DfE would count it, worked out here from the rows written (every
    academic year of the history, and the current one so far)."""
    ehe, cme, today = generator.ehe, generator.cme, generator.today

    def covering(episodes, day):
        return sum(1 for e in episodes if e.start_date <= day and (e.end_date or date.max) > day)

    def overlapping(episodes, first, last):
        return sum(1 for e in episodes if e.start_date <= last and (e.end_date or date.max) > first)

    steps = Counter((academic_year_start(s.served_on), s.step_type) for s in generator.steps)
    ends = Counter(
        (academic_year_start(e.end_date), e.status) for e in ehe if e.end_date is not None
    )
    print(
        "academic year: EHE autumn/spring/summer census (rate per 100), starts, returns, other "
        "leavers, any point, s.437, SAO issued/revoked; CME autumn census, any point"
    )
    for year in range(first_history_year, academic_year_start(today) + 1):
        first, last = date(year, 9, 1), min(date(year + 1, 8, 31), today)
        census = [d for d in census_days(year).values() if d <= today]
        stocks = "/".join(str(covering(ehe, d)) for d in census)
        rate = covering(ehe, census[0]) * 100 / population if census else 0
        starts = sum(1 for e in ehe if first <= e.start_date <= last)
        returns = ends[year, "returned_to_school"]
        others = sum(n for (y, status), n in ends.items() if y == year) - returns
        print(
            f"  {year}/{(year + 1) % 100:02d}{'*' if last < date(year + 1, 8, 31) else ' '}: "
            f"EHE {stocks} ({rate:.2f}), starts {starts}, returns {returns}, others {others}, "
            f"any point {overlapping(ehe, first, last)}, s.437 {steps[year, 's437_notice']}, "
            f"SAO {steps[year, 'sao_issued']}/{steps[year, 'sao_revoked']}; CME "
            f"{covering(cme, census[0]) if census else '-'}, "
            f"any point {overlapping(cme, first, last)}"
        )
    print("  (* the year so far)")
    autumn = max(
        census_days(year)["autumn"]
        for year in (today.year - 1, today.year)
        if census_days(year)["autumn"] <= today
    )
    in_ehe = [e for e in ehe if e.start_date <= autumn and (e.end_date or date.max) > autumn]
    in_cme = [e for e in cme if e.start_date <= autumn and (e.end_date or date.max) > autumn]
    years = Counter(expected_nc_year(e.child.date_of_birth, autumn) for e in in_ehe)
    bands = Counter(time_missing_band(e.missing_since, autumn) for e in in_cme)

    def share(count, of):
        return f"{count * 100 / max(1, len(of)):.0f}%"

    print(
        f"on {autumn}: EHE {len(in_ehe):,} (female "
        f"{share(sum(e.child.sex == 'F' for e in in_ehe), in_ehe)}, Years 10-11 "
        f"{share(years['10'] + years['11'], in_ehe)}); CME {len(in_cme):,} (12 weeks or less "
        f"{share(bands['le_12_weeks'], in_cme)}, more {share(bands['gt_12_weeks'], in_cme)}, "
        f"unknown {share(bands['unknown'], in_cme)})"
    )


def build(population: int, register_children: int, today: date, seed: int) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    current = academic_year_start(today)
    history_from = current - ACADEMIC_YEARS
    first_year = history_from - RUN_IN_YEARS

    schools = build_schools(rng)
    teams = build_officers()
    build_reference_figures(population, first_year, today)
    generator = Generator(rng, seed, today, schools, teams, population)
    generator.run(first_year)
    with_episodes = len(generator.children)
    generator.register_children(register_children)
    drawn = time.perf_counter()
    groups = Counter(s.type_group for s in schools)
    print(f"schools: {len(schools)} ({', '.join(f'{g} {n}' for g, n in groups.items())})")
    print(
        f"drawn in {drawn - started:.0f} s: {len(generator.children):,} children "
        f"({with_episodes:,} with an episode), {len(generator.ehe):,} EHE and "
        f"{len(generator.cme):,} CME episodes since {first_year}/{(first_year + 1) % 100:02d}"
    )

    previous = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    settings.SIMPLE_HISTORY_ENABLED = False
    try:
        with transaction.atomic():
            # Synthetic data: no historical rows (SIMPLE_HISTORY_ENABLED is off while building).
            for objs, model in (
                (generator.children, Child),
                (generator.flags, ChildFlag),
                (generator.ehe, EHEEpisode),
                (generator.cme, CMEEpisode),
                (generator.steps, EnforcementStep),
                (generator.actions, Action),
            ):
                bulk_insert_with_history(objs, model, user=None, reason="reporting bench")
                print(f"  {model.__name__}: {len(objs):,} rows", flush=True)
            for objs, model in (
                (generator.status_changes, EpisodeStatusChange),
                (generator.reason_changes, EpisodeReasonChange),
            ):
                bulk_insert(objs, model)
                print(f"  {model.__name__}: {len(objs):,} rows", flush=True)
    finally:
        settings.SIMPLE_HISTORY_ENABLED = previous
    loaded = time.perf_counter()
    summarise(generator, history_from, population)
    overdue = sum(1 for a in generator.actions if a.status == "open" and a.due_date < today)
    print(
        f"built: {len(generator.children):,} children "
        f"({sum(c.merged_into_id is not None for c in generator.children):,} merged), "
        f"{len(generator.flags):,} flags, "
        f"{len(generator.ehe):,} EHE and {len(generator.cme):,} CME episodes, "
        f"{len(generator.status_changes):,} status changes, "
        f"{len(generator.reason_changes):,} reason changes, "
        f"{len(generator.steps):,} enforcement steps, {len(generator.actions):,} actions "
        f"({sum(1 for a in generator.actions if a.status == 'open'):,} open, {overdue:,} overdue)"
    )
    # No ANALYZE by hand: the bulk writes refresh the statistics of what they filled
    # (``registry.bulk.refresh_statistics``), as an import does.
    print(
        f"build: {loaded - started:.0f} s (drawing {drawn - started:.0f} s, "
        f"load {loaded - drawn:.0f} s)"
    )
    store_marker(build_marker(population, register_children, today, seed))


def main() -> None:
    today = ARGS.today
    prepare_database(
        ARGS.database_url,
        rebuild=ARGS.rebuild,
        marker=build_marker(ARGS.population, ARGS.register_children, today, ARGS.seed),
        holds_data=lambda: School.objects.exists() or Child.objects.exists(),
        build=lambda: build(ARGS.population, ARGS.register_children, today, ARGS.seed),
    )
    if ARGS.build_only:
        return
    run_timings(today)
    print(f"peak memory (maximum resident set): {peak_memory_mb():,.0f} MiB")


# --- Timings ------------------------------------------------------------------------------------

RETURN_TARGET_S = 5.0
PACK_TARGET_S = 30.0


def reporting_services():
    """The two services, imported only now: they may not be there yet."""
    try:
        from registry.services.dfe_return import dfe_return_produce
        from registry.services.quarterly_pack import quarterly_pack_produce
    except ImportError as error:
        sys.exit(f"the DfE return or the quarterly pack service is not there yet: {error}")
    return dfe_return_produce, quarterly_pack_produce


def census_days_timed(today: date) -> list[date]:
    """The latest autumn census day on or before today, and the two census days before it."""
    past = sorted(
        day
        for year in range(academic_year_start(today) - 2, academic_year_start(today) + 1)
        for day in census_days(year).values()
        if day <= today
    )
    autumn = max(
        day
        for year in range(academic_year_start(today) - 1, academic_year_start(today) + 1)
        for term, day in census_days(year).items()
        if term == "autumn" and day <= today
    )
    index = past.index(autumn)
    return past[index - 2 : index + 1][::-1]


def last_complete_quarter(today: date) -> str:
    quarter = (today.month - 1) // 3  # the current one, 0-based: the one before is complete
    year = today.year if quarter else today.year - 1
    return f"{year}-Q{quarter or 4}"


def describe(result) -> str:
    """What a service gave back, in a few words (a snapshot, or something holding one)."""
    snapshot = result if isinstance(result, ReportSnapshot) else getattr(result, "snapshot", None)
    if not isinstance(snapshot, ReportSnapshot):
        return type(result).__name__
    files = list(snapshot.files.values_list("name", "content_type", "content"))
    sizes = ", ".join(f"{name} {len(content) / 1024:,.0f} KiB" for name, _, content in files)
    sections = snapshot.tables.get("sections") if isinstance(snapshot.tables, dict) else None
    tables = f"{len(sections)} sections" if sections is not None else f"{len(snapshot.tables)} keys"
    return f"snapshot {snapshot.period} as at {snapshot.as_at}, {tables}, files: {sizes or 'none'}"


def verdict(seconds: float, target: float) -> str:
    return f"target {target:.0f} s: {'met' if seconds <= target else 'NOT MET'}"


def run_timings(today: date) -> None:
    dfe_return_produce, quarterly_pack_produce = reporting_services()
    slowest_return = slowest_pack = None
    if not ARGS.pack_only:
        returns = []
        for census in census_days_timed(today):
            started = time.perf_counter()
            result = dfe_return_produce(census_date=census, by=None, again=True)
            returns.append((time.perf_counter() - started, census))
            print(
                f"DfE return for {census}: {returns[-1][0]:6.2f} s  "
                f"({verdict(returns[-1][0], RETURN_TARGET_S)}); {describe(result)}",
                flush=True,
            )
        seconds, census = max(returns)
        print(f"DfE return max: {seconds:.2f} s ({census}; {verdict(seconds, RETURN_TARGET_S)})")
        slowest_return = (seconds, census)
    if not ARGS.return_only:
        quarter = last_complete_quarter(today)
        packs = []
        for attempt in range(ARGS.repeat):
            started = time.perf_counter()
            result = quarterly_pack_produce(quarter=quarter, by=None)
            packs.append(time.perf_counter() - started)
            print(
                f"quarterly pack {quarter} run {attempt + 1}: {packs[-1]:6.2f} s  "
                f"({verdict(packs[-1], PACK_TARGET_S)}); {describe(result)}",
                flush=True,
            )
        print(f"quarterly pack max: {max(packs):.2f} s ({verdict(max(packs), PACK_TARGET_S)})")
        slowest_pack = max(packs)
    print(f"peak memory after the timings: {peak_memory_mb():,.0f} MiB")
    if slowest_return and (ARGS.profile or slowest_return[0] > RETURN_TARGET_S):
        census = slowest_return[1]
        print(f"\n--- where the time goes: the DfE return for {census}")
        profile(lambda: dfe_return_produce(census_date=census, by=None, again=True))
    if slowest_pack and (ARGS.profile or slowest_pack > PACK_TARGET_S):
        print(f"\n--- where the time goes: the quarterly pack {quarter}")
        profile(lambda: quarterly_pack_produce(quarter=quarter, by=None))


# Each function of these modules is timed by wrapping it for one run (read-only: nothing else is
# changed, and every reference to it in the project's modules is put back afterwards).
PHASE_MODULES = ("registry.services.dfe_return", "registry.services.quarterly_pack")
PHASE_PACKAGES = ("registry.reporting.",)


def phase_timings(call) -> None:
    """One call with each function (and method) of the reporting modules timed (inclusive: a
    function's time includes the functions it calls), without the profiler's overhead."""
    spent: dict[str, list[float]] = {}
    names = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not (
            module_name in PHASE_MODULES or module_name.startswith(PHASE_PACKAGES)
        ):
            continue
        for attribute, value in list(vars(module).items()):
            if inspect.isfunction(value) and value.__module__ == module_name:
                names[value] = f"{module_name.rsplit('.', 1)[-1]}.{attribute}"

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                entry = spent.setdefault(name, [0.0, 0])
                entry[0] += time.perf_counter() - started
                entry[1] += 1

        return wrapper

    wrappers = {function: timed(name, function) for function, name in names.items()}
    patched = []
    for module_name, module in list(sys.modules.items()):  # and their classes' methods
        if module is None or not (
            module_name in PHASE_MODULES or module_name.startswith(PHASE_PACKAGES)
        ):
            continue
        for class_name, cls in list(vars(module).items()):
            if not (inspect.isclass(cls) and cls.__module__ == module_name):
                continue
            for attribute, value in list(vars(cls).items()):
                if inspect.isfunction(value) and not attribute.startswith("__"):
                    patched.append((cls, attribute, value))
                    setattr(cls, attribute, timed(f"{class_name}.{attribute}", value))
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith(("registry", "schools_feed")):
            continue
        for attribute, value in list(vars(module).items()):
            if inspect.isfunction(value) and value in wrappers:
                patched.append((module, attribute, value))
                setattr(module, attribute, wrappers[value])
    try:
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
    finally:
        for module, attribute, original in patched:
            setattr(module, attribute, original)
    print(f"functions ({elapsed:.2f} s in all; inclusive times, the 25 longest):")
    for name, (seconds, calls) in sorted(spent.items(), key=lambda item: -item[1][0])[:25]:
        print(f"  {seconds * 1000:9.0f} ms  {calls:6} calls  {name}")


def profile(call) -> None:
    """Where one call's time goes: its steps, then Python's profile and the slowest SQL."""
    phase_timings(call)
    profile_call(call, functions=25, queries=8, plans=2)


if __name__ == "__main__":
    main()
