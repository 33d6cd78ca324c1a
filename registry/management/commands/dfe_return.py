"""python manage.py dfe_return --census-date YYYY-MM-DD --out DIR [--any-date] [--freeze]

Writes the DfE termly EHE and CME return as at a census day into DIR: one CSV per section in the
shape of the published files, validation_checks.csv, and validation_children.csv (the children
officers should check before submission: it names children, so keep it where casework is kept,
and writing it is recorded in the disclosure log).
"""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registry.census import census_days_description, is_census_day, long_date
from registry.models import DisclosureChannel, DisclosureKind
from registry.reporting.dfe import CME, EHE, census_total, dfe_return_build
from registry.reporting.dfe_files import (
    CHILDREN_FILE,
    children_for_issues,
    return_csv_files,
    validation_children_csv,
)
from registry.reporting.output import write_files_atomically
from registry.services.dfe_return import dfe_return_produce
from registry.services.disclosure import disclosure_record


class Messages:
    BAD_DATE = "--census-date must be a date written YYYY-MM-DD, such as 2025-10-02, not '{text}'."
    FUTURE_DATE = "{day} is in the future: a return counts what had happened by its date."
    NOT_A_CENSUS_DAY = (
        "{day} is not a school census day. The census days of that academic year are {days}. "
        "Use --any-date to produce the return as at another date."
    )
    SUMMARY = (
        "DfE return as at {day}: {ehe} in EHE and {cme} missing education on the day; "
        "{passed} checks passed, {failed} failed; {issues} issues for officers in {children}."
    )
    FROZEN = "Frozen as snapshot {id}."


def parse_census_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(Messages.BAD_DATE.format(text=text)) from None


class Command(BaseCommand):
    help = "Write the DfE termly EHE and CME return as at a census day, with its validation report."

    def add_arguments(self, parser):
        parser.add_argument("--census-date", required=True, help="YYYY-MM-DD, a census Thursday.")
        parser.add_argument("--out", required=True, help="Directory for the files (created).")
        parser.add_argument(
            "--any-date", action="store_true", help="Allow a date that is not a census day."
        )
        parser.add_argument(
            "--freeze", action="store_true", help="Also keep the return as a frozen snapshot."
        )

    def handle(self, *args, census_date, out, any_date, freeze, **options):
        day = self._checked_date(census_date, any_date=any_date)
        built = dfe_return_build(day)
        files = return_csv_files(built.tables)
        children = children_for_issues(built.issues)
        files[CHILDREN_FILE] = validation_children_csv(built.issues, children)
        out_dir = Path(out)
        write_files_atomically(out_dir, files)
        # The children's file leaves the register: who ran the command is the server's account.
        disclosure_record(
            kind=DisclosureKind.DFE_VALIDATION_FILE,
            channel=DisclosureChannel.FILE,
            user=None,
            recipient=f"File written to {(out_dir / CHILDREN_FILE).resolve()}",
            path=f"manage.py dfe_return --census-date {day.isoformat()}",
            children=children.values(),
        )
        self.stdout.write(self._summary(day, built.tables, len(built.issues), out_dir))
        if freeze:
            snapshot = dfe_return_produce(census_date=day, by=None)
            self.stdout.write(Messages.FROZEN.format(id=snapshot.pk))

    def _checked_date(self, text: str, *, any_date: bool) -> date:
        day = parse_census_date(text)
        if day > timezone.localdate():
            raise CommandError(Messages.FUTURE_DATE.format(day=long_date(day)))
        if not any_date and not is_census_day(day):
            raise CommandError(
                Messages.NOT_A_CENSUS_DAY.format(
                    day=long_date(day), days=census_days_description(day)
                )
            )
        return day

    def _summary(self, day: date, tables: dict, issues: int, out_dir: Path) -> str:
        passed = sum(check["passed"] for check in tables["checks"])
        return Messages.SUMMARY.format(
            day=long_date(day),
            ehe=census_total(tables, EHE),
            cme=census_total(tables, CME),
            passed=passed,
            failed=len(tables["checks"]) - passed,
            issues=issues,
            children=out_dir / CHILDREN_FILE,
        )
