"""python manage.py quarterly_pack --quarter 2025-Q3 --out DIR

Produces the DCS quarterly pack for a calendar quarter (figures as at its last day), freezes it
as a snapshot and writes the snapshot's pack.pdf, pack.xlsx and pack.csv to DIR.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registry.dates import date_words
from registry.reporting.output import write_files_atomically
from registry.reporting.pack import parse_quarter
from registry.services.quarterly_pack import quarterly_pack_produce


class Command(BaseCommand):
    help = (
        "Produce the DCS quarterly pack for --quarter (e.g. 2025-Q3: July to September 2025), "
        "keep it as a snapshot and write pack.pdf, pack.xlsx and pack.csv to --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="YEAR-QN, for example 2025-Q3.")
        parser.add_argument("--out", required=True, type=Path, help="Directory for the files.")

    def handle(self, *args, quarter: str, out: Path, **options):
        try:
            key = parse_quarter(quarter, ended_by=timezone.localdate()).key
        except ValueError as error:
            raise CommandError(str(error)) from error
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Could not create {out}: {error}") from error
        started = time.monotonic()
        snapshot = quarterly_pack_produce(quarter=key, by=None)
        files = {file.name: bytes(file.content) for file in snapshot.files.order_by("name")}
        write_files_atomically(out, files)
        names = list(files)
        self.stdout.write(
            f"Quarterly pack {snapshot.period} as at {date_words(snapshot.as_at)}: snapshot "
            f"{snapshot.pk}; {', '.join(names)} written to {out} in "
            f"{time.monotonic() - started:.1f} s."
        )
