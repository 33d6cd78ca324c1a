"""python manage.py offrolling_export PATH [--unsuppressed]

The current off-rolling indicators (every school, indicator and period) to PATH, and the alerts
to the file beside it named with "-alerts" before the suffix (out.csv -> out-alerts.csv).
Numbers under 3 are suppressed unless --unsuppressed (for analysts inside the LA only).
Formula-safe CSV, streamed from the database.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schools_feed.offrolling.export import offrolling_export


class Command(BaseCommand):
    help = (
        "Export the current off-rolling indicators to PATH and the alerts to PATH with -alerts "
        "before the suffix. Numbers under 3 are suppressed unless --unsuppressed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--unsuppressed",
            action="store_true",
            help="Exact small numbers and the alerts' own explanations: for analysts inside the "
            "LA only; the file must not leave the LA.",
        )

    def handle(self, *args, path: Path, unsuppressed: bool = False, **options):
        try:
            result = offrolling_export(path=path, suppressed=not unsuppressed)
        except OSError as error:
            raise CommandError(f"Could not write the export: {error}") from error
        how = "small numbers suppressed" if result.suppressed else "UNSUPPRESSED: keep in the LA"
        self.stdout.write(
            f"{result.indicators} indicator rows written to {result.indicators_path} and "
            f"{result.alerts} alerts to {result.alerts_path} ({how})."
        )
