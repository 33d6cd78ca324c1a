"""python manage.py apply_retention [--dry-run] [--as-at YYYY-MM-DD]

Anonymise the children whose records have passed the retention schedule, then the rows of
schools' returns past it, as the nightly tasks do (docs/rules/data-protection.md §4). ``--dry-run``
counts who would be anonymised and who is kept (and why), changes nothing, and records the dry
run. Prints counts, never a name. It lives in the schools feed, the layer that sees both.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from registry.services.retention import retention_apply
from schools_feed.services.retention import notifications_anonymise


class Command(BaseCommand):
    help = "Anonymise the children, and rows of returns, past the retention schedule."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count only; change nothing.")
        parser.add_argument("--as-at", help="Count the periods to this day (default today).")

    def handle(self, *args, dry_run: bool = False, as_at: str | None = None, **options):
        try:
            on = date.fromisoformat(as_at) if as_at else None
        except ValueError:
            raise CommandError(
                f"--as-at must be a date written YYYY-MM-DD, not {as_at!r}"
            ) from None
        by = "manage.py apply_retention"
        run = retention_apply(on=on, dry_run=dry_run, triggered_by=by)
        if run is None:
            raise CommandError("Another retention run is going; try again when it has finished.")
        verb = "would be anonymised" if dry_run else "anonymised"
        self.stdout.write(f"As at {run.as_at}: {run.children_anonymised} children {verb}.")
        for kind, count in sorted(run.records.items()):
            self.stdout.write(f"  {kind}: {count}")
        for why, count in sorted(run.kept.items()):
            self.stdout.write(f"  kept ({why.replace('_', ' ')}): {count}")
        rows = notifications_anonymise(on=run.as_at, dry_run=dry_run, triggered_by=by)
        self.stdout.write(f"Rows of schools' returns {verb}: {rows}.")
