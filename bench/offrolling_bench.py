"""Benchmark: the off-rolling monitor at county scale on PostgreSQL (issue 4).

Builds (or reuses) a dedicated database: 500 local schools (about 400 primaries and 100
secondaries) with their rolls by NC year at every census of the current academic year and the
five before it, one submission each, and 1,000,000 notifications over those six years (85%
deletions in an LA's usual mix of grounds, 10% ten-day absences, 5% exclusions). About 30% of the
notifications are linked to some 250,000 children, 5% of whom carry flags (looked after, in need,
CP plan, FSM, EHC plan); 10% of exits to home education opened an EHE episode. A few schools are
planted with unusual patterns so that the rules raise alerts. Then it times the real code paths:

- the full recompute, ``offrolling_recompute()``, three times;
- one school's recompute, ``offrolling_recompute(school=...)``, for 20 schools (primaries and
  secondaries, two planted ones among them);
- the LA overview page (``offrolling:overview``) through Django's test client (URL routing,
  middleware, gates, templates), signed in as an inclusion lead: 30 requests over four views
  (the default, and other indicators and periods), after four warm-up requests.

When a target is missed (or with --profile) it prints where the time went: each step of the
recompute, a cProfile summary, the slowest SQL with its plan; it counts the full garbage
collections during each timed loop, and re-times the schools after ``gc.freeze()``.

    .venv/bin/python bench/offrolling_bench.py [--notifications 1000000] [--rebuild] \
        [--database-url postgres://postgres@127.0.0.1:5432/ehe_register_offrolling_bench] \
        [--repeat 3] [--schools 20] [--requests 30] [--profile] [--build-only] [--page-only]

The script sets DATABASE_URL itself, from --database-url (the default above), so an exported
DATABASE_URL for another benchmark is never rebuilt by accident. The database is created and
migrated when missing, reused when it holds data built with the same options, and dropped and
built again with --rebuild. The data is synthetic and travels by COPY (``registry.bulk``) with
django-simple-history switched off: notifications, children, flags and episodes are written
without their historical rows, which nothing timed here reads. No ANALYZE is run by hand: the
bulk writes refresh the statistics of the tables they fill, as an import does.

Targets (issue 4): full recompute ≤ 10 s (the median of the runs); one school's recompute
≤ 200 ms and the LA overview page ≤ 300 ms (judged on the p95; the maximum is printed too).
Peak memory is the maximum resident set. Record results in docs/benchmarks.md.
"""

import argparse
import gc
import logging
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")
os.environ.setdefault("DEBUG", "true")

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ehe_register_offrolling_bench"
# Bump when the generated data changes, so an old database is not reused for a new build.
DATA_VERSION = 1


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--rebuild", action="store_true", help="drop the database and build it")
    parser.add_argument("--notifications", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, help="default: today's date")
    parser.add_argument("--batch", type=int, default=50_000, help="notifications per COPY batch")
    parser.add_argument("--repeat", type=int, default=3, help="full recomputes to time")
    parser.add_argument("--schools", type=int, default=20, help="single-school recomputes")
    parser.add_argument("--requests", type=int, default=30, help="overview page requests")
    parser.add_argument("--build-only", action="store_true", help="build the data, time nothing")
    parser.add_argument(
        "--page-only", action="store_true", help="time the overview page only (figures exist)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile one full recompute and its slowest SQL"
    )
    return parser.parse_args()


ARGS = parse_arguments()
os.environ["DATABASE_URL"] = ARGS.database_url

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
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
from registry import lifecycle  # noqa: E402
from registry.bulk import bulk_insert, bulk_insert_with_history  # noqa: E402
from registry.census import census_days  # noqa: E402
from registry.models import (  # noqa: E402
    Child,
    ChildFlag,
    EHEEpisode,
    EpisodeStatusChange,
    Role,
    User,
)
from registry.school_age import academic_year_start, date_of_birth_range_for_nc_year  # noqa: E402
from registry.services.children import child_build  # noqa: E402
from schools_feed.grounds import REGULATIONS_2024_IN_FORCE  # noqa: E402
from schools_feed.models import (  # noqa: E402
    IndicatorReference,
    Notification,
    OffRollingAlert,
    School,
    SchoolIndicator,
    SchoolRoll,
    Submission,
)

SCHOOLS = 500
SECONDARIES = 100
PRIMARY_YEARS = ["R", "1", "2", "3", "4", "5", "6"]
SECONDARY_YEARS = ["7", "8", "9", "10", "11"]
ACADEMIC_YEARS = 5  # before the current one

# Notification kinds and the usual mix of deletion grounds (letters of the 2024 Regulations).
KIND_WEIGHTS = {"deletion": 85, "absence": 10, "exclusion": 5}
GROUND_WEIGHTS = {
    "a": 70,  # registered at another school: a transfer, with the destination's URN
    "f": 10,  # home education
    "g": 3,  # moved away
    "h": 1.5,  # not back after a leave of absence
    "i": 2.5,  # continuously absent for 20 school days
    "n": 1,  # ceased to be a pupil at an independent school
    "b": 3,  # did not continue after nursery (Reception only, else a transfer)
    "k": 0.3,  # died
    "l": 4,  # over compulsory school age (Year 11 only, else a transfer)
    "o": 1,  # permanently excluded
}
# The same reasons under the 2006 Regulations, for deletions before 19 August 2024.
AS_2006 = {"a": "b", "f": "d", "g": "e", "h": "f", "i": "h", "n": "l", "k": "j", "l": "k", "o": "m"}
CME_RISK = ("g", "h", "i", "n")
FLAG_WEIGHTS = {"fsm": 30, "ehcp": 15, "child_in_need": 25, "looked_after": 15, "cp_plan": 15}
EHE_REASONS = {"unknown": 75, "school_suggestion": 15, "risk_of_exclusion": 10}
PLANTED_EHE_REASONS = {"unknown": 40, "school_suggestion": 35, "risk_of_exclusion": 25}
LINKED_SHARE = 0.30
CHILDREN_PER_NOTIFICATION = 0.25
FLAGGED_SHARE = 0.05
EPISODE_SHARE = 0.10


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(name: str, timings_ms: list[float], target_ms: float) -> None:
    p95 = percentile(timings_ms, 0.95)
    verdict = "met" if p95 <= target_ms else "NOT MET"
    print(
        f"{name:<28} n={len(timings_ms):>3}  p50={statistics.median(timings_ms):7.1f} ms  "
        f"p95={p95:7.1f} ms  max={max(timings_ms):7.1f} ms  (target {target_ms:.0f} ms: {verdict})"
    )


# --- The database -------------------------------------------------------------------------------


def build_marker(notifications: int, today: date, seed: int) -> str:
    return (
        f"offrolling-bench v{DATA_VERSION} notifications={notifications} today={today} seed={seed}"
    )


# --- Schools and rolls --------------------------------------------------------------------------


def build_schools(rng: random.Random) -> list[School]:
    urns = rng.sample(range(100_000, 150_000), SCHOOLS)
    schools = []
    for index, urn in enumerate(urns):
        secondary = index % (SCHOOLS // SECONDARIES) == 0  # every fifth school
        town = TOWNS[index % len(TOWNS)]
        size = rng.randint(600, 1800) if secondary else rng.randint(150, 600)
        number = (4000 if secondary else 2000) + index
        school = School(
            urn=str(urn),
            la_code=LA_CODE,
            la_name=LA_NAME,
            establishment_number=str(number),
            laestab=f"{LA_CODE}{number}",
            name=f"{town} {'Academy' if secondary else 'Primary School'} {index + 1:03d}",
            type_group="academy" if secondary or rng.random() < 0.3 else "la_maintained",
            phase="Secondary" if secondary else "Primary",
            status="Open",
            statutory_low_age=11 if secondary else 4,
            statutory_high_age=16 if secondary else 11,
            number_on_roll=size,
            postcode="BN11 1AA",
            town=town,
            is_local=True,
        )
        # The school's profile, for its rolls and its pupils (not stored).
        school.bench_years = SECONDARY_YEARS if secondary else PRIMARY_YEARS
        school.bench_fsm = rng.uniform(0.12, 0.34)
        school.bench_sen = rng.uniform(0.10, 0.16)
        school.bench_ehcp = rng.uniform(0.02, 0.04)
        school.bench_social = rng.uniform(0.02, 0.04)
        school.percentage_fsm = Decimal(f"{school.bench_fsm * 100:.2f}")
        schools.append(school)
    School.objects.bulk_create(schools)
    return schools


def build_rolls(schools: list[School], years: list[int], today: date, rng: random.Random):
    """Every census on or before today; returns the autumn roll by (school, year) and NC year."""
    rolls, autumn = [], {}
    for school in schools:
        per_year = school.number_on_roll / len(school.bench_years)
        base = {nc: per_year * rng.uniform(0.9, 1.1) for nc in school.bench_years}
        drift = 1.0
        for year in years:
            drift *= rng.uniform(0.97, 1.03)
            for term, census in census_days(year).items():
                if census > today:
                    continue
                by_year = {}
                for nc, size in base.items():
                    on_roll = max(10, round(size * drift * rng.uniform(0.98, 1.02)))
                    by_year[nc] = on_roll

                    def share(rate, on_roll=on_roll):
                        return round(on_roll * rate * rng.uniform(0.9, 1.1))

                    rolls.append(
                        SchoolRoll(
                            school=school,
                            census_date=census,
                            nc_year=nc,
                            number_on_roll=on_roll,
                            fsm_count=share(school.bench_fsm),
                            sen_support_count=share(school.bench_sen),
                            ehcp_count=share(school.bench_ehcp),
                            social_care_count=share(school.bench_social),
                        )
                    )
                if term == "autumn":
                    autumn[school.pk, year] = by_year
    SchoolRoll.objects.bulk_create(rolls, batch_size=5000)
    return autumn, len(rolls)


# --- Notifications, children, flags and episodes ------------------------------------------------


class Generator:
    """Draws the notifications one at a time, with the children, flags and episodes they bring."""

    def __init__(self, rng, schools, autumn, years, today, submissions, planted):
        self.rng = rng
        self.today = today
        self.schools = {s.pk: s for s in schools}
        self.submissions = submissions
        self.local_urns = {s.urn: s.pk for s in schools}
        self.urns = list(self.local_urns)
        self.planted = planted
        self.january = {year: census_days(year)["spring"] for year in years}
        # Weekdays of each academic year on which things happen: 1 September to 22 July.
        self.days = {}
        for year in years:
            first, last = date(year, 9, 1), min(date(year + 1, 7, 22), today)
            span = (first + timedelta(days=n) for n in range((last - first).days + 1))
            self.days[year] = [d for d in span if d.weekday() < 5]
        # One cell per school, year and NC year, weighted by the roll and by how much of the
        # year has passed (the current year only so far).
        self.cells, weights = [], []
        for (school_id, year), by_year in autumn.items():
            passed = len(self.days[year]) / 233
            for nc, on_roll in by_year.items():
                self.cells.append((school_id, year, nc))
                weights.append(on_roll * passed)
        total = 0.0
        self.cum_weights = []
        for weight in weights:
            total += weight
            self.cum_weights.append(total)
        self.pools: dict[tuple, list] = {}  # (school, cohort) -> children already created
        self.count = 0
        self.reuse_share = 1 - CHILDREN_PER_NOTIFICATION / LINKED_SHARE

    def cells_for(self, k: int):
        return self.rng.choices(self.cells, cum_weights=self.cum_weights, k=k)

    def received(self, event: date) -> datetime:
        day = min(event + timedelta(days=self.rng.randint(0, 4)), self.today)
        moment = datetime.combine(day, clock(self.rng.randint(8, 17), self.rng.randint(0, 59)))
        return timezone.make_aware(moment)

    def draw(self, cell, event: date | None = None, **forced) -> list:
        """One notification (and, for planted schools, the extra ones its pattern brings)."""
        rng = self.rng
        school_id, year, nc = cell
        school = self.schools[school_id]
        event = event or rng.choice(self.days[year])
        kind = forced.get("kind") or weighted(rng, KIND_WEIGHTS)
        fsm = forced["fsm"] if "fsm" in forced else rng.random() < school.bench_fsm
        if "sen" in forced:
            sen = forced["sen"]
        else:
            roll = rng.random()
            sen = "K" if roll < 0.13 else "E" if roll < 0.16 else ""
        spec = {
            "school_id": school_id,
            "submission_id": self.submissions[school_id],
            "kind": kind,
            "status": "routed",
            "received_at": self.received(event),
            "nc_year": nc,
            "sen_provision": sen,
            "fsm_eligible": fsm,
        }
        letter = None
        if kind == "deletion":
            letter = forced.get("ground") or weighted(rng, GROUND_WEIGHTS)
            if (letter == "b" and nc != "R") or (letter == "l" and nc != "11"):
                letter = "a"
            spec["deletion_date"] = event
            if event >= REGULATIONS_2024_IN_FORCE:
                spec["legal_basis"], spec["ground"] = "2024", letter
            else:
                spec["legal_basis"], spec["ground"] = "2006", AS_2006.get(letter, "b")
            if letter == "a":
                urn = rng.choice(self.urns)
                if urn != school.urn and rng.random() < 0.75:
                    spec["destination_school_id"] = self.local_urns[urn]
                    spec["destination_reference"] = urn
                else:
                    spec["destination_reference"] = str(rng.randint(150_000, 160_000))
            elif letter == "f":
                notice = event - timedelta(days=rng.randint(0, 10))
                if rng.random() < 0.02:  # deleted before the parent's letter (an R6 prompt)
                    notice = event + timedelta(days=rng.randint(1, 7))
                spec["parent_notice_date"] = notice
            elif letter == "g" and rng.random() < 0.5:
                spec["new_address"], spec["new_postcode"] = "12 New Street, Leeds", "LS1 4AP"
        elif kind == "absence":
            spec["absence_start_date"] = event - timedelta(days=14)
            spec["consecutive_days_absent"] = 10
        else:
            permanent = rng.random() < 0.08
            spec["exclusion_type"] = "permanent" if permanent else "suspension"
            spec["exclusion_start_date"] = event
            if not permanent:
                spec["exclusion_days"] = Decimal(rng.choice(["0.5", "1.0", "2.0", "3.0", "5.0"]))
            spec["exclusion_reason"] = "Persistent disruptive behaviour"

        planted = self.planted.get(school_id)
        episode = letter == "f" and rng.random() < (0.5 if planted == "ehe" else EPISODE_SHARE)
        self.attach_child(spec, cell, event, episode=episode, planted=planted)
        drawn = [spec]
        # The planted patterns: more of the same exits, so the rules have something to find.
        if kind != "deletion" or forced:
            return drawn
        if planted == "ehe" and letter == "f" and nc in ("10", "11") and fsm:
            window = [d for d in self.days[year] if d <= self.january[year]]
            if event <= self.january[year]:  # before the January census: four more
                for _ in range(4):
                    drawn += self.draw(
                        cell, rng.choice(window), kind="deletion", ground="f", fsm=True
                    )
        elif planted == "unknown" and letter in CME_RISK:
            for _ in range(3):
                drawn += self.draw(cell, kind="deletion", ground=rng.choice(CME_RISK))
        elif planted == "sen" and letter != "a" and sen:
            for _ in range(3):
                drawn += self.draw(cell, kind="deletion", ground=letter, sen=sen)
        return drawn

    def attach_child(self, spec, cell, event, *, episode: bool, planted: str | None) -> None:
        """Names and a date of birth for the pupil; for about 30%, a child in the register."""
        rng = self.rng
        school_id, year, nc = cell
        earliest, latest = date_of_birth_range_for_nc_year(nc, event)
        pool_key = (school_id, earliest.year)
        pool = self.pools.get(pool_key)
        spec["child"] = spec["flags"] = spec["episode"] = None
        if not episode and rng.random() >= LINKED_SHARE:
            spec["legal_forenames"] = rng.choice(FORENAMES)
            spec["legal_surname"] = rng.choice(SURNAMES)
            spec["date_of_birth"] = earliest + timedelta(
                days=rng.randint(0, (latest - earliest).days)
            )
            spec["sex"] = rng.choice("MF")
            return
        if pool and not episode and rng.random() < self.reuse_share:
            # A pupil already in the register (written in an earlier batch).
            child_id, forenames, surname, born, sex = rng.choice(pool)
            spec["child_id"] = child_id
        else:
            child = child_build(
                legal_forenames=rng.choice(FORENAMES),
                legal_surname=rng.choice(SURNAMES),
                date_of_birth=earliest + timedelta(days=rng.randint(0, (latest - earliest).days)),
                sex=rng.choice("MF"),
            )
            child.bench_pool = pool_key
            spec["child"] = child
            forenames, surname = child.legal_forenames, child.legal_surname
            born, sex = child.date_of_birth, child.sex
            if rng.random() < FLAGGED_SHARE:
                kinds = {weighted(rng, FLAG_WEIGHTS) for _ in range(1 + (rng.random() < 0.2))}
                spec["flags"] = [
                    ChildFlag(
                        child=child,
                        flag_type=kind,
                        source="school_return",
                        valid_from=event - timedelta(days=365),
                    )
                    for kind in sorted(kinds)
                ]
                if "fsm" in kinds:
                    spec["fsm_eligible"] = True
                if "ehcp" in kinds:
                    spec["sen_provision"] = "E"
        spec["legal_forenames"], spec["legal_surname"] = forenames, surname
        spec["date_of_birth"], spec["sex"] = born, sex
        spec["match_score"] = Decimal("0.970")
        if episode:
            spec["episode"] = self.episode(event, planted)

    def remember(self, children: list[Child]) -> None:
        """Children written to the register, for later notifications about the same pupils."""
        for child in children:
            self.pools.setdefault(child.bench_pool, []).append(
                (
                    child.pk,
                    child.legal_forenames,
                    child.legal_surname,
                    child.date_of_birth,
                    child.sex,
                )
            )

    def episode(self, start: date, planted: str | None) -> dict:
        rng = self.rng
        reasons = PLANTED_EHE_REASONS if planted == "ehe" else EHE_REASONS
        fields = {"primary_reason": weighted(rng, reasons), "status": "notified"}
        if (self.today - start).days > 200:
            roll = rng.random()
            if roll < 0.2:  # back at school within six months (an R6 prompt)
                fields["status"] = "returned_to_school"
                fields["end_date"] = start + timedelta(days=rng.randint(30, 170))
            elif roll < 0.3:
                fields["status"] = "moved_away"
                fields["end_date"] = min(start + timedelta(days=rng.randint(200, 400)), self.today)
            else:
                fields["status"] = "suitable"
        return fields


BENCH_REASON = "Off-rolling bench"


def write_batch(specs: list[dict], first: int) -> tuple[list[Child], int, int]:
    """Write one batch by COPY: its new children, notifications, flags and episodes."""
    children, notifications, flags, episodes, changes = [], [], [], [], []
    for offset, spec in enumerate(specs):
        child = spec.pop("child")
        spec_flags = spec.pop("flags")
        episode = spec.pop("episode")
        notification = Notification(
            natural_key=f"bench-{first + offset:07d}",
            row_number=(first + offset) % 1000 + 2,
            child=child,
            **spec,
        )
        notifications.append(notification)
        if child is not None:
            children.append(child)
        if spec_flags:
            flags += spec_flags
        if episode:
            status, end = episode.pop("status"), episode.pop("end_date", None)
            built = EHEEpisode(
                child=child,
                start_date=notification.deletion_date,
                source="school_deletion",
                previous_school_id=notification.school_id,
                **episode,
            )
            notification.opened_ehe_episode = built
            # Through the lifecycle, as every path (registry/lifecycle.py).
            changes.append(lifecycle.episode_opening(built, by=None, reason=BENCH_REASON))
            if status != built.status:
                changes.append(
                    lifecycle.episode_transition(
                        built,
                        to_status=status,
                        effective_date=end or built.start_date,
                        reason=BENCH_REASON,
                        by=None,
                    )
                )
            episodes.append(built)
    with transaction.atomic():
        for objs, model in (
            (children, Child),
            (flags, ChildFlag),
            (episodes, EHEEpisode),
            (notifications, Notification),  # after the episodes: each records the one it opened
        ):
            # Synthetic data: no historical rows (SIMPLE_HISTORY_ENABLED is off while building).
            bulk_insert_with_history(objs, model, user=None, reason="offrolling bench")
        bulk_insert(changes, EpisodeStatusChange)
    return children, len(flags), len(episodes)


def build(notifications: int, today: date, seed: int, batch: int) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    current = academic_year_start(today)
    years = list(range(current - ACADEMIC_YEARS, current + 1))

    schools = build_schools(rng)
    autumn, roll_rows = build_rolls(schools, years, today, rng)
    submissions = Submission.objects.bulk_create(
        [
            Submission(
                school=school,
                channel="csv",
                status="imported",
                file_name=f"offrolling-bench-{school.urn}.csv",
                received_at=timezone.make_aware(datetime.combine(date(current - 5, 9, 1), clock())),
            )
            for school in schools
        ]
    )
    submission_ids = {s.school_id: s.pk for s in submissions}
    secondaries = [s for s in schools if s.phase == "Secondary"]
    primaries = [s for s in schools if s.phase == "Primary"]
    planted = {s.pk: "ehe" for s in secondaries[:5]}
    planted |= {s.pk: "unknown" for s in primaries[:3]}
    planted |= {s.pk: "sen" for s in secondaries[5:7]}
    print(f"schools: {len(schools)} ({len(primaries)} primary, {len(secondaries)} secondary)")
    print(f"rolls: {roll_rows:,} rows over {len(years)} academic years ({years[0]}/{years[-1]})")
    for pk, pattern in planted.items():
        school = next(s for s in schools if s.pk == pk)
        print(f"planted {pattern:<8} {school.urn} {school.name}")

    generator = Generator(rng, schools, autumn, years, today, submission_ids, planted)
    written = 0
    counts = [0, 0, 0]
    previous = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    settings.SIMPLE_HISTORY_ENABLED = False
    try:
        while written < notifications:
            wanted = min(batch, notifications - written)
            specs: list[dict] = []
            for cell in generator.cells_for(wanted):
                specs += generator.draw(cell)
                if len(specs) >= wanted:
                    break
            specs = specs[:wanted]
            children, flags, episodes = write_batch(specs, written)
            generator.remember(children)
            counts = [counts[0] + len(children), counts[1] + flags, counts[2] + episodes]
            written += len(specs)
            elapsed = time.perf_counter() - started
            print(
                f"  {written:>9,} notifications, {counts[0]:,} children "
                f"({elapsed:5.0f} s, {peak_memory_mb():,.0f} MiB)",
                flush=True,
            )
    finally:
        settings.SIMPLE_HISTORY_ENABLED = previous
    loaded = time.perf_counter()
    linked = Notification.objects.filter(child__isnull=False).count()
    print(
        f"built {written:,} notifications ({linked:,} linked), {counts[0]:,} children, "
        f"{counts[1]:,} flags, {counts[2]:,} EHE episodes"
    )
    # No ANALYZE by hand: the bulk writes refresh the statistics of what they filled
    # (``registry.bulk.refresh_statistics``), as an import does.
    print(f"build: {loaded - started:.0f} s")
    store_marker(build_marker(notifications, today, seed))


def main() -> None:
    today = ARGS.today or timezone.localdate()
    prepare_database(
        ARGS.database_url,
        rebuild=ARGS.rebuild,
        marker=build_marker(ARGS.notifications, today, ARGS.seed),
        holds_data=School.objects.exists,
        build=lambda: build(ARGS.notifications, today, ARGS.seed, ARGS.batch),
    )
    if ARGS.build_only:
        return
    if ARGS.page_only:
        time_overview()
        return
    run_timings(today)
    print(f"peak memory (maximum resident set): {peak_memory_mb():,.0f} MiB")


# --- Timings ------------------------------------------------------------------------------------

FULL_TARGET_S = 10.0
SCHOOL_TARGET_MS = 200.0
PAGE_TARGET_MS = 300.0


def recompute_service():
    try:
        from schools_feed.services.offrolling import offrolling_recompute
    except ImportError as error:
        sys.exit(f"schools_feed.services.offrolling.offrolling_recompute is not there yet: {error}")
    return offrolling_recompute


def run_timings(today: date) -> None:
    recompute = recompute_service()
    logging.getLogger("schools_feed.services.offrolling").setLevel(logging.WARNING)
    full = []
    for attempt in range(ARGS.repeat):
        started = time.perf_counter()
        run = recompute(as_of=today, triggered_by="offrolling bench")
        full.append(time.perf_counter() - started)
        print(
            f"full recompute {attempt + 1}: {full[-1]:6.2f} s  status {run.status}, "
            f"{run.indicators:,} indicators, {run.alerts_raised:,} new alerts"
        )
    median = statistics.median(full)
    verdict = "met" if median <= FULL_TARGET_S else "NOT MET"
    print(f"full recompute median: {median:.2f} s (target {FULL_TARGET_S:.0f} s: {verdict})")
    alerts = OffRollingAlert.objects.values_list("rule").annotate(n=Count("pk")).order_by("rule")
    print(
        f"indicator rows: {SchoolIndicator.objects.count():,}; alerts: "
        f"{OffRollingAlert.objects.count():,} ({', '.join(f'{r} {n}' for r, n in alerts)})"
    )
    if ARGS.profile or median > FULL_TARGET_S:
        profile(lambda: recompute(as_of=today, triggered_by="offrolling bench profile"))

    schools = sample_schools()
    single, collections = time_schools(recompute, schools, today)
    slowest = max(range(len(schools)), key=single.__getitem__)
    report("one school's recompute", single, SCHOOL_TARGET_MS)
    print(
        "  each: "
        + ", ".join(f"{s.phase[0]}{s.pk} {ms:.0f}" for s, ms in zip(schools, single, strict=True))
    )
    print(
        f"  slowest: {schools[slowest].name} ({single[slowest]:.0f} ms); full garbage "
        f"collections during the {len(schools)}: {len(collections)}, "
        f"{sum(collections):.0f} ms in all"
    )
    if ARGS.profile or percentile(single, 0.95) > SCHOOL_TARGET_MS:
        school = schools[slowest]
        profile(lambda: recompute(school=school, as_of=today, triggered_by="bench profile"))
        # Diagnostic: the same schools with the start-up heap frozen out of full collections.
        gc.collect()
        gc.freeze()
        frozen, collections = time_schools(recompute, schools, today)
        gc.unfreeze()
        report("  the same after gc.freeze()", frozen, SCHOOL_TARGET_MS)
        print(f"  full garbage collections: {len(collections)}, {sum(collections):.0f} ms in all")

    time_overview()


@contextmanager
def full_collections():
    """The full (generation 2) garbage collections while the block runs, in ms each."""
    pauses, began = [], []

    def watch(phase, info):
        if info["generation"] == 2:
            if phase == "start":
                began.append(time.perf_counter())
            elif began:
                pauses.append((time.perf_counter() - began.pop()) * 1000)

    gc.callbacks.append(watch)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(watch)


def time_schools(recompute, schools: list[School], today: date) -> tuple[list[float], list]:
    """Each school's recompute in ms, and the full garbage collections meanwhile."""
    timings = []
    with full_collections() as collections:
        for school in schools:
            started = time.perf_counter()
            run = recompute(school=school, as_of=today, triggered_by="offrolling bench")
            timings.append((time.perf_counter() - started) * 1000)
            assert run.school_id == school.pk, "the one-school recompute ran for every school"
    return timings, collections


def sample_schools() -> list[School]:
    """Twenty schools: primaries and secondaries, planted ones among them."""
    rng = random.Random(ARGS.seed)
    primaries = list(School.objects.filter(phase="Primary").order_by("pk"))
    secondaries = list(School.objects.filter(phase="Secondary").order_by("pk"))
    chosen = [secondaries[0], primaries[1]]  # planted: home education, unknown destinations
    chosen += rng.sample(secondaries[7:], 7) + rng.sample(primaries[3:], 11)
    return chosen[: ARGS.schools]


def overview_urls() -> list[str]:
    try:
        base = reverse("offrolling:overview")
    except NoReverseMatch:
        print("the LA overview page (offrolling:overview) is not there yet: not timed")
        return []
    # The default (the latest academic year, N1), then other indicators and periods.
    latest = {
        period_type: start.isoformat()
        for period_type, start in IndicatorReference.objects.values_list(
            "period_type", "period_start"
        ).order_by("period_start")
    }
    queries = [
        "",
        "?indicator=N2",
        f"?indicator=N4&period=rolling:{latest.get('rolling', '')}",
        f"?indicator=N6&period=term:{latest.get('term', '')}",
    ]
    return [base + queries[n % len(queries)] for n in range(ARGS.requests)]


def time_overview() -> None:
    urls = overview_urls()
    if not urls:
        return
    lead, _ = User.objects.get_or_create(
        username="offrolling-bench-lead", defaults={"role": Role.INCLUSION_LEAD}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(lead)
    for url in urls[:4]:  # warm caches and the connection
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    timings = []
    with full_collections() as collections:
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    report("LA overview page", timings, PAGE_TARGET_MS)
    slowest = max(range(len(urls)), key=timings.__getitem__)
    print(
        f"  slowest: {urls[slowest]} ({timings[slowest]:.0f} ms); full garbage collections "
        f"during the {len(urls)}: {len(collections)}, {sum(collections):.0f} ms in all"
    )
    if ARGS.profile or percentile(timings, 0.95) > PAGE_TARGET_MS:
        profile(lambda: client.get(urls[slowest]))


# The service's steps, timed by wrapping them for one run (read-only: nothing is changed).
PHASES = {
    "schools_feed.services.offrolling": [
        "_stored_references",
        "_exit_groups",
        "_exit_counts",
        "_roll_counts",
        "_home_education_exits",
        "_indicators_replace",
        "_alerts_raise",
    ],
    "schools_feed.offrolling.compute": ["compute"],
}


def phase_timings(call) -> None:
    """One call with each step of the recompute timed (no profiler overhead)."""
    import importlib

    spent: dict[str, float] = {}
    patched = []

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    for module_name, names in PHASES.items():
        module = importlib.import_module(module_name)
        for name in names:
            if hasattr(module, name):
                patched.append((module, name, getattr(module, name)))
                setattr(module, name, timed(name, getattr(module, name)))
    try:
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
    finally:
        for module, name, original in patched:
            setattr(module, name, original)
    steps = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in spent.items())
    print(f"phases ({elapsed * 1000:.0f} ms in all): {steps}")


def profile(call) -> None:
    """Where one call's time goes: its steps, then Python's profile and the slowest SQL."""
    phase_timings(call)
    profile_call(call)


if __name__ == "__main__":
    main()
