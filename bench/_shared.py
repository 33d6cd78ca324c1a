"""What the benchmarks share: their own PostgreSQL database (created, rebuilt, marked with the
options its data was built with), peak memory, and profiling one call. Not a benchmark itself
(``make bench`` skips files starting with an underscore)."""

import cProfile
import pstats
import random
import resource
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

# The benchmarks' county, and the names their synthetic children are drawn from.
LA_CODE, LA_NAME = "938", "West Sussex"
TOWNS = [
    "Worthing", "Crawley", "Horsham", "Chichester", "Bognor Regis", "Haywards Heath",
    "Burgess Hill", "East Grinstead", "Littlehampton", "Shoreham", "Lancing", "Midhurst",
    "Petworth", "Steyning", "Arundel", "Selsey", "Billingshurst", "Henfield",
]  # fmt: skip
FORENAMES = [
    "Oliver", "Amelia", "George", "Isla", "Noah", "Ava", "Arthur", "Mia", "Leo", "Ivy",
    "Harry", "Freya", "Oscar", "Lily", "Archie", "Florence", "Henry", "Willow", "Theo", "Rosie",
    "Jack", "Sophia", "Charlie", "Evie", "Finley", "Grace", "Alfie", "Poppy", "Jacob", "Ella",
    "Muhammad", "Aisha", "Zoë", "Kacper", "Maja", "Tomás", "Chloé", "Seán", "Niamh", "Oluwaseun",
]  # fmt: skip
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Thomas", "Clarke", "Jackson", "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper",
    "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison", "Lewis", "Baker", "Lee",
    "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker", "James", "Bennett", "Young",
    "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh", "Shaw", "Bell",
    "Collins", "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall", "Simpson",
    "Price", "Anderson", "Adams", "Wilkinson", "Ali", "Ahmed", "Foster", "Ellis", "Murphy",
    "Chapman", "Mason", "Gray", "Richards", "Webb", "Griffiths", "Hunt", "Palmer", "Campbell",
    "Holmes", "Mills", "Rogers", "Barnes", "Knight", "Matthews", "Barker", "Powell", "Stevens",
    "Kaur", "Fisher", "O'Brien", "Kowalski", "Nowak", "Okafor", "Da Silva", "Ahmed-Khan",
]  # fmt: skip


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def create_database(url: str, rebuild: bool) -> None:
    """Create the benchmark's database if missing; drop it first with --rebuild."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = parts._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            if "bench" not in name:
                sys.exit(f"Refusing to drop {name!r}: only a database named *bench* is rebuilt.")
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def prepare_database(url: str, *, rebuild: bool, marker: str, holds_data, build) -> None:
    """Create and migrate the benchmark's database; reuse its data when it was built with the
    same options (``marker``), refuse to touch other data, else ``build()`` it."""
    if connection.vendor != "postgresql":
        sys.exit("The benchmark runs on PostgreSQL: give --database-url")
    create_database(url, rebuild)
    settings.DEBUG = False  # do not keep every query (DEBUG is only for start-up without a key)
    call_command("migrate", verbosity=0)
    if stored_marker() == marker:
        print(f"reusing the database: {marker}")
    elif holds_data():
        sys.exit(f"The database holds other data ({stored_marker()!r}): run with --rebuild.")
    else:
        build()
        print(f"peak memory after the build: {peak_memory_mb():,.0f} MiB")


def stored_marker() -> str:
    """The options the database's data was built with (a comment on the database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = current_database()"
        )
        return cursor.fetchone()[0] or ""


def store_marker(marker: str) -> None:
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON DATABASE {name} IS %s", [marker])


def profile_call(call, *, functions: int = 20, queries: int = 5, plans: int = 1) -> None:
    """Where one call's time goes: Python's profile, the slowest SQL and its plan."""
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        profiler.runcall(call)
        elapsed = time.perf_counter() - started
    sql_time = sum(float(q["time"]) for q in captured.captured_queries)
    print(
        f"profiled: {elapsed:.2f} s under cProfile, {len(captured.captured_queries)} queries "
        f"taking {sql_time:.2f} s"
    )
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"schools_feed|registry", functions)
    stats.sort_stats("tottime").print_stats(15)
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:queries]
    for query in slowest:
        print(f"{float(query['time']) * 1000:9.1f} ms  {query['sql'][:400]}")
    for query in slowest[:plans]:
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0][:300] for row in cursor.fetchall()))
    print()
