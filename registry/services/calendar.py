"""Importing the LA's school calendar: term dates, and INSET and closure days
(docs/rules/registration.md §5.3).

Two CSV files, each with a header row (column names in any case and order):

Term dates: ``Term`` (a name, "Autumn 2025"), ``First day``, ``Last day``.
INSET and closure days: ``URN`` (the school; blank for a day every school in the LA is closed),
``Date``, ``Kind`` (``INSET`` or ``closure``; blank means INSET), ``Description`` (optional).

Dates are written 03/09/2025 or 2025-09-03. The layers are those of every import here: the file
is decoded and its columns found, each row parsed to typed values with no database access, the
rows checked against the calendar already loaded, then written in one transaction with history.
A file with any rejected row changes nothing: every problem is listed by row, column and value so
the person can correct the file and send it again. The natural keys are a term's first day and a
closure's school and date: importing the same file again changes nothing and adds no duplicates,
and a row for a key already loaded corrects that record.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from registry.models import ClosureDay, ClosureKind, School, Term, User
from registry.services.history import ChangeReason, save_with_history

TERM_COLUMNS = {"term": "Term", "first_day": "First day", "last_day": "Last day"}
CLOSURE_COLUMNS = {"urn": "URN", "date": "Date", "kind": "Kind", "description": "Description"}
CLOSURE_REQUIRED = ("urn", "date")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
KINDS = {"inset": ClosureKind.INSET, "closure": ClosureKind.CLOSURE, "": ClosureKind.INSET}


class CalendarMessages:
    NOT_TEXT = "The file is not a CSV file saved as text (UTF-8 or Windows-1252)"
    EMPTY = "The file has no rows under its header row"
    MISSING_COLUMNS = "The file has no column named {columns}"
    REQUIRED = "Enter a value"
    BAD_DATE = "{value!r} is not a date: write it as 03/09/2025"
    TOO_LONG = "{value!r} is longer than {limit} characters"
    LAST_BEFORE_FIRST = "The last day {value!r} is before the first day"
    OVERLAPS = "{value!r} overlaps {other}"
    UNKNOWN_SCHOOL = "No school has the URN {value!r}: import the GIAS extract first"
    BAD_KIND = "{value!r} is not a kind of day: write INSET or closure"
    REPEATED = "{value!r} is given twice in the file (row {first_row})"
    REJECTED = (
        "{count} problem(s) found: nothing was imported. Correct the file and import it again"
    )
    IMPORTED = "{what}: {created} added, {updated} corrected, {unchanged} already loaded"


class CalendarFileProblem(ValueError):
    """The file as a whole cannot be read: nothing was imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowProblem:
    row: int  # the row number in the file, the header being row 1
    column: str
    value: str
    message: str


@dataclass
class CalendarImport:
    what: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowProblem] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.rejected:
            return CalendarMessages.REJECTED.format(count=len(self.rejected))
        return CalendarMessages.IMPORTED.format(
            what=self.what, created=self.created, updated=self.updated, unchanged=self.unchanged
        )


# --- 1. The file --------------------------------------------------------------------------------


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise CalendarFileProblem(CalendarMessages.NOT_TEXT) from None


def _key(header: str) -> str:
    return "_".join(header.strip().lower().replace("_", " ").split())


def _rows(data: bytes, columns: dict[str, str], required) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column key: text}) for each row that is not blank."""
    text = _decoded(data)
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise CalendarFileProblem(CalendarMessages.EMPTY)
    positions = {_key(name): index for index, name in enumerate(header)}
    missing = [columns[key] for key in required if key not in positions]
    if missing:
        names = " or ".join(f'"{name}"' for name in missing)
        raise CalendarFileProblem(CalendarMessages.MISSING_COLUMNS.format(columns=names))
    found = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {}
        for key in columns:
            index = positions.get(key)
            values[key] = cells[index].strip() if index is not None and index < len(cells) else ""
        found.append((number, values))
    if not found:
        raise CalendarFileProblem(CalendarMessages.EMPTY)
    return found


# --- 2. Rows to typed values (no database) ------------------------------------------------------


def parse_date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    return None


@dataclass
class _Parsed:
    row: int
    values: dict
    problems: list[RowProblem] = field(default_factory=list)

    def problem(self, column: str, value: str, message: str) -> None:
        self.problems.append(RowProblem(self.row, column, value, message))

    def date(self, key: str, label: str) -> date | None:
        text = self.values[key]
        if not text:
            self.problem(label, text, CalendarMessages.REQUIRED)
            return None
        found = parse_date(text)
        if found is None:
            self.problem(label, text, CalendarMessages.BAD_DATE.format(value=text))
        return found

    def text(self, key: str, label: str, limit: int, *, required: bool = False) -> str:
        text = self.values[key]
        if required and not text:
            self.problem(label, text, CalendarMessages.REQUIRED)
        if len(text) > limit:
            self.problem(label, text, CalendarMessages.TOO_LONG.format(value=text, limit=limit))
        return text


@dataclass(frozen=True)
class TermRow:
    row: int
    name: str
    first_day: date
    last_day: date


@dataclass(frozen=True)
class ClosureRow:
    row: int
    urn: str
    date: date
    kind: str
    description: str


def terms_parse(data: bytes) -> tuple[list[TermRow], list[RowProblem]]:
    rows, problems = [], []
    for number, values in _rows(data, TERM_COLUMNS, tuple(TERM_COLUMNS)):
        parsed = _Parsed(number, values)
        name = parsed.text("term", TERM_COLUMNS["term"], 50, required=True)
        first = parsed.date("first_day", TERM_COLUMNS["first_day"])
        last = parsed.date("last_day", TERM_COLUMNS["last_day"])
        if first and last and last < first:
            parsed.problem(
                TERM_COLUMNS["last_day"],
                values["last_day"],
                CalendarMessages.LAST_BEFORE_FIRST.format(value=values["last_day"]),
            )
        problems.extend(parsed.problems)
        if not parsed.problems:
            rows.append(TermRow(number, name, first, last))
    return rows, problems


def closures_parse(data: bytes) -> tuple[list[ClosureRow], list[RowProblem]]:
    rows, problems = [], []
    for number, values in _rows(data, CLOSURE_COLUMNS, CLOSURE_REQUIRED):
        parsed = _Parsed(number, values)
        day = parsed.date("date", CLOSURE_COLUMNS["date"])
        kind = KINDS.get(values["kind"].lower())
        if kind is None:
            parsed.problem(
                CLOSURE_COLUMNS["kind"],
                values["kind"],
                CalendarMessages.BAD_KIND.format(value=values["kind"]),
            )
        description = parsed.text("description", CLOSURE_COLUMNS["description"], 200)
        problems.extend(parsed.problems)
        if not parsed.problems:
            rows.append(ClosureRow(number, values["urn"], day, kind, description))
    return rows, problems


# --- 3. Checks against the calendar loaded, and 5. the write --------------------------------------


def _term_words(term) -> str:
    return f"{term.name} ({term.first_day:%d/%m/%Y} to {term.last_day:%d/%m/%Y})"


def _term_problems(rows: list[TermRow]) -> list[RowProblem]:
    """Terms must not overlap one another, in the file or with the terms already loaded that the
    file does not correct (a term is corrected by a row with the same first day)."""
    problems, first_rows = [], {}
    for row in rows:
        if row.first_day in first_rows:
            problems.append(
                RowProblem(
                    row.row,
                    TERM_COLUMNS["first_day"],
                    f"{row.first_day:%d/%m/%Y}",
                    CalendarMessages.REPEATED.format(
                        value=f"{row.first_day:%d/%m/%Y}", first_row=first_rows[row.first_day]
                    ),
                )
            )
        first_rows.setdefault(row.first_day, row.row)
    kept = [term for term in Term.objects.all() if term.first_day not in first_rows]
    for index, row in enumerate(rows):
        others = [(_term_words(t), t.first_day, t.last_day) for t in kept] + [
            (f"the term in row {other.row}", other.first_day, other.last_day)
            for other in rows[:index]
            if other.first_day != row.first_day
        ]
        for words, first, last in others:
            if row.first_day <= last and first <= row.last_day:
                value = f"{row.first_day:%d/%m/%Y} to {row.last_day:%d/%m/%Y}"
                problems.append(
                    RowProblem(
                        row.row,
                        TERM_COLUMNS["first_day"],
                        value,
                        CalendarMessages.OVERLAPS.format(value=value, other=words),
                    )
                )
                break
    return problems


def calendar_import_terms(*, data: bytes, by: User | None) -> CalendarImport:
    """Import a term dates file: all of it, or (with any problem) none of it."""
    rows, problems = terms_parse(data)
    result = CalendarImport("Terms")
    result.rejected = problems + _term_problems(rows)
    if result.rejected:
        result.rejected.sort(key=lambda problem: problem.row)
        return result
    with transaction.atomic():
        loaded = {term.first_day: term for term in Term.objects.select_for_update()}
        for row in rows:
            term = loaded.get(row.first_day)
            if term is None:
                term = Term(first_day=row.first_day)
                result.created += 1
            elif (term.name, term.last_day) == (row.name, row.last_day):
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            term.name, term.last_day = row.name, row.last_day
            save_with_history(term, by=by, reason=ChangeReason.CSV_IMPORT)
    return result


def calendar_import_closures(*, data: bytes, by: User | None) -> CalendarImport:
    """Import an INSET and closure days file: all of it, or (with any problem) none of it."""
    rows, problems = closures_parse(data)
    result = CalendarImport("INSET and closure days")
    schools = dict(
        School.objects.filter(urn__in={row.urn for row in rows if row.urn}).values_list("urn", "pk")
    )
    seen = {}
    for row in rows:
        if row.urn and row.urn not in schools:
            problems.append(
                RowProblem(
                    row.row,
                    CLOSURE_COLUMNS["urn"],
                    row.urn,
                    CalendarMessages.UNKNOWN_SCHOOL.format(value=row.urn),
                )
            )
        key = (row.urn, row.date)
        if key in seen:
            value = f"{row.urn or 'every school'} on {row.date:%d/%m/%Y}"
            problems.append(
                RowProblem(
                    row.row,
                    CLOSURE_COLUMNS["date"],
                    value,
                    CalendarMessages.REPEATED.format(value=value, first_row=seen[key]),
                )
            )
        seen.setdefault(key, row.row)
    if problems:
        result.rejected = sorted(problems, key=lambda problem: problem.row)
        return result
    with transaction.atomic():
        days = [row.date for row in rows]
        loaded = {
            (closure.school_id, closure.date): closure
            for closure in ClosureDay.objects.select_for_update().filter(
                date__range=(min(days), max(days))
            )
        }
        for row in rows:
            school_id = schools.get(row.urn)
            closure = loaded.get((school_id, row.date))
            if closure is None:
                closure = ClosureDay(school_id=school_id, date=row.date)
                result.created += 1
            elif (closure.kind, closure.description) == (row.kind, row.description):
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            closure.kind, closure.description = row.kind, row.description
            save_with_history(closure, by=by, reason=ChangeReason.CSV_IMPORT)
    return result
