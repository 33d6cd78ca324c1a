"""Layer 2 for the GIAS establishment extract (edubasealldata, docs/rules/formats.md §4):
bytes to school rows.

A pure parser: no database access. It reads columns by name, never by position, because the DfE adds
and drops columns between years (docs/rules/formats.md §4.2). A missing optional column leaves its
field blank; a missing URN or EstablishmentName column means the file is not an extract
(``FileProblem``). A row that cannot be read (a bad date, a URN that is not a number) becomes a
``RowProblem`` naming the row and column, and is skipped: one bad row must not stop 50,000 good
ones.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from schools_feed.intake.fields import normalise_header
from schools_feed.intake.files import FileProblem, decode_text
from schools_feed.intake.messages import FileMessages
from schools_feed.models import EstablishmentTypeGroup, School


class GiasMessages:
    REQUIRED = "Enter the {column}"
    NOT_A_NUMBER = "{column} must be a whole number, not {value!r}"
    NOT_A_PERCENTAGE = "{column} must be a percentage from 0 to 100, not {value!r}"
    DATE_INVALID = "{column} must be a real date in the form DD-MM-YYYY, not {value!r}"
    LA_CODE_INVALID = "{column} must be a 3-digit LA code, not {value!r}"
    ESTABLISHMENT_NUMBER_INVALID = "{column} must be a number of up to 4 digits, not {value!r}"
    DUPLICATE_URN = "URN {urn} is already on row {row}: only the first is imported"


@dataclass(frozen=True)
class RowProblem:
    """Why one row of a file was not imported."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


class RowError(ValueError):
    """Raised while reading one value; becomes a ``RowProblem`` for the row."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


URN_COLUMN = "URN"
NAME_COLUMN = "EstablishmentName"
LA_CODE_COLUMN = "LA (code)"
ESTABLISHMENT_NUMBER_COLUMN = "EstablishmentNumber"

# School field -> GIAS column, for the plain text fields.
TEXT_COLUMNS = {
    "la_name": "LA (name)",
    "type_code": "TypeOfEstablishment (code)",
    "type_name": "TypeOfEstablishment (name)",
    "phase": "PhaseOfEducation (name)",
    "status": "EstablishmentStatus (name)",
    "trust_name": "Trusts (name)",
    "postcode": "Postcode",
    "town": "Town",
}
DATE_COLUMNS = {"open_date": "OpenDate", "close_date": "CloseDate"}
# SENStat counts pupils with a statement or EHC plan, SENNoStat those on SEN support.
WHOLE_NUMBER_COLUMNS = {
    "statutory_low_age": "StatutoryLowAge",
    "statutory_high_age": "StatutoryHighAge",
    "number_on_roll": "NumberOfPupils",
    "sen_ehcp_count": "SENStat",
    "sen_support_count": "SENNoStat",
}
PERCENTAGE_COLUMNS = {"percentage_fsm": "PercentageFSM"}
TYPE_GROUP_COLUMN = "EstablishmentTypeGroup (name)"

REQUIRED_COLUMNS = (URN_COLUMN, NAME_COLUMN)

# School field -> the GIAS column it comes from, to name the column in a row's problem.
FIELD_COLUMNS = {
    "urn": URN_COLUMN,
    "name": NAME_COLUMN,
    "la_code": LA_CODE_COLUMN,
    "establishment_number": ESTABLISHMENT_NUMBER_COLUMN,
    "laestab": ESTABLISHMENT_NUMBER_COLUMN,
    "type_group": TYPE_GROUP_COLUMN,
    **TEXT_COLUMNS,
    **DATE_COLUMNS,
    **WHOLE_NUMBER_COLUMNS,
    **PERCENTAGE_COLUMNS,
}

# GIAS group names, compared after normalise_header. Groups the register does not tell apart
# (Universities, Welsh schools, Online provider) are "Other types".
TYPE_GROUPS = {normalise_header(label): value for value, label in EstablishmentTypeGroup.choices}
# GIAS has no group for pupil referral units and alternative provision: they sit in wider groups
# (LA maintained, academies, free schools). The register has one (PRU_AP), read off the type.
PRU_AP_TYPE_WORDS = ("pupil referral unit", "alternative provision")

# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
DIGITS = re.compile(r"[0-9]+")
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d")


@dataclass
class GiasExtract:
    """The parsed extract. ``rows`` is read lazily; ``problems`` fills as it is read."""

    # The School fields whose columns the file has: an import updates only these.
    fields: frozenset[str]
    rows: Iterator[dict]
    problems: list[RowProblem] = field(default_factory=list)


def parse_gias(data: bytes) -> GiasExtract:
    """Read the header now (so a wrong file fails at once) and the rows as they are iterated."""
    text = decode_text(data)
    if not text.strip():
        raise FileProblem(FileMessages.EMPTY)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _read_header(reader)
    columns = _column_positions(header)
    extract = GiasExtract(fields=_fields_present(columns), rows=iter(()))
    extract.rows = _rows(reader, columns, extract.problems)
    return extract


def _read_header(reader) -> list[str]:
    try:
        return [normalise_header(heading) for heading in next(reader)]
    except csv.Error as error:
        raise FileProblem(FileMessages.CSV_BROKEN.format(line=1, error=error)) from error


def _column_positions(header: list[str]) -> dict[str, int]:
    """GIAS column name -> position in this file, for the columns the register reads."""
    wanted = (
        *REQUIRED_COLUMNS,
        LA_CODE_COLUMN,
        ESTABLISHMENT_NUMBER_COLUMN,
        TYPE_GROUP_COLUMN,
        *TEXT_COLUMNS.values(),
        *DATE_COLUMNS.values(),
        *WHOLE_NUMBER_COLUMNS.values(),
        *PERCENTAGE_COLUMNS.values(),
    )
    positions = {}
    for column in wanted:
        key = normalise_header(column)
        if key in header:
            positions[column] = header.index(key)
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        raise FileProblem(FileMessages.MISSING_COLUMNS.format(columns=", ".join(missing)))
    return positions


def _fields_present(columns: dict[str, int]) -> frozenset[str]:
    present = {name for name, column in FIELD_COLUMNS.items() if column in columns}
    # LAESTAB is built from both parts; with either missing we cannot say what it is.
    if not {LA_CODE_COLUMN, ESTABLISHMENT_NUMBER_COLUMN} <= columns.keys():
        present.discard("laestab")
    return frozenset(present)


def _rows(reader, columns: dict[str, int], problems: list[RowProblem]) -> Iterator[dict]:
    first_row_of_urn: dict[str, int] = {}
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileProblem(
                FileMessages.CSV_BROKEN.format(line=reader.line_num, error=error)
            ) from error
        if not any(value.strip() for value in values):
            continue
        row_number = reader.line_num
        try:
            school = school_from_values(values, columns)
        except RowError as error:
            problems.append(RowProblem(row_number, error.column, error.message))
            continue
        earlier = first_row_of_urn.setdefault(school["urn"], row_number)
        if earlier != row_number:
            message = GiasMessages.DUPLICATE_URN.format(urn=school["urn"], row=earlier)
            problems.append(RowProblem(row_number, URN_COLUMN, message))
            continue
        yield school


def school_from_values(values: list[str], columns: dict[str, int]) -> dict:
    """One row as School field values. Raises ``RowError`` for the first value it cannot read."""

    def value(column: str) -> str:
        position = columns.get(column)
        if position is None or position >= len(values):
            return ""
        return values[position].strip()

    la_code = _la_code(value(LA_CODE_COLUMN))
    establishment_number = _establishment_number(value(ESTABLISHMENT_NUMBER_COLUMN))
    school = {
        "urn": _urn(value(URN_COLUMN)),
        "name": _required(NAME_COLUMN, value(NAME_COLUMN)),
        "la_code": la_code,
        "establishment_number": establishment_number,
        "laestab": f"{la_code}{establishment_number}" if la_code and establishment_number else "",
    }
    for name, column in TEXT_COLUMNS.items():
        school[name] = value(column)
    for name, column in DATE_COLUMNS.items():
        school[name] = _date(column, value(column))
    for name, column in WHOLE_NUMBER_COLUMNS.items():
        school[name] = _whole_number(column, value(column))
    for name, column in PERCENTAGE_COLUMNS.items():
        school[name] = _percentage(column, value(column))
    school["type_group"] = type_group(value(TYPE_GROUP_COLUMN), school["type_name"])
    _validate(school)
    return school


def _validate(school: dict) -> None:
    """Run each model field's validators (lengths, ranges), so a value the database would refuse
    is one row's problem here rather than a failed transaction for the whole file."""
    for name, value in school.items():
        if value in (None, ""):
            continue
        try:
            School._meta.get_field(name).run_validators(value)
        except ValidationError as error:
            column = FIELD_COLUMNS.get(name, name)
            raise RowError(column, " ".join(error.messages)) from error


def type_group(group_name: str, type_name: str) -> str:
    if any(words in type_name.lower() for words in PRU_AP_TYPE_WORDS):
        return EstablishmentTypeGroup.PRU_AP
    return TYPE_GROUPS.get(normalise_header(group_name), EstablishmentTypeGroup.OTHER)


def _urn(text: str) -> str:
    if not text:
        raise RowError(URN_COLUMN, GiasMessages.REQUIRED.format(column=URN_COLUMN))
    if not DIGITS.fullmatch(text):
        raise RowError(URN_COLUMN, GiasMessages.NOT_A_NUMBER.format(column=URN_COLUMN, value=text))
    return text


def _la_code(text: str) -> str:
    if text and not re.fullmatch(r"[0-9]{3}", text):
        message = GiasMessages.LA_CODE_INVALID.format(column=LA_CODE_COLUMN, value=text)
        raise RowError(LA_CODE_COLUMN, message)
    return text


def _establishment_number(text: str) -> str:
    if not text:
        return ""
    if not re.fullmatch(r"[0-9]{1,4}", text):
        column = ESTABLISHMENT_NUMBER_COLUMN
        message = GiasMessages.ESTABLISHMENT_NUMBER_INVALID.format(column=column, value=text)
        raise RowError(column, message)
    # A spreadsheet that saved the extract may have dropped leading zeros ("0045" -> "45").
    return text.zfill(4)


def _required(column: str, text: str) -> str:
    if not text:
        raise RowError(column, GiasMessages.REQUIRED.format(column=column))
    return text


def _date(column: str, text: str) -> date | None:
    if not text:
        return None
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text, date_format).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise RowError(column, GiasMessages.DATE_INVALID.format(column=column, value=text))


def _whole_number(column: str, text: str) -> int | None:
    if not text:
        return None
    if not DIGITS.fullmatch(text):
        raise RowError(column, GiasMessages.NOT_A_NUMBER.format(column=column, value=text))
    return int(text)


def _percentage(column: str, text: str) -> Decimal | None:
    if not text:
        return None
    try:
        percentage = Decimal(text)
    except InvalidOperation:
        percentage = None
    if percentage is None or not percentage.is_finite() or not 0 <= percentage <= 100:
        raise RowError(column, GiasMessages.NOT_A_PERCENTAGE.format(column=column, value=text))
    return percentage.quantize(Decimal("0.01"))
