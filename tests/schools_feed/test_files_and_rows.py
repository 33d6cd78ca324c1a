"""Layers 1 and 2 as pure functions: reading files and turning raw rows into typed values."""

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.template.defaultfilters import filesizeformat

from registry import csv_output, identifiers
from schools_feed.intake import files
from schools_feed.intake.fields import canonical_field
from schools_feed.intake.messages import FileMessages, RowMessages
from schools_feed.intake.rows import RowContext, parse_date, parse_ground, parse_row
from schools_feed.models import NotificationKind

TODAY = date(2026, 11, 23)
CONTEXT = RowContext(received_on=TODAY, future_margin_days=7)


def deletion(**overrides) -> dict:
    row = {
        "legal_surname": "Smith",
        "legal_forenames": "Tom",
        "date_of_birth": "14/03/2015",
        "sex": "M",
        "address_line_1": "1 High Street",
        "postcode": "cb7 9qt",
        "parent_1_name": "Jane Smith",
        "parent_1_phone": "07700 900123",
        "ground": "a",
        "deletion_date": "20/11/2026",
        "destination_urn": "999102",
    }
    row.update(overrides)
    return {key: value for key, value in row.items() if value is not None}


def parse(raw, kind=NotificationKind.DELETION, context=CONTEXT):
    return parse_row(raw, row=2, kind=kind, context=context)


def messages(parsed, level=None):
    return [p.message for p in parsed.problems if level is None or p.level == level]


@pytest.mark.parametrize(
    "heading",
    ["Date of Birth", "DOB", "date_of_birth", "  D.O.B ", "Birth date"],
)
def test_date_of_birth_headings_from_school_systems_are_one_column(heading):
    assert canonical_field(heading) == "date_of_birth"


def test_utf8_with_byte_order_mark_and_semicolons_are_read():
    data = "\ufeffSurname;Forename;DOB\nZoë;Ann;01/02/2015\n".encode()
    table = files.read_csv(data)
    assert table.headers == ["Surname", "Forename", "DOB"]
    assert table.rows == [(2, ["Zoë", "Ann", "01/02/2015"])]


def test_windows_1252_and_tabs_are_read():
    data = "Surname\tForename\nO\u2019Brien\tSiân\n".encode("cp1252")
    table = files.read_csv(data)
    assert table.rows[0][1] == ["O\u2019Brien", "Siân"]


def test_excels_unicode_text_utf16_with_tabs_is_read():
    data = "Surname\tForename\nO\u2019Brien\tSiân\n".encode("utf-16")
    table = files.read_csv(data)
    assert table.headers == ["Surname", "Forename"]
    assert table.rows == [(2, ["O\u2019Brien", "Siân"])]


def test_a_nul_character_is_refused_with_its_line_and_nothing_is_read():
    """PostgreSQL cannot store one: it would fail the import half way, not at the upload."""
    data = b"Surname,Forename\nSmith,Tom\nJo\x00nes,Ann\n"
    with pytest.raises(files.FileProblem) as problem:
        files.read_csv(data)
    assert problem.value.message == FileMessages.NUL_CHARACTER.format(line=3)


def test_an_address_over_two_lines_is_one_row_numbered_as_the_spreadsheet_shows_it():
    data = b'Surname,Forename,Address\nSmith,Tom,"1 High St\nEly"\nJones,Ann,2 Low St\n'
    table = files.read_csv(data)
    assert table.rows == [
        (2, ["Smith", "Tom", "1 High St\nEly"]),
        (3, ["Jones", "Ann", "2 Low St"]),
    ]


def test_a_long_note_over_two_lines_is_one_value_not_a_broken_quote():
    """A CME referral's enquiries, typed with commas over two lines, is an ordinary value."""
    note = "Called mum, called dad, visited the home, asked the GP, asked the nursery,\nno reply"
    data = f'Surname,Forename,DOB,Enquiries made\nSmith,Tom,14/03/2015,"{note}"\n'.encode()
    table = files.read_csv(data)
    assert table.rows == [(2, ["Smith", "Tom", "14/03/2015", note])]


@pytest.mark.parametrize(
    "rows",
    [
        # Never closed: the rows after it become the address.
        b'Smith,Tom,14/03/2015,"1 High St\nJones,Ann,01/02/2015,2 Low St\nPatel,Raj,05/06/2014,3\n',
        # Closed by the next row's own opening quotation mark: Jones vanishes into the address.
        b'Smith,Tom,M,14/03/2015,"1 High St,CB7\nJones,Ann,F,01/02/2015,"2 Low St,CB7\n',
    ],
    ids=["never closed", "closed by the next row"],
)
def test_a_quotation_mark_left_open_is_refused_before_it_swallows_the_rows_after_it(rows):
    """Read leniently, the next pupils would become part of Smith's address and vanish."""
    data = b"Surname,Forename,Sex,DOB,Address,Postcode\n" + rows
    with pytest.raises(files.FileProblem) as problem:
        files.read_csv(data)
    assert problem.value.message == FileMessages.CSV_QUOTE_NOT_CLOSED.format(row=2, line=2)


def test_an_xlsx_guidance_sheet_is_skipped_and_dates_become_iso_text():
    import tablib

    guidance = tablib.Dataset(headers=["Column", "What to enter"], title="Guidance")
    returns = tablib.Dataset(headers=["Surname", "DOB"], title="Returns")
    returns.append(["Smith", date(2015, 3, 14)])
    data = tablib.Databook([guidance, returns]).export("xlsx")
    table = files.read_table("returns.xlsx", data)
    assert table.headers == ["Surname", "DOB"]
    assert table.rows == [(2, ["Smith", "2015-03-14"])]


def test_a_damaged_workbook_is_a_file_problem():
    with pytest.raises(files.FileProblem) as problem:
        files.read_table("x.xlsx", files.XLSX_MAGIC + b"not really a zip")
    assert problem.value.message == FileMessages.XLSX_BROKEN


def _workbook(rows: int) -> bytes:
    import tablib

    sheet = tablib.Dataset(headers=["Surname", "Forename"], title="Returns")
    for number in range(rows):
        sheet.append([f"Smith{number}", "Ann"])
    return tablib.Databook([sheet]).export("xlsx")


def test_an_xlsx_whose_shared_strings_unpack_to_hundreds_of_megabytes_is_refused_unparsed(
    settings, monkeypatch
):
    import openpyxl

    def parse(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", parse)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook(1))) as source:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
            for part in source.infolist():
                if part.filename != "xl/sharedStrings.xml":
                    bomb.writestr(part, source.read(part))
            # One shared string a little past the limit, written in chunks: it deflates to a
            # few hundred kilobytes.
            with bomb.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
                strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/')
                strings.write(b'2006/main" count="1" uniqueCount="1"><si><t>')
                chunk = b"A" * (1024 * 1024)
                for _ in range(settings.FEED_MAX_XLSX_UNCOMPRESSED_BYTES // len(chunk) + 1):
                    strings.write(chunk)
                strings.write(b"</t></si></sst>")
    data = buffer.getvalue()
    assert len(data) < settings.FEED_MAX_UPLOAD_BYTES

    with pytest.raises(files.FileProblem) as problem:
        files.read_table("returns.xlsx", data)

    assert problem.value.message == FileMessages.XLSX_UNPACKS_TOO_LARGE.format(
        file="returns.xlsx", limit=filesizeformat(settings.FEED_MAX_XLSX_UNCOMPRESSED_BYTES)
    )


def test_an_xlsx_with_more_rows_than_the_limit_is_refused_naming_the_file_and_the_limit(
    settings,
):
    settings.FEED_MAX_XLSX_ROWS = 50

    with pytest.raises(files.FileProblem) as problem:
        files.read_table("big returns.xlsx", _workbook(50))  # 51 rows with the headings

    assert problem.value.message == FileMessages.XLSX_TOO_MANY_ROWS.format(
        file="big returns.xlsx", limit="50"
    )


def test_an_xlsx_with_rows_up_to_the_limit_is_read(settings):
    settings.FEED_MAX_XLSX_ROWS = 50

    table = files.read_table("returns.xlsx", _workbook(49))

    assert len(table.rows) == 49


def test_formats_are_detected_by_content_before_name():
    assert files.detect_format("renamed.csv", b"<?xml version='1.0'?><CTfile/>") == "ctf"
    assert files.detect_format("a.csv", files.XLSX_MAGIC + b"...") == "xlsx"
    assert files.detect_format("a.txt", b"Surname,Forename\n") == "csv"


@pytest.mark.parametrize("value", ["=1+1", "+44", "-2", "@SUM(A1)", "\tx"])
def test_written_cells_never_start_a_formula(value):
    assert csv_output.spreadsheet_safe(value) == "'" + value


def test_the_csv_the_register_writes_is_formula_safe():
    written = csv_output.write_csv(["=Heading"], [["=HYPERLINK(1)", "plain"]]).decode("utf-8-sig")
    assert written.splitlines() == ["'=Heading", "'=HYPERLINK(1),plain"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27/03/2016", date(2016, 3, 27)),
        ("2016-03-27", date(2016, 3, 27)),
        ("42456", date(2016, 3, 27)),  # an Excel serial number
        ("27/03/2016 00:00:00", date(2016, 3, 27)),  # a MIS export's midnight
        ("2016-03-27T00:00", date(2016, 3, 27)),
        ("27-Mar-2016", date(2016, 3, 27)),  # Excel's date shown as text
        ("27-mar-16", date(2016, 3, 27)),
        ("27 March 2016", date(2016, 3, 27)),
        ("27.03.16", date(2016, 3, 27)),
        ("31/02/2016", None),
        ("03/27/2016", None),  # month first: not a UK date
        ("27/03/2016 lunchtime", None),
        ("soon", None),
    ],
)
def test_dates_are_read_in_the_forms_schools_send(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f", ("", "f")),
        ("F", ("", "f")),
        ("9(1)(f)", ("9", "f")),
        ("Ground I", ("", "i")),
        ("reg 8(1)(d)", ("8", "d")),
        ("zz", None),
    ],
)
def test_grounds_are_read_as_letter_and_regulation(text, expected):
    assert parse_ground(text) == expected


def test_a_complete_deletion_return_has_no_errors_and_normalises_values():
    parsed = parse(deletion())
    assert not parsed.has_errors, parsed.problems
    assert parsed.values["postcode"] == "CB7 9QT"
    assert parsed.values["parents"][0]["phone"] == "07700900123"
    assert (parsed.values["legal_basis"], parsed.values["ground"]) == ("2024", "a")


def test_upn_check_letter_is_checked():
    parsed = parse(deletion(upn="Z801200001001"))
    assert identifiers.UPN_CHECK_LETTER in messages(parsed, "error")


def test_unknown_upn_placeholders_are_not_errors():
    parsed = parse(deletion(upn="UN2"))
    assert not parsed.has_errors
    assert parsed.values["upn"] == ""


def test_uln_check_digit_is_checked():
    parsed = parse(deletion(uln="1000000063"))
    assert parsed.has_errors
    assert any("ULN" in m for m in messages(parsed, "error"))


@pytest.mark.parametrize("missing", ["legal_surname", "legal_forenames", "date_of_birth"])
def test_identity_is_required(missing):
    parsed = parse(deletion(**{missing: None}))
    assert any(p.field == missing and p.level == "error" for p in parsed.problems)


def test_a_date_of_birth_that_is_not_a_date_names_the_field():
    parsed = parse(deletion(date_of_birth="31/02/2015"))
    assert RowMessages.DATE_INVALID.format(field="Date of birth") in messages(parsed)


def test_an_implausible_age_is_an_error_but_sixth_form_is_a_warning():
    too_old = parse(deletion(date_of_birth="01/01/1990"))
    assert any("check the date of birth" in m for m in messages(too_old, "error"))
    sixth_form = parse(deletion(date_of_birth="01/12/2009"))
    assert RowMessages.AGE_NURSERY_OR_SIXTH_FORM.format(on="20/11/2026") in messages(
        sixth_form, "warning"
    )
    assert not sixth_form.has_errors


def test_a_deletion_too_far_in_the_future_is_rejected():
    parsed = parse(deletion(deletion_date=(TODAY + timedelta(days=8)).strftime("%d/%m/%Y")))
    assert RowMessages.DELETION_DATE_IN_FUTURE.format(days=7) in messages(parsed, "error")


def test_a_deletion_within_the_margin_is_accepted():
    parsed = parse(deletion(deletion_date=(TODAY + timedelta(days=7)).strftime("%d/%m/%Y")))
    assert not parsed.has_errors


def test_a_deletion_before_birth_is_rejected():
    parsed = parse(deletion(date_of_birth="14/03/2015", deletion_date="01/01/2015"))
    assert RowMessages.DELETION_BEFORE_BIRTH in messages(parsed, "error")


def test_a_return_received_after_the_deletion_is_flagged_late():
    parsed = parse(deletion(deletion_date="02/11/2026"))
    assert parsed.values["is_late"] is True
    assert RowMessages.RETURN_LATE.format(received="23/11/2026", deleted="02/11/2026") in messages(
        parsed, "warning"
    )


def test_home_education_needs_the_date_of_the_parents_written_notice():
    parsed = parse(deletion(ground="f", destination_urn=None))
    assert RowMessages.HOME_EDUCATION_NOTICE_REQUIRED.format(ground="9(1)(f)") in messages(parsed)


def test_home_education_deleted_before_the_written_notice_is_flagged():
    parsed = parse(
        deletion(
            ground="f",
            destination_urn=None,
            parent_notice_date="22/11/2026",
            deletion_date="20/11/2026",
        )
    )
    assert RowMessages.HOME_EDUCATION_BEFORE_NOTICE.format(
        deleted="20/11/2026", notice="22/11/2026"
    ) in messages(parsed, "warning")


def test_registered_at_another_school_needs_the_destination():
    parsed = parse(deletion(destination_urn=None))
    assert RowMessages.DESTINATION_REQUIRED.format(ground="9(1)(a)") in messages(parsed, "error")


def test_moved_away_without_a_new_address_is_a_warning_that_refers_to_cme():
    parsed = parse(deletion(ground="g", destination_urn=None))
    assert RowMessages.NEW_ADDRESS_MISSING.format(ground="9(1)(g)") in messages(parsed, "warning")
    assert not parsed.has_errors


def test_the_ground_code_set_follows_the_deletion_date():
    before = parse(
        deletion(
            ground="d",
            deletion_date="01/07/2024",
            destination_urn=None,
            parent_notice_date="01/07/2024",
        )
    )
    assert (before.values["legal_basis"], before.values["ground"]) == ("2006", "d")
    wrong_set = parse(deletion(ground="9(1)(f)", deletion_date="01/07/2024"))
    assert any("is not a ground of the 2006 Regulations" in m for m in messages(wrong_set, "error"))
    fifteenth = parse(deletion(ground="o", deletion_date="01/07/2024"))
    assert fifteenth.has_errors


def test_a_parent_without_an_emergency_phone_is_an_error():
    parsed = parse(deletion(parent_1_phone=None))
    assert RowMessages.PARENT_PHONE_REQUIRED.format(parent="Jane Smith") in messages(parsed)


def test_postcode_and_phone_format_problems_are_warnings_only():
    parsed = parse(deletion(postcode="ZZ99 3WZ", parent_1_phone="12345"))
    assert RowMessages.POSTCODE_FORMAT.format(postcode="ZZ99 3WZ") in messages(parsed, "warning")
    assert RowMessages.PHONE_FORMAT.format(phone="12345") in messages(parsed, "warning")


def test_a_new_pupil_return_after_five_days_is_late():
    raw = {**deletion(ground=None, deletion_date=None), "starting_date": "10/11/2026"}
    parsed = parse(raw, kind=NotificationKind.NEW_PUPIL)
    assert parsed.values["is_late"]
    assert RowMessages.NEW_PUPIL_RETURN_LATE.format(due="15/11/2026") in messages(parsed)


def test_a_ten_day_absence_return_needs_ten_days():
    raw = {
        "legal_surname": "Smith",
        "legal_forenames": "Tom",
        "date_of_birth": "14/03/2015",
        "absence_start_date": "01/11/2026",
        "consecutive_days_absent": "6",
    }
    parsed = parse(raw, kind=NotificationKind.TEN_DAY_ABSENCE)
    assert RowMessages.DAYS_ABSENT_TOO_FEW.format(needed=10) in messages(parsed)


def test_an_absence_return_cannot_claim_more_school_days_than_have_passed():
    """docs/rules/registration.md §5.2: 15 school days cannot fit between a Monday and the
    Friday of the next week (10 weekdays)."""
    raw = {
        "legal_surname": "Smith",
        "legal_forenames": "Tom",
        "date_of_birth": "14/03/2015",
        "absence_start_date": "02/11/2026",
        "consecutive_days_absent": "15",
    }
    parsed = parse(
        raw,
        kind=NotificationKind.TEN_DAY_ABSENCE,
        context=RowContext(received_on=date(2026, 11, 13)),
    )
    assert RowMessages.DAYS_ABSENT_MORE_THAN_POSSIBLE.format(
        days=15, possible=10, start="02/11/2026"
    ) in messages(parsed)
    raw["consecutive_days_absent"] = "10"
    parsed = parse(
        raw,
        kind=NotificationKind.TEN_DAY_ABSENCE,
        context=RowContext(received_on=date(2026, 11, 13)),
    )
    assert messages(parsed) == []


def test_the_absence_return_threshold_is_the_rulebooks(settings):
    settings.STATUTORY_RULES = '{"absence_return_school_days": 15}'
    raw = {
        "legal_surname": "Smith",
        "legal_forenames": "Tom",
        "date_of_birth": "14/03/2015",
        "absence_start_date": "01/10/2026",
        "consecutive_days_absent": "12",
    }
    parsed = parse(raw, kind=NotificationKind.TEN_DAY_ABSENCE)
    assert RowMessages.DAYS_ABSENT_TOO_FEW.format(needed=15) in messages(parsed)


def test_an_exclusion_type_is_read_from_words():
    raw = {
        "legal_surname": "Smith",
        "legal_forenames": "Tom",
        "date_of_birth": "14/03/2015",
        "exclusion_type": "Fixed term",
        "exclusion_start_date": "01/11/2026",
        "exclusion_days": "2.5",
    }
    parsed = parse(raw, kind=NotificationKind.EXCLUSION)
    assert parsed.values["exclusion_type"] == "suspension"
    assert parsed.values["exclusion_days"] == 2.5
    bad = parse({**raw, "exclusion_type": "detention"}, kind=NotificationKind.EXCLUSION)
    assert RowMessages.EXCLUSION_TYPE_INVALID in messages(bad)


def test_a_return_type_column_overrides_the_files_kind():
    raw = {
        **deletion(ground=None, deletion_date=None),
        "return_type": "New pupil",
        "starting_date": "20/11/2026",
    }
    assert parse(raw).kind == NotificationKind.NEW_PUPIL
    assert RowMessages.RETURN_TYPE_INVALID in messages(parse({**raw, "return_type": "holiday"}))
