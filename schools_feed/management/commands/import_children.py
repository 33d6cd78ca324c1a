"""python manage.py import_children PATH

Load an LA's existing EHE/CME register (one row per episode) from CSV or XLSX, matching and
de-duplicating children as returns are. All or nothing: problems are listed and nothing is saved.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schools_feed.intake.files import FileProblem
from schools_feed.services.migration import register_migrate


class Command(BaseCommand):
    help = "Migrate an existing EHE/CME register (children, episodes, last contacts) from a file."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            result = register_migrate(file_name=path, data=Path(path).read_bytes())
        except FileProblem as problem:
            raise CommandError(problem.message) from problem
        for problem in result.problems:
            self.stderr.write(problem)
        if result.problems:
            raise CommandError(f"{len(result.problems)} problems: nothing was imported")
        self.stdout.write(
            f"rows read {result.rows}, episodes {result.episodes}, children created "
            f"{result.children_created}, rows matched to a known child {result.children_matched}"
        )
