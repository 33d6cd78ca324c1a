"""python manage.py import_notifications PATH [--school URN] [--dry-run]

For administrators: a CSV, XLSX or CTF file (detected), through the same layers as an upload.
Valid rows are imported and rejected rows reported; the summary is one line.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from schools_feed.intake.files import FileProblem
from schools_feed.models import School, Submission
from schools_feed.services import intake


class Command(BaseCommand):
    help = (
        "Import deletion returns, new pupil returns and other returns from a CSV, XLSX or CTF file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--school", help="URN of the school that sent the file")
        parser.add_argument(
            "--return-type", default="", help="When the file has no Return type column"
        )
        parser.add_argument("--dry-run", action="store_true", help="Check only; change nothing")

    def handle(self, *args, path, school, return_type, dry_run, **options):
        data = Path(path).read_bytes()
        sending = None
        if school:
            sending = School.objects.filter(urn=school).first()
            if sending is None:
                raise CommandError(f"No school with URN {school} in the register (GIAS)")
        try:
            if dry_run:
                found = intake.file_rows(
                    file_name=path, data=data, school=sending, return_type=return_type
                )
                checked = intake.rows_check(
                    rows=found.rows,
                    return_type=found.return_type,
                    school=sending,
                    user=None,
                    received_on=timezone.localdate(),
                )
                submission = Submission(rows_read=len(checked), problems=[])
                intake.submission_counts_add(submission, checked)
            else:
                submission = intake.submission_preview(
                    school=sending,
                    by=None,
                    file_name=Path(path).name,
                    data=data,
                    return_type=return_type,
                )
                if submission.rows_read - submission.errors - submission.duplicates > 0:
                    submission = intake.submission_confirm(
                        submission=submission, by=None, accept_valid_rows=True
                    )
        except FileProblem as problem:
            raise CommandError(problem.message) from problem
        for problem in submission.problems:
            if problem["level"] == "error":
                self.stderr.write(
                    f"row {problem['row']}, {problem['column']}: {problem['message']}"
                )
        prefix = "Dry run: " if dry_run else ""
        self.stdout.write(
            f"{prefix}rows read {submission.rows_read}, imported {submission.imported}, "
            f"duplicates {submission.duplicates}, errors {submission.errors}"
        )
