"""python manage.py import_school_calendar --terms FILE | --closures FILE

Imports the LA's term dates, or its INSET and closure days, from a CSV file (columns in
registry/services/calendar.py and docs/rules/registration.md §5.3). A file with any problem
changes nothing: each problem is printed by row, column and value, and the command fails.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.services.calendar import (
    CalendarFileProblem,
    calendar_import_closures,
    calendar_import_terms,
)


class Command(BaseCommand):
    help = "Import the LA's term dates (--terms) or INSET and closure days (--closures) from CSV."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--terms", type=Path, help="CSV: Term, First day, Last day.")
        which.add_argument(
            "--closures",
            type=Path,
            help="CSV: URN (blank for every school), Date, Kind, Description.",
        )

    def handle(self, *args, terms: Path | None, closures: Path | None, **options):
        path = terms or closures
        run = calendar_import_terms if terms else calendar_import_closures
        try:
            result = run(data=path.read_bytes(), by=None)
        except OSError as unreadable:
            raise CommandError(f"Cannot read {path}: {unreadable.strerror}") from None
        except CalendarFileProblem as problem:
            raise CommandError(f"{path}: {problem.message}") from None
        for rejected in result.rejected:
            self.stderr.write(
                f"Row {rejected.row}, column {rejected.column}, value {rejected.value!r}: "
                f"{rejected.message}"
            )
        if result.rejected:
            raise CommandError(result.summary)
        self.stdout.write(result.summary)
