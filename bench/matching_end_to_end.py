"""Benchmark: the quality benchmark's messy returns sent through the real upload path.

``bench/matching_quality.py`` calls the matcher directly. This script builds the same generated
register in a database (children and their current addresses, written with history as the
migration writes them), writes the same returns as a deletion-return CSV, and sends it through
the path an upload takes (``intake.submission_preview`` then ``submission_process``: the row
checks, blocking in SQL, Splink, the safety rules, new children, routing). It then reads each
row's outcome back from the database: linked to the right child, linked to another, put to an
officer (and whether the right child is among the candidates listed), or a new child. So a
difference between the benchmark's blocking and the register's, or a rule only the write path
applies, shows as a difference between the two scripts' figures.

The database must be migrated and hold no children (a throwaway one):

    DATABASE_URL=sqlite:////tmp/e2e.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/e2e.sqlite3 DEBUG=true .venv/bin/python \\
        bench/matching_end_to_end.py [--seed 1] [--error-scale 1] [--children 20000]
"""

import argparse
import os
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("MEDIA_ROOT", "/tmp/ehe-bench-media")

import django  # noqa: E402

django.setup()

import matching_quality as quality  # noqa: E402
from django.utils import timezone  # noqa: E402

from registry.bulk import bulk_insert_with_history  # noqa: E402
from registry.csv_output import write_csv  # noqa: E402
from registry.models import Address, Child, School  # noqa: E402
from registry.names import address_key  # noqa: E402
from registry.services.children import child_build  # noqa: E402
from schools_feed.models import Notification, NotificationStatus  # noqa: E402
from schools_feed.services import intake  # noqa: E402

URN = "900001"
HEADERS = [
    "School URN",
    "UPN",
    "Surname",
    "Forename",
    "Middle names",
    "Preferred forename",
    "DOB",
    "Sex",
    "Address",
    "Postcode",
    "Parent 1 full name",
    "Parent 1 emergency phone",
    "Ground",
    "Date of deletion",
    "Parent notice date",
]


def register_write(children) -> dict:
    """The generated children as register children; their keys by the register's ids."""
    School.objects.get_or_create(
        urn=URN,
        defaults={
            "la_code": quality.LA_CODE,
            "name": "Generated All-through School",
            "is_local": True,
            "statutory_low_age": 4,
            "statutory_high_age": 18,
        },
    )
    built, addresses, keys = [], [], {}
    on = timezone.localdate() - timedelta(days=400)
    for record in children:
        forename, _, middle = record.forenames.partition(" ")
        child = child_build(
            legal_forenames=forename,
            middle_names=middle,
            legal_surname=record.surname,
            former_surnames=" ".join(record.other_surnames),
            preferred_forename=record.preferred_forename,
            date_of_birth=record.date_of_birth,
            sex=record.sex or "U",
            upn=record.upn,
            created_at=timezone.now(),
        )
        built.append(child)
        keys[child.pk] = record.key
        line = quality.with_first_line(record).address
        addresses.append(
            Address(
                child=child,
                line_1=line,
                line_key=address_key(line),
                postcode=record.postcode,
                valid_from=on,
            )
        )
    bulk_insert_with_history(built, Child, user=None, reason="Generated register")
    bulk_insert_with_history(addresses, Address, user=None, reason="Generated register")
    return keys


def returns_csv(returns) -> bytes:
    today = timezone.localdate()
    rows = []
    for position, (record, _key, _labels) in enumerate(returns):
        forename, _, middle = record.forenames.partition(" ")
        rows.append(
            [
                URN,
                record.upn,
                record.surname,
                forename,
                " ".join(part for part in (middle, record.middle_names) if part),
                record.preferred_forename,
                record.date_of_birth.strftime("%d/%m/%Y") if record.date_of_birth else "",
                record.sex,
                quality.with_first_line(record).address,
                record.postcode,
                f"Parent {record.surname}",
                "07700900123",
                "g",  # moved away, too far to attend
                # A child drawn twice is deleted on two days, not sent twice (ADR 0004's key).
                (today - timedelta(days=position % 90)).strftime("%d/%m/%Y"),
                "",
            ]
        )
    return write_csv(HEADERS, rows)


def outcomes(submission, returns, keys) -> tuple[Counter, Counter]:
    """What became of each row, against the truth: the counts, and the reviews by the kind of
    return and the reason given."""
    by_row = {n.row_number: n for n in Notification.objects.filter(submission=submission)}
    counts: Counter = Counter()
    reviews: Counter = Counter()
    for position, (_record, true_key, labels) in enumerate(returns, start=2):
        notification = by_row.get(position)
        if notification is None:
            counts["refused or a duplicate row"] += 1
            counts["existing, not imported"] += true_key is not None
            continue
        existing = true_key is not None
        if notification.status == NotificationStatus.REVIEW:
            listed = {keys.get(UUID(c["child"])) for c in notification.match_candidates or ()}
            counts["review"] += 1
            why = notification.match_explanation.partition(": ")[2]
            reviews[("on the register" if existing else labels[0], why[:70])] += 1
            counts["found"] += existing and true_key in listed
            continue
        linked = keys.get(notification.child_id)
        if linked is None:  # a new child (or one made earlier in this file)
            counts["new"] += 1
            counts["existing called new" if existing else "new called new"] += 1
        else:
            counts["link"] += 1
            counts["right link" if linked == true_key else "wrong link"] += 1
            counts["found"] += linked == true_key
    counts["existing"] = sum(1 for _r, key, _l in returns if key is not None)
    return counts, reviews


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--incoming", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--error-scale", type=float, default=1.0)
    parser.add_argument("--family-middle-names", type=float, default=0.0)
    options = parser.parse_args()
    assert not Child.objects.exists(), "Use a new, migrated database: this one holds children"
    world = quality.World(options.seed, options.error_scale, options.family_middle_names)
    children, households = quality.make_register(world, options.children)
    returns = quality.generated_returns(world, children, households, options.incoming)
    started = time.perf_counter()
    keys = register_write(children)
    print(f"register: {len(children):,} children written in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    submission = intake.submission_preview(
        school=None, by=None, file_name="generated.csv", data=returns_csv(returns)
    )
    submission.status = "queued"
    submission.save(update_fields=["status"])
    submission = intake.submission_process(submission_id=submission.pk)
    print(
        f"file: {submission.rows_read:,} rows, {submission.imported:,} imported, "
        f"{submission.errors} refused, {submission.duplicates} duplicates, "
        f"in {time.perf_counter() - started:.1f} s"
    )
    refusals = Counter(
        f"{problem['column']}: {problem['message'][:40]}"
        for problem in submission.problems
        if problem["level"] == "error"
    )
    for refusal, count in refusals.most_common(5):
        print(f"    refused: {count:>5} {refusal}")
    counts, reviews = outcomes(submission, returns, keys)
    imported = counts["link"] + counts["review"] + counts["new"]
    print(
        f"precision of automatic links: {100 * counts['right link'] / counts['link']:.2f}% "
        f"({counts['wrong link']} wrong of {counts['link']:,})"
    )
    imported_existing = counts["existing"] - counts["existing, not imported"]
    print(
        f"recall (links + review), existing children: "
        f"{100 * counts['found'] / counts['existing']:.2f}% of all, "
        f"{100 * counts['found'] / imported_existing:.2f}% of those the checks let in"
    )
    print(f"review-queue rate (rows imported): {100 * counts['review'] / imported:.2f}%")
    for (kind, why), count in sorted(reviews.items()):
        print(f"    review: {count:>4} {kind}: {why}")
    print(
        f"existing children called new: {counts['existing called new']}; "
        f"rows not imported: {counts['refused or a duplicate row']}"
    )


if __name__ == "__main__":
    main()
