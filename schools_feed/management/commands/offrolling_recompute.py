"""python manage.py offrolling_recompute [--school URN] [--as-of YYYY-MM-DD]"""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from registry.dates import date_words
from schools_feed.models import School
from schools_feed.services.offrolling import RunInProgress, offrolling_recompute


class Command(BaseCommand):
    help = (
        "Recompute the off-rolling indicators and raise new alerts, for every local school or "
        "one. Safe to run again: it replaces the indicators and raises no alert twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", metavar="URN", help="Recompute this school only.")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="Count only what the register had received by this date (default: today).",
        )

    def handle(self, *args, school=None, as_of=None, **options):
        chosen = None
        if school:
            chosen = School.objects.filter(urn=school, is_local=True).first()
            if chosen is None:
                raise CommandError(f"No local school has the URN {school}.")
        started = time.monotonic()
        try:
            run = offrolling_recompute(school=chosen, as_of=as_of, triggered_by="command")
        except RunInProgress as busy:
            raise CommandError(
                "Another recompute is running: try again when it has finished."
            ) from busy
        scope = str(run.school) if run.school else "every local school"
        self.stdout.write(
            f"Recomputed {scope} as at {date_words(run.as_of, short_month=True)} "
            f"(method {run.method_version}): "
            f"{run.indicators:,} indicators, {run.alerts_raised:,} new alerts, "
            f"in {time.monotonic() - started:.1f} s."
        )
