"""python manage.py offrolling_export PATH [--unsuppressed]"""

from pathlib import Path

from django.core.management.base import BaseCommand

from schools_feed.offrolling.export import alerts_csv, alerts_path, indicators_csv


class Command(BaseCommand):
    help = (
        "Write the current off-rolling indicators to PATH and the alerts beside it "
        "(PATH-alerts.csv). Numbers under 3 are suppressed unless --unsuppressed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--unsuppressed",
            action="store_true",
            help="Exact small numbers and the alerts' explanations: for the LA's analysts only.",
        )

    def handle(self, *args, path: Path, unsuppressed=False, **options):
        suppressed = not unsuppressed
        indicators, indicator_count = indicators_csv(suppressed=suppressed)
        alerts, alert_count = alerts_csv(suppressed=suppressed)
        path.write_bytes(indicators)
        alerts_path(path).write_bytes(alerts)
        note = "small numbers suppressed" if suppressed else "unsuppressed: keep within the LA"
        self.stdout.write(
            f"{indicator_count:,} indicators written to {path} and {alert_count:,} alerts to "
            f"{alerts_path(path)} ({note})."
        )
