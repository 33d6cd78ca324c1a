"""Benchmark: writing notifications with history, bulk_create_with_history against COPY.

Builds N ``Notification`` rows (one School, one Submission) the way the intake does, then times
django-simple-history's ``bulk_create_with_history`` (batches of 500, as ``services.ingest``
calls it) and ``registry.bulk.bulk_insert_with_history`` (COPY) writing them with their history.
Each run is one transaction, rolled back afterwards, so the database is left as it was; the
time includes preparing every value, not building the instances.

    createdb -h 127.0.0.1 -U postgres ehe_bulk_bench
    export DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehe_bulk_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bulk_write_bench.py [--rows 20000] [--repeat 3]
"""

import argparse
import os
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from simple_history.utils import bulk_create_with_history  # noqa: E402

from registry.bulk import bulk_insert_with_history  # noqa: E402
from registry.models import Role, User  # noqa: E402
from registry.services.history import ChangeReason  # noqa: E402
from schools_feed.models import (  # noqa: E402
    Channel,
    Notification,
    NotificationKind,
    School,
    Submission,
)

BATCH_SIZE = 500


def fixtures() -> tuple[User, School, Submission]:
    user, _ = User.objects.get_or_create(
        username="bulk-bench", defaults={"role": Role.ADMINISTRATOR}
    )
    school, _ = School.objects.get_or_create(
        urn="199999", defaults={"la_code": "938", "name": "Bench Academy", "laestab": "9384999"}
    )
    submission, _ = Submission.objects.get_or_create(
        school=school, channel=Channel.CSV, file_name="bulk-bench.csv"
    )
    return user, school, submission


def notifications(rows: int, run: str, school: School, submission: Submission) -> list:
    built = []
    for n in range(rows):
        surname, forename = f"Surname{n % 997}", f"Forename{n % 389}"
        dob = date(2010, 9, 1) + timedelta(days=n % 3000)
        built.append(
            Notification(
                submission=submission,
                school=school,
                kind=NotificationKind.DELETION,
                natural_key=f"bench-{run}-{n}",
                row_number=n + 2,
                raw={
                    "School URN": school.urn,
                    "Surname": surname,
                    "Forename": forename,
                    "DOB": dob.isoformat(),
                    "Ground": "a",
                    "Address": f"{n} High Street, Worthing",
                },
                upn=f"H80120000{n % 10000:04d}",
                legal_forenames=forename,
                legal_surname=surname,
                date_of_birth=dob,
                sex="MF"[n % 2],
                address=f"{n} High Street",
                town="Worthing",
                postcode="BN11 1AA",
                parents=[{"name": f"Parent {n}", "relationship": "mother", "phone": "01903"}],
                nc_year=str(n % 11 + 1),
                fsm_eligible=bool(n % 3),
                legal_basis="2024",
                ground="a",
                deletion_date=date(2025, 10, 1),
                destination_reference="123456",
                exclusion_days=Decimal("1.5") if n % 10 == 0 else None,
                match_score=Decimal("0.912") if n % 2 else None,
                warnings=["Received after the deletion date"] if n % 7 == 0 else [],
            )
        )
    return built


def timed(write, rows: int, run: str, user, school, submission) -> float:
    objs = notifications(rows, run, school, submission)
    with transaction.atomic():
        started = time.perf_counter()
        write(objs, user)
        elapsed = time.perf_counter() - started
        written = Notification.objects.filter(natural_key__startswith=f"bench-{run}-").count()
        history = Notification.history.filter(natural_key__startswith=f"bench-{run}-").count()
        assert written == history == rows, (written, history)
        transaction.set_rollback(True)
    return elapsed


def library(objs, user):
    bulk_create_with_history(
        objs,
        Notification,
        batch_size=BATCH_SIZE,
        default_user=user,
        default_change_reason=ChangeReason.SCHOOL_FEED,
    )


def copy_writer(objs, user):
    bulk_insert_with_history(objs, Notification, user=user, reason=ChangeReason.SCHOOL_FEED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: COPY is PostgreSQL's.")
    # DEBUG (for start-up without a SECRET_KEY) would log every query: time the writers only.
    settings.DEBUG = False

    user, school, submission = fixtures()
    writers = {"bulk_create_with_history": library, "bulk_insert_with_history": copy_writer}
    best = dict.fromkeys(writers, float("inf"))
    # Warm up (connection, caches), then alternate so neither writer always goes first.
    timed(copy_writer, 500, "warm", user, school, submission)
    for repeat in range(args.repeat):
        order = list(writers) if repeat % 2 == 0 else list(reversed(writers))
        for name in order:
            elapsed = timed(writers[name], args.rows, name, user, school, submission)
            best[name] = min(best[name], elapsed)
            print(
                f"run {repeat + 1} {name:26} {args.rows:>7,} rows in {elapsed:6.2f}s "
                f"= {args.rows / elapsed:>8,.0f} rows/s ({elapsed / args.rows * 1e6:5.0f} µs/row)"
            )
    print()
    for name, elapsed in best.items():
        print(f"best  {name:26} {args.rows / elapsed:>8,.0f} rows/s (row + history row)")
    library_best, copy_best = best.values()
    print(f"COPY is {library_best / copy_best:.1f}x faster")


if __name__ == "__main__":
    main()
