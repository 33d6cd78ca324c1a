"""Layer 1: what kind of file this is, and its header and rows as text.

Schools send what their MIS writes: UTF-8 with or without a byte-order mark, Windows-1252, or
UTF-16 (Excel's "Unicode Text"); commas, semicolons or tabs; XLSX workbooks with a guidance sheet
beside the data. Nothing here touches the database, and every problem is a ``FileProblem`` with
a message for the person.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from schools_feed.intake.messages import FileMessages

Format = Literal["csv", "xlsx", "ctf"]

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")
# Sheets a template adds beside the data; never read as rows.
GUIDANCE_SHEETS = {"guidance", "help", "instructions", "read me", "readme"}


class FileProblem(Exception):
    """The whole file cannot be read; nothing in it is imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    headers: list[str]
    # (row number as the person sees it in their spreadsheet, the values in header order)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def detect_format(file_name: str, data: bytes) -> Format:
    """By content first (a renamed file still reads), then by the name's extension."""
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") or head.startswith(b"<CTfile"):
        return "ctf"
    lower = file_name.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if lower.endswith(".xml"):
        return "ctf"
    return "csv"


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_text(data: bytes) -> str:
    """UTF-16 when it starts with its byte-order mark, else UTF-8 (a byte-order mark is
    dropped), else Windows-1252: what MIS exports and Excel write. A NUL character is refused
    with its line: no text file holds one, and the database cannot store it."""
    text = _decoded(data)
    nul = text.find("\x00")
    if nul >= 0:
        raise FileProblem(FileMessages.NUL_CHARACTER.format(line=text.count("\n", 0, nul) + 1))
    return text


def _decoded(data: bytes) -> str:
    encodings = ("utf-16",) if data.startswith(UTF16_BOMS) else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            last_error = error
    raise FileProblem(FileMessages.ENCODING.format(position=last_error.start)) from last_error


def sniff_delimiter(first_line: str) -> str:
    """The delimiter that splits the header line into the most columns."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(data: bytes) -> Table:
    """The header and the rows, each numbered as a spreadsheet shows it: a value holding a line
    break is one row there, however many lines it takes in the file."""
    text = decode_text(data)
    if not text.strip():
        raise FileProblem(FileMessages.EMPTY)
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [heading.strip() for heading in next(reader)]
        table = Table(headers=headers)
        line = reader.line_num
        for number, values in enumerate(reader, start=2):
            if reader.line_num - line > 1 and _holds_other_rows(values, delimiter, len(headers)):
                raise FileProblem(
                    FileMessages.CSV_QUOTE_NOT_CLOSED.format(row=number, line=line + 1)
                )
            line = reader.line_num
            if any(value.strip() for value in values):
                table.rows.append((number, values))
    except csv.Error as error:
        raise FileProblem(
            FileMessages.CSV_BROKEN.format(line=reader.line_num, error=error)
        ) from error
    return table


def _holds_other_rows(values: list[str], delimiter: str, columns: int) -> bool:
    """Whether a value running over several lines has swallowed whole rows: a quotation mark
    left open makes the lines after it one value, and the pupils on them would vanish into this
    row. What follows the line break then starts like a row: a whole row's delimiters on one
    line, or (when the next quotation mark closed it) the delimiters of every column before
    this one. A note or an address typed over two lines has a comma or two after its break."""
    for index, value in enumerate(values):
        if "\n" not in value:
            continue
        after = value.split("\n")[1:]
        if any(line.count(delimiter) >= max(columns - 1, 1) for line in after):
            return True
        if index >= 3 and sum(line.count(delimiter) for line in after) >= index:
            return True
    return False


def column_letter(number: int) -> str:
    """A spreadsheet's name for the column counted from 1: 1 is A, 27 is AA."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# A row element in a worksheet part, with or without a namespace prefix.
SHEET_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
STREAM_CHUNK = 1024 * 1024


def xlsx_check_limits(
    data: bytes, *, file_name: str = "", max_unpacked_bytes: int, max_rows: int
) -> None:
    """Refuse a workbook before it is parsed when it would unpack to more than
    ``max_unpacked_bytes`` (a few kilobytes of zip can hold gigabytes of shared strings, which
    openpyxl reads whole) or a sheet holds more than ``max_rows`` rows. The sizes are those the
    zip declares; Python's zipfile never unpacks past a declared size. Rows are counted by
    streaming each sheet part in chunks, so nothing is held whole."""
    name = file_name or "The workbook"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise FileProblem(FileMessages.XLSX_BROKEN) from error
    with archive:
        if sum(part.file_size for part in parts) > max_unpacked_bytes:
            raise FileProblem(
                FileMessages.XLSX_UNPACKS_TOO_LARGE.format(
                    file=name, limit=filesizeformat(max_unpacked_bytes)
                )
            )
        for part in parts:
            if SHEET_PART.match(part.filename) and _rows_in_part(archive, part) > max_rows:
                raise FileProblem(
                    FileMessages.XLSX_TOO_MANY_ROWS.format(file=name, limit=f"{max_rows:,}")
                )


def _rows_in_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> int:
    rows, tail = 0, b""
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(STREAM_CHUNK):
                window = tail + chunk
                # Tags starting in the last bytes may be cut by the chunk boundary: they are
                # counted with the next chunk, once.
                cut = max(len(window) - 64, 0)
                rows += sum(1 for match in SHEET_ROW.finditer(window) if match.start() < cut)
                tail = window[cut:]
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise FileProblem(FileMessages.XLSX_BROKEN) from error
    return rows + len(SHEET_ROW.findall(tail))


def read_xlsx(data: bytes, *, file_name: str = "") -> Table:
    from openpyxl import load_workbook  # heavy; only when a workbook arrives

    xlsx_check_limits(
        data,
        file_name=file_name,
        max_unpacked_bytes=settings.FEED_MAX_XLSX_UNCOMPRESSED_BYTES,
        max_rows=settings.FEED_MAX_XLSX_ROWS,
    )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileProblem(FileMessages.XLSX_BROKEN) from error
    try:
        sheets = [
            ws for ws in workbook.worksheets if ws.title.strip().lower() not in GUIDANCE_SHEETS
        ]
        if not sheets:
            raise FileProblem(FileMessages.EMPTY)
        rows = sheets[0].iter_rows(values_only=True)
        header_row = next(rows, None)
        if not header_row:
            raise FileProblem(FileMessages.EMPTY)
        table = Table(headers=[_cell_text(value) for value in header_row])
        for number, values in enumerate(rows, start=2):
            texts = [_cell_text(value) for value in values]
            if any(texts):
                table.rows.append((number, texts))
        return table
    finally:
        workbook.close()


def read_table(file_name: str, data: bytes) -> Table:
    """A CSV or XLSX file as a table. CTF XML has its own parser (``intake.ctf``)."""
    file_format = detect_format(file_name, data)
    if file_format == "ctf":
        raise ValueError("CTF files are read by schools_feed.intake.ctf")
    return read_xlsx(data, file_name=file_name) if file_format == "xlsx" else read_csv(data)
