"""Benchmark: register search and the child's record at county scale on PostgreSQL.

Builds (or reuses) a county-scale demo database, then times the real request path (URL routing,
middleware, gates, templates) through Django's test client:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehe_register_bench DEBUG=true \
        .venv/bin/python bench/register_bench.py [--requests 200] [--reseed]

Targets (issue 2): p95 ≤ 150 ms for search and for the child's record over ≥ 200 requests each;
seed_demo --scale county under 10 minutes. Record results in docs/benchmarks.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from registry.models import Address, Child, EHEEpisode, User  # noqa: E402
from tests.factories import sign_in  # noqa: E402


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed_gets(client: Client, urls: list[str]) -> list[float]:
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def timed_searches(client: Client, searches: list[dict]) -> list[float]:
    """Each search as the page does it: POST the criteria, follow to the results by search id
    (names never travel in a URL). Both requests are timed: the officer waits for both."""
    timings = []
    for criteria in searches:
        started = time.perf_counter()
        response = client.post(reverse("registry:child-list"), criteria, follow=True)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, criteria
        assert response.redirect_chain, (criteria, response.context["form"].errors)
        assert response.resolver_match.url_name == "child-list", criteria
    return timings


def report(name: str, timings: list[float]) -> None:
    print(
        f"{name:<28} n={len(timings):>4}  p50={statistics.median(timings):7.1f} ms  "
        f"p95={percentile(timings, 0.95):7.1f} ms  max={max(timings):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--scale", default="county")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL")
    call_command("migrate", verbosity=0)
    if args.reseed or not Child.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", "--scale", args.scale, "--reset")
        print(f"seed_demo --scale {args.scale}: {time.perf_counter() - started:.0f} s")
    print(f"children in the register: {Child.objects.count():,}")

    rng = random.Random(1)
    client = Client(HTTP_HOST="localhost")
    # As the sign-in pages would: the password, then the administrator's second factor.
    sign_in(client, User.objects.get(username="administrator"))
    surnames = list(Child.objects.values_list("legal_surname", flat=True)[:5000])
    postcodes = list(
        Address.objects.filter(postcode__contains=" ").values_list("postcode", flat=True)[:5000]
    )

    def slip(name: str) -> str:  # a letter left out, as an officer typing fast might
        at = rng.randrange(1, len(name)) if len(name) > 1 else 0
        return (name[:at] + name[at + 1 :]).lower()

    searches = [
        rng.choice(
            [
                {"text": rng.choice(surnames)[:4].lower()},
                {"text": rng.choice(surnames).lower(), "episode_type": "ehe"},
                {"text": slip(rng.choice(surnames))},
                {"postcode": rng.choice(postcodes).split()[0]},
                {"status": "cme:enquiries_open"},
            ]
        )
        for _ in range(args.requests)
    ]
    busy = list(EHEEpisode.objects.values_list("child_id", flat=True)[:2000])
    record_urls = [
        reverse("registry:child-detail", args=[rng.choice(busy)]) for _ in range(args.requests)
    ]

    timed_searches(client, searches[:10])  # warm caches and connections
    timed_gets(client, record_urls[:10])
    timings = timed_searches(client, searches)
    report("register search", timings)
    by_kind = defaultdict(list)
    for criteria, taken in zip(searches, timings, strict=True):
        by_kind[", ".join(sorted(criteria))].append(taken)
    for kind, group in sorted(by_kind.items()):
        report(f"  by {kind}", group)
    report("child's record", timed_gets(client, record_urls))


if __name__ == "__main__":
    main()
