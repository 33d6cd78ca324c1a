"""The CSV and XLSX templates schools download: one column per field of the return, and, in the
workbook, a guidance sheet saying what each column takes (tablib, django-import-export's own
dataset library)."""

import tablib

from registry.csv_output import spreadsheet_safe, write_csv
from schools_feed.forms import FORM_FIELDS
from schools_feed.intake.fields import FIELD_BY_NAME
from schools_feed.models import NotificationKind

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Columns a file has beyond the one-child form: for MIS exports holding several schools.
FILE_ONLY_COLUMNS = ("uln", "parent_1_address", "parent_2_address")


def template_columns(kind: str) -> list[str]:
    names = [n for n in FORM_FIELDS[kind] if not n.startswith("address_line_2")]
    names += [n for n in FILE_ONLY_COLUMNS if n not in names and kind != NotificationKind.EXCLUSION]
    return [FIELD_BY_NAME[name].label for name in names]


def template_file(*, kind: str, file_format: str) -> tuple[bytes, str]:
    headers = template_columns(kind)
    if file_format == "csv":
        return write_csv(headers, []), "text/csv; charset=utf-8"
    returns = tablib.Dataset(headers=headers, title="Returns")
    guidance = tablib.Dataset(headers=["Column", "What to enter"], title="Guidance")
    for heading in headers:
        field = next(f for f in FIELD_BY_NAME.values() if f.label == heading)
        guidance.append([spreadsheet_safe(heading), spreadsheet_safe(field.help or "")])
    book = tablib.Databook([returns, guidance])
    return book.export("xlsx"), XLSX_TYPE
