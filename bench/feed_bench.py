"""Benchmark: a 100,000-row deletion-return CSV against a 500,000-child register, on PostgreSQL.

The file goes through the real path an upload takes: the file layer, the pure row parser, the
register checks and duplicates (``submission_preview``), then matching, new children, routing and
the writes with history (``submission_process``, as the Celery task runs it). It then runs a slice
of the same file through a plain per-row django-import-export import for comparison.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehe_register_bench DEBUG=true \
        .venv/bin/python bench/feed_bench.py [--rows 100000] [--plain-rows 2000]

The register must hold at least 500,000 children first: ``seed_demo --scale county`` builds it.
Targets (issue 3): at least 5,000 rows a second end to end; peak memory at most 1 GB.
"""

import argparse
import os
import random
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("MEDIA_ROOT", "/tmp/ehe-bench-media")

import django  # noqa: E402

django.setup()

import tablib  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from faker.providers.person.en_GB import Provider as EnGbNames  # noqa: E402

from registry.csv_output import write_csv  # noqa: E402
from registry.models import Child  # noqa: E402
from schools_feed import linkage  # noqa: E402
from schools_feed.models import Notification, School, Submission  # noqa: E402
from schools_feed.resources import NotificationRowResource  # noqa: E402
from schools_feed.selectors import CandidateIndex  # noqa: E402
from schools_feed.services import ingest, intake  # noqa: E402

# Where the import's time goes: each step's own function, timed where the import calls it.
STEPS: dict[str, float] = {}


def timed(owner, name: str, step: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            STEPS[step] = STEPS.get(step, 0.0) + time.perf_counter() - started

    setattr(owner, name, wrapper)


for owner, name, step in (
    (ingest, "_match", "matching (all of it)"),
    (CandidateIndex, "load_for", "  reading the register's candidates"),
    (linkage, "score_pair_arrays", "  Splink's scoring call (DuckDB)"),
    (ingest, "routing_plan", "routing"),
    (ingest, "_write", "writing returns and new children"),
    (ingest, "plan_apply", "applying the routing plan"),
):
    timed(owner, name, step)

HEADERS = [
    "School URN",
    "UPN",
    "Surname",
    "Forename",
    "DOB",
    "Sex",
    "Address",
    "Postcode",
    "Parent 1 full name",
    "Parent 1 emergency phone",
    "Ground",
    "Date of deletion",
    "Parent notice date",
    "Destination URN",
    "New address",
]
# Roughly the mix of grounds an LA sees (most leavers go to another school).
GROUNDS = (
    ["a"] * 60
    + ["f"] * 10
    + ["g"] * 8
    + ["i"] * 5
    + ["h"] * 2
    + ["l"] * 5
    + ["k"] * 1
    + ["o"] * 2
    + ["n"] * 3
    + ["j"] * 1
    + ["c"] * 3
)
TYPOS = {"a": "e", "e": "a", "i": "y", "o": "u", "n": "m", "l": "ll"}


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def with_typo(name: str, rng: random.Random) -> str:
    for position in rng.sample(range(len(name)), len(name)):
        if name[position].lower() in TYPOS:
            return name[:position] + TYPOS[name[position].lower()] + name[position + 1 :]
    return name


SURNAMES = tuple(EnGbNames.last_names)
BOYS, GIRLS = tuple(EnGbNames.first_names_male), tuple(EnGbNames.first_names_female)


def new_home(rng: random.Random) -> tuple[str, str]:
    """A first line and a postcode in one of a county's districts."""
    street = rng.choice(SURNAMES)
    road = rng.choice(["Road", "Street", "Close", "Avenue", "Lane", "Way"])
    inward = (
        f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXY')}{rng.choice('ABDEFGHJLNPQRSTUWXY')}"
    )
    return f"{rng.randint(1, 120)} {street} {road}", f"CB{rng.randint(1, 25)} {inward}"


def build_rows(count: int, rng: random.Random) -> list[list[str]]:
    """70% children already on the register (some with a typo, some without their UPN), 30% new."""
    schools = list(School.objects.filter(is_local=True).values_list("urn", flat=True))
    existing = list(
        Child.objects.order_by("?").values_list(
            "upn", "legal_surname", "legal_forenames", "date_of_birth", "sex"
        )[: int(count * 0.7)]
    )
    today = timezone.localdate()
    rows = []
    for index in range(count):
        if index < len(existing):
            upn, surname, forename, dob, sex = existing[index]
            street, postcode = f"{rng.randint(1, 200)} Station Road", "CB7 9QT"  # moved
            if rng.random() < 0.1:
                surname = with_typo(surname, rng)
            if rng.random() < 0.2:
                upn = ""
        else:
            # A child new to the LA, named and housed as children are: distinct families at
            # their own addresses, so the register's check for children recorded twice sees no
            # more of them than real returns bring.
            upn, sex = "", rng.choice("MF")
            surname = rng.choice(SURNAMES)
            forename = rng.choice(BOYS if sex == "M" else GIRLS)
            dob = today - timedelta(days=rng.randint(6 * 365, 15 * 365))
            street, postcode = new_home(rng)
        ground = rng.choice(GROUNDS)
        deleted = today - timedelta(days=rng.randint(0, 20))
        rows.append(
            [
                rng.choice(schools),
                upn,
                surname,
                forename,
                dob.strftime("%d/%m/%Y"),
                sex,
                street,
                postcode,
                f"Parent {surname}",
                "07700900123",
                ground,
                deleted.strftime("%d/%m/%Y"),
                (deleted - timedelta(days=3)).strftime("%d/%m/%Y") if ground == "f" else "",
                rng.choice(schools) if ground in ("a", "c") else "",
                "12 New Street, Leeds" if ground == "g" and rng.random() < 0.5 else "",
            ]
        )
    return rows


def run_pipeline(data: bytes) -> dict:
    started = time.perf_counter()
    submission = intake.submission_preview(school=None, by=None, file_name="bench.csv", data=data)
    checked_at = time.perf_counter()
    Submission.objects.filter(pk=submission.pk).update(status="queued")
    submission = intake.submission_process(submission_id=submission.pk)
    finished = time.perf_counter()
    return {
        "rows": submission.rows_read,
        "imported": submission.imported,
        "errors": submission.errors,
        "duplicates": submission.duplicates,
        "check_s": checked_at - started,
        "write_s": finished - checked_at,
        "total_s": finished - started,
    }


def run_plain_import_export(rows: list[list[str]]) -> float:
    """The same rows through a per-row django-import-export import: no matching, no routing."""
    submission = Submission.objects.create(channel="csv", status="imported", school=None)
    schools = dict(School.objects.values_list("urn", "pk"))
    dataset = tablib.Dataset(headers=list(NotificationRowResource.Meta.fields))
    stamp = f"{time.time()}"
    for index, row in enumerate(rows):
        day, month, year = row[4].split("/")
        deleted_day, deleted_month, deleted_year = row[11].split("/")
        dataset.append(
            [
                f"plain-{stamp}-{index}",
                row[1],
                row[2],
                row[3],
                f"{year}-{month}-{day}",
                row[5],
                row[6],
                row[7],
                row[10],
                f"{deleted_year}-{deleted_month}-{deleted_day}",
                schools[row[0]],
                str(submission.pk),
                "deletion",
            ]
        )
    started = time.perf_counter()
    result = NotificationRowResource().import_data(dataset, dry_run=False, use_transactions=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors(), result.row_errors()[:1]
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--plain-rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    assert connection.vendor == "postgresql", "Run against PostgreSQL (set DATABASE_URL)"
    children = Child.objects.count()
    print(f"register: {children:,} children; file: {options.rows:,} deletion-return rows")
    if children < 500_000:
        print("warning: fewer than 500,000 children (run seed_demo --scale county first)")
    rng = random.Random(options.seed)
    rows = build_rows(options.rows, rng)
    data = write_csv(HEADERS, rows)
    # The generated rows are the bench's, not the import's: a worker holds only the file.
    plain_rows = rows[: options.plain_rows]
    del rows
    print(f"file: {len(data) / 1e6:.1f} MB")
    before = Notification.objects.count()
    figures = run_pipeline(data)
    rate = figures["rows"] / figures["total_s"]
    print(
        f"register pipeline: {figures['rows']:,} rows, {figures['imported']:,} imported, "
        f"{figures['errors']} errors, {figures['duplicates']} duplicates; "
        f"check {figures['check_s']:.1f} s, match+route+write {figures['write_s']:.1f} s, "
        f"total {figures['total_s']:.1f} s = {rate:,.0f} rows/s; "
        f"peak memory {peak_memory_mb():,.0f} MB"
    )
    for step, seconds in STEPS.items():
        print(f"  {step}: {seconds:.2f} s")
    assert Notification.objects.count() - before == figures["imported"]
    plain_rate = run_plain_import_export(plain_rows)
    print(
        f"plain per-row django-import-export ({options.plain_rows:,} rows): "
        f"{plain_rate:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
