"""Layer 1: what kind of file this is, and its header and rows as text.

Schools send what their MIS writes: UTF-8 with or without a byte-order mark, or Windows-1252;
commas, semicolons or tabs; XLSX workbooks with a guidance sheet beside the data. Nothing here
touches the database, and every problem is a ``FileProblem`` with a message for the person.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

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


def decode_text(data: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped), else Windows-1252: what MIS exports use."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise FileProblem(FileMessages.ENCODING.format(position=error.start)) from error


def sniff_delimiter(first_line: str) -> str:
    """The delimiter that splits the header line into the most columns."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(data: bytes) -> Table:
    text = decode_text(data)
    if not text.strip():
        raise FileProblem(FileMessages.EMPTY)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        headers = [heading.strip() for heading in next(reader)]
        table = Table(headers=headers)
        for values in reader:
            if any(value.strip() for value in values):
                table.rows.append((reader.line_num, values))
    except csv.Error as error:
        raise FileProblem(
            FileMessages.CSV_BROKEN.format(line=reader.line_num, error=error)
        ) from error
    return table


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


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # heavy; only when a workbook arrives

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
    return read_xlsx(data) if file_format == "xlsx" else read_csv(data)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A cell value a spreadsheet will show as text, never run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def write_csv(headers: list[str], rows) -> bytes:
    """CSV the register writes: UTF-8 with a byte-order mark (Excel reads it), formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(heading) for heading in headers])
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")
