"""python manage.py import_gias PATH: create or update schools from a GIAS extract."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schools_feed.intake.files import FileProblem
from schools_feed.services.schools import school_import_gias


class Command(BaseCommand):
    help = (
        "Import the GIAS establishment extract (edubasealldataYYYYMMDD.csv from Get Information "
        "about Schools). Schools are matched on URN, so running it again updates, never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The extract, a CSV file.")

    def handle(self, *args, path: Path, **options):
        try:
            result = school_import_gias(data=read_file(path), by=None)
        except FileProblem as problem:
            raise CommandError(f"{path}: {problem.message}") from problem
        for problem in result.rejected:
            self.stderr.write(str(problem))
        self.stdout.write(result.summary)


def read_file(path: Path) -> bytes:
    """The file's bytes, or a CommandError saying why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror or error}") from error
