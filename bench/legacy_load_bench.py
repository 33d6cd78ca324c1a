"""Benchmark: loading an LA's legacy register (``import_children``) against the county register.

The file is one row per episode, as a legacy system exports it: half the rows are about children
already on the register (a closed home-education episode each, a tenth of them with a forename
typed wrongly), the rest about children the register does not know, two rows each (a closed
home-education episode, then an open CME case). It goes through ``register_migrate``, the path
the command takes, inside a transaction that is rolled back, so the register is left as it was.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehe_register_bench DEBUG=true \
        .venv/bin/python bench/legacy_load_bench.py [--rows 20000]

No target is set (a migration runs once); it shows the load scales with the file.
"""

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from faker.providers.person.en_GB import Provider as EnGbNames  # noqa: E402

from registry.csv_output import write_csv  # noqa: E402
from registry.models import Child, CMEEpisode, EHEEpisode  # noqa: E402
from schools_feed.services.migration import register_migrate  # noqa: E402

HEADERS = ["UPN", "Surname", "Forename", "DOB", "Sex", "Register", "Status", "Start date"]
HEADERS += ["End date"]
CLOSED_EHE = ["EHE", "Returned to school", "01/09/2023", "01/03/2024"]
OPEN_CME = ["CME", "Enquiries open", "01/10/2025", ""]


def with_typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name)) if len(name) > 2 else 0
    return name[:i] + rng.choice("aeiou") + name[i + 1 :]


def known_rows(count: int, rng: random.Random) -> list[list[str]]:
    """Children on the register with no episode yet, born 2012-2018 (of school age then)."""
    children = (
        Child.objects.filter(date_of_birth__year__range=(2012, 2018), upn__gt="")
        .exclude(pk__in=EHEEpisode.objects.values("child_id"))
        .exclude(pk__in=CMEEpisode.objects.values("child_id"))
        .values_list("upn", "legal_surname", "legal_forenames", "date_of_birth", "sex")
        .order_by("pk")[: count * 3]
    )
    chosen = rng.sample(list(children), count)
    rows = []
    for upn, surname, forenames, born, sex in chosen:
        forename = with_typo(forenames, rng) if rng.random() < 0.1 else forenames
        rows.append([upn, surname, forename, born.strftime("%d/%m/%Y"), sex, *CLOSED_EHE])
    return rows


def new_rows(count: int, rng: random.Random) -> list[list[str]]:
    rows = []
    for _child in range(count // 2):
        sex = rng.choice("MF")
        names = EnGbNames.first_names_male if sex == "M" else EnGbNames.first_names_female
        surname = rng.choice(list(EnGbNames.last_names))
        forename = rng.choice(list(names))
        born = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2012, 2016)}"
        person = ["", surname, forename, born, sex]
        rows += [[*person, *CLOSED_EHE], [*person, *OPEN_CME]]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = known_rows(args.rows // 2, rng) + new_rows(args.rows - args.rows // 2, rng)
    data = write_csv(HEADERS, rows)
    print(f"register: {Child.objects.count():,} children; legacy file: {len(rows):,} rows")
    start = time.perf_counter()
    with transaction.atomic():
        result = register_migrate(file_name="legacy.csv", data=data)
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"loaded in {elapsed:.1f} s = {len(rows) / elapsed:.0f} rows/s; peak memory {peak:.0f} MB"
    )
    print(
        f"episodes {result.episodes:,}, children created {result.children_created:,}, rows"
        f" matched to a known child {result.children_matched:,}, problems {len(result.problems):,}"
    )
    for problem in result.problems[:5]:
        print("  ", problem)


if __name__ == "__main__":
    main()
