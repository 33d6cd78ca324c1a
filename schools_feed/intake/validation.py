"""Layer 3: the checks that need the register, and the natural key that makes re-sending safe.

Given parsed rows, this resolves the sending and destination schools, applies the school-dated
rules, and marks duplicates inside the file and against earlier returns (ADR 0004). It reads the
database but never writes to it, so the preview and the write run exactly the same checks.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from registry import school_age
from registry.models import Term
from registry.rulebook import rules
from registry.services.children import normalise_search_text
from schools_feed.intake.messages import FileMessages, RowMessages
from schools_feed.intake.rows import ParsedRow, Problem, event_date
from schools_feed.models import Notification, NotificationKind, School

NATURAL_KEY_VERSION = "v1"
SCHOOL_FIELDS = ("school_urn", "school_laestab")


def pupil_identity(values: dict) -> str:
    """The UPN when there is one; otherwise the normalised legal names and date of birth."""
    if values.get("upn"):
        return values["upn"]
    surname = normalise_search_text(values.get("legal_surname", ""))
    forenames = normalise_search_text(values.get("legal_forenames", ""))
    return f"{surname}|{forenames}|{values.get('date_of_birth')}"


def natural_key(*, school_urn: str, kind: str, values: dict) -> str:
    """sha256 of school, kind, pupil and the event's own date (ADR 0004). An exclusion also keys on
    its type, so a suspension and a permanent exclusion starting the same day are both kept."""
    date = values.get("last_attended_date") if kind == NotificationKind.CME_REFERRAL else None
    parts = [
        NATURAL_KEY_VERSION,
        school_urn,
        kind,
        pupil_identity(values),
        str(date or _event_date_of(kind, values) or ""),
        values.get("exclusion_type", "") if kind == NotificationKind.EXCLUSION else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _event_date_of(kind: str, values: dict):
    by_kind = {
        NotificationKind.DELETION: "deletion_date",
        NotificationKind.NEW_PUPIL: "starting_date",
        NotificationKind.TEN_DAY_ABSENCE: "absence_start_date",
        NotificationKind.EXCLUSION: "exclusion_start_date",
    }
    return values.get(by_kind.get(kind, ""))


@dataclass
class SchoolDirectory:
    """Schools by URN and LAESTAB, loaded once per file."""

    by_urn: dict[str, School] = field(default_factory=dict)
    by_laestab: dict[str, School] = field(default_factory=dict)

    @classmethod
    def for_rows(cls, rows: Iterable[ParsedRow], *extra: School | None) -> "SchoolDirectory":
        urns, laestabs = set(), set()
        for row in rows:
            urns.update(filter(None, (row.school_urn, row.destination_urn)))
            laestabs.update(filter(None, (row.school_laestab, row.destination_laestab)))
        directory = cls()
        found = School.objects.filter(urn__in=urns) | School.objects.filter(laestab__in=laestabs)
        for school in (*found, *filter(None, extra)):
            directory.by_urn[school.urn] = school
            if school.laestab:
                directory.by_laestab[school.laestab] = school
        return directory

    def find(self, urn: str, laestab: str) -> School | None:
        return self.by_urn.get(urn) if urn else self.by_laestab.get(laestab)


@dataclass
class CheckedRow:
    parsed: ParsedRow
    school: School | None = None
    destination_school: School | None = None
    natural_key: str = ""
    duplicate: bool = False

    @property
    def importable(self) -> bool:
        return not self.parsed.has_errors and not self.duplicate


def check_rows(
    rows: list[ParsedRow],
    *,
    default_school: School | None,
    allowed_school_ids: set | None,
    seen: dict[str, int] | None = None,
) -> list[CheckedRow]:
    """Schools, school-dated rules and duplicates, for every row. ``allowed_school_ids`` is None
    for an administrator, else the schools the sender may send for. ``seen`` carries the natural
    keys of earlier parts of the same file, when a large file is checked part by part."""
    directory = SchoolDirectory.for_rows(rows, default_school)
    checked = [_check_schools(row, directory, default_school, allowed_school_ids) for row in rows]
    _final_year_leavers(checked)
    _mark_duplicates(checked, {} if seen is None else seen)
    return checked


def _check_schools(row, directory, default_school, allowed_school_ids) -> CheckedRow:
    checked = CheckedRow(parsed=row)
    if row.school_urn or row.school_laestab:
        checked.school = directory.find(row.school_urn, row.school_laestab)
        if checked.school is None:
            identifier, value = _identifier(row.school_urn, row.school_laestab)
            row.error(
                "school_urn" if row.school_urn else "school_laestab",
                RowMessages.SCHOOL_UNKNOWN.format(identifier=identifier, value=value),
            )
            return _refused_for_its_school(checked)
    else:
        checked.school = default_school
        if default_school is None:
            row.error("school_urn", FileMessages.NO_SCHOOL)
    if checked.school and allowed_school_ids is not None:
        if checked.school.pk not in allowed_school_ids:
            row.error("school_urn", RowMessages.SCHOOL_NOT_YOURS.format(value=checked.school.urn))
            return _refused_for_its_school(checked)
    other = names_other_school(row.school_urn, row.school_laestab, default_school)
    if other:
        # A submission's rows belong to the submission's school: everyone linked to that school
        # sees the submission, so a row of another school here would show them its pupil.
        field_name, value = other
        row.error(
            field_name,
            RowMessages.SCHOOL_NOT_THIS_SUBMISSION.format(value=value, school=default_school.name),
        )
        return _refused_for_its_school(checked)
    _check_destination(checked, directory)
    _check_school_dates(checked)
    if checked.school and not row.has_errors:
        checked.natural_key = natural_key(
            school_urn=checked.school.urn, kind=row.kind, values=row.values
        )
    return checked


def names_other_school(urn: str, laestab: str, school: School | None) -> tuple[str, str] | None:
    """(field, value) when a row's School URN or LAESTAB names a school other than ``school``
    (the submission's); None when it names that school, names none, or there is no one school."""
    if school is None:
        return None
    urn, laestab = (urn or "").strip(), (laestab or "").strip()
    if urn and urn != school.urn:
        return "school_urn", urn
    if laestab and laestab != school.laestab:
        return "school_laestab", laestab
    return None


def _refused_for_its_school(checked: CheckedRow) -> CheckedRow:
    """A row refused for the school it names keeps only that problem: its other messages quote
    the pupil's details (a phone number, a date), which the submission's readers may not see."""
    row = checked.parsed
    row.problems = [p for p in row.problems if p.field in SCHOOL_FIELDS and p.level == "error"]
    checked.school = None
    return checked


def _identifier(urn: str, laestab: str) -> tuple[str, str]:
    return ("URN", urn) if urn else ("LAESTAB", laestab)


def _check_destination(checked: CheckedRow, directory: SchoolDirectory) -> None:
    row = checked.parsed
    urn, laestab = row.destination_urn, row.destination_laestab
    row.values["destination_reference"] = (urn or laestab)[:20]
    if not (urn or laestab):
        return
    checked.destination_school = directory.find(urn, laestab)
    if checked.destination_school is None:
        identifier, value = _identifier(urn, laestab)
        row.warn(
            "destination_urn" if urn else "destination_laestab",
            RowMessages.DESTINATION_UNKNOWN.format(identifier=identifier, value=value),
        )


def _check_school_dates(checked: CheckedRow) -> None:
    row, school = checked.parsed, checked.school
    deleted = row.values.get("deletion_date")
    if school and school.open_date and deleted and deleted < school.open_date:
        row.error(
            "deletion_date",
            RowMessages.DELETION_BEFORE_SCHOOL_OPENED.format(opened=f"{school.open_date:%d/%m/%Y}"),
        )


def last_term_ends(academic_years: set[int]) -> dict[int, date]:
    """The last day of each academic year's last term: from the LA's calendar (one query), else
    ``final_year_last_term_ends_without_calendar`` of that summer."""
    if not academic_years:
        return {}
    ends_on = rules().final_year_last_term_ends_without_calendar
    month, day = (int(part) for part in ends_on.split("-"))
    ends = {year: date(year + 1, month, day) for year in academic_years}
    loaded = Term.objects.filter(
        last_day__gte=date(min(academic_years), 9, 1),
        last_day__lte=date(max(academic_years) + 1, 8, 31),
    ).values_list("last_day", flat=True)
    found: dict[int, date] = {}
    for last_day in loaded:
        year = school_age.academic_year_start(last_day)
        if year in ends:
            found[year] = max(found.get(year, last_day), last_day)
    return {**ends, **found}


def is_final_year_leaver(*, school: School, values: dict, last_term_end: date) -> bool:
    """Reg 13(5) (docs/rules/registration.md §3.3): deleted at or after the end of the last term
    of the school year while in the school's most senior class (its NC year from GIAS's
    statutory high age; the pupil's from the return, else from the date of birth)."""
    deleted, senior = values.get("deletion_date"), school.most_senior_nc_year
    if not (deleted and senior) or deleted < last_term_end:
        return False
    nc_year = values.get("nc_year") or (
        school_age.expected_nc_year(values["date_of_birth"], last_term_end)
        if values.get("date_of_birth")
        else ""
    )
    return nc_year == senior


def _final_year_leavers(checked: list[CheckedRow]) -> None:
    """A final-year leaver needs no deletion return, so one sent after the deletion is not late:
    the late-return warning is replaced by the reg 13(5) note."""
    late = [row for row in checked if row.school and row.parsed.late is not None]
    ends = last_term_ends(
        {school_age.academic_year_start(row.parsed.values["deletion_date"]) for row in late}
    )
    for row in late:
        parsed = row.parsed
        end = ends[school_age.academic_year_start(parsed.values["deletion_date"])]
        if is_final_year_leaver(school=row.school, values=parsed.values, last_term_end=end):
            parsed.problems.remove(parsed.late)
            parsed.late = None
            parsed.values["is_late"] = False
            parsed.warn("deletion_date", RowMessages.FINAL_YEAR_EXEMPT)


def _mark_duplicates(checked: list[CheckedRow], first_row_by_key: dict[str, int]) -> None:
    new_keys = []
    for row in checked:
        key = row.natural_key
        if not key:
            continue
        if key in first_row_by_key:
            row.duplicate = True
            row.parsed.warn(
                "legal_surname", RowMessages.DUPLICATE_IN_FILE.format(row=first_row_by_key[key])
            )
        else:
            first_row_by_key[key] = row.parsed.row
            new_keys.append(key)
    earlier = dict(
        Notification.objects.filter(natural_key__in=new_keys).values_list(
            "natural_key", "received_at"
        )
    )
    for row in checked:
        if row.natural_key in earlier and not row.duplicate:
            row.duplicate = True
            received = earlier[row.natural_key]
            row.parsed.warn(
                "legal_surname",
                RowMessages.DUPLICATE_EARLIER.format(received=f"{received:%d/%m/%Y}"),
            )


def problems_of(checked: list[CheckedRow]) -> list[Problem]:
    return [problem for row in checked for problem in row.parsed.problems]


__all__ = ["CheckedRow", "check_rows", "event_date", "natural_key", "problems_of"]
