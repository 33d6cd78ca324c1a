"""python manage.py import_rolls PATH [--accept-valid-rows]: school rolls by census and NC year."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schools_feed.intake.files import FileProblem
from schools_feed.management.commands.import_gias import read_file
from schools_feed.services.schools import school_roll_import


class Command(BaseCommand):
    help = (
        "Import school rolls from a CSV or XLSX file: URN (or LAESTAB), census date, NC year, "
        "number on roll, and optionally FSM, SEN support and EHCP counts. When any row is "
        "rejected nothing is imported, unless --accept-valid-rows is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The rolls file, CSV or XLSX.")
        parser.add_argument(
            "--accept-valid-rows",
            action="store_true",
            help="Import the valid rows even when some rows are rejected.",
        )

    def handle(self, *args, path: Path, accept_valid_rows: bool, **options):
        try:
            result = school_roll_import(
                data=read_file(path), by=None, accept_valid_rows=accept_valid_rows
            )
        except FileProblem as problem:
            raise CommandError(f"{path}: {problem.message}") from problem
        for problem in result.rejected:
            self.stderr.write(str(problem))
        if not result.written:
            # A non-zero exit, so a scheduled import that changed nothing is noticed.
            raise CommandError(result.summary)
        self.stdout.write(result.summary)
