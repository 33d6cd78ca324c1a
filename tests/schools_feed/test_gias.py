"""The GIAS establishment extract and the school-rolls import (issue section "Schools and rolls").

The parser is tested as a pure function; the services, commands and admin pages against the
database. The sample ``gias_sample.csv`` is real GIAS rows, byte for byte
(docs/rules/formats.md §4.4).
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from schools_feed.gias import GiasMessages, RowProblem, parse_gias
from schools_feed.intake.files import FileProblem
from schools_feed.intake.messages import FileMessages, RowMessages
from schools_feed.models import EstablishmentTypeGroup, School, SchoolRoll
from schools_feed.services.schools import RollMessages, school_import_gias, school_roll_import
from tests.factories import SchoolFactory, UserFactory, sign_in

GIAS_SAMPLE = (
    '"URN","LA (code)","LA (name)","EstablishmentNumber","EstablishmentName",'
    '"TypeOfEstablishment (code)","TypeOfEstablishment (name)",'
    '"EstablishmentTypeGroup (code)","EstablishmentTypeGroup (name)",'
    '"EstablishmentStatus (code)","EstablishmentStatus (name)",'
    '"ReasonEstablishmentOpened (code)","ReasonEstablishmentOpened (name)","OpenDate",'
    '"ReasonEstablishmentClosed (code)","ReasonEstablishmentClosed (name)","CloseDate",'
    '"PhaseOfEducation (code)","PhaseOfEducation (name)","StatutoryLowAge",'
    '"StatutoryHighAge","Boarders (code)","Boarders (name)","NurseryProvision (name)",'
    '"OfficialSixthForm (code)","OfficialSixthForm (name)","Gender (code)","Gender (name)",'
    '"ReligiousCharacter (code)","ReligiousCharacter (name)","ReligiousEthos (name)",'
    '"Diocese (code)","Diocese (name)","AdmissionsPolicy (code)","AdmissionsPolicy (name)",'
    '"SchoolCapacity","SpecialClasses (code)","SpecialClasses (name)","CensusDate",'
    '"NumberOfPupils","NumberOfBoys","NumberOfGirls","PercentageFSM",'
    '"TrustSchoolFlag (code)","TrustSchoolFlag (name)","Trusts (code)","Trusts (name)",'
    '"SchoolSponsorFlag (name)","SchoolSponsors (name)","FederationFlag (name)",'
    '"Federations (code)","Federations (name)","UKPRN","FEHEIdentifier",'
    '"FurtherEducationType (name)","LastChangedDate","Street","Locality","Address3","Town",'
    '"County (name)","Postcode","SchoolWebsite","TelephoneNum","HeadTitle (name)",'
    '"HeadFirstName","HeadLastName","HeadPreferredJobTitle","BSOInspectorateName (name)",'
    '"InspectorateReport","DateOfLastInspectionVisit","NextInspectionVisit",'
    '"TeenMoth (name)","TeenMothPlaces","CCF (name)","SENPRU (name)","EBD (name)",'
    '"PlacesPRU","FTProv (name)","EdByOther (name)","Section41Approved (name)",'
    '"SEN1 (name)","SEN2 (name)","SEN3 (name)","SEN4 (name)","SEN5 (name)","SEN6 (name)",'
    '"SEN7 (name)","SEN8 (name)","SEN9 (name)","SEN10 (name)","SEN11 (name)","SEN12 (name)",'
    '"SEN13 (name)","TypeOfResourcedProvision (name)","ResourcedProvisionOnRoll",'
    '"ResourcedProvisionCapacity","SenUnitOnRoll","SenUnitCapacity","GOR (code)",'
    '"GOR (name)","DistrictAdministrative (code)","DistrictAdministrative (name)",'
    '"AdministrativeWard (code)","AdministrativeWard (name)",'
    '"ParliamentaryConstituency (code)","ParliamentaryConstituency (name)",'
    '"UrbanRural (code)","UrbanRural (name)","GSSLACode (name)","Easting","Northing",'
    '"MSOA (name)","LSOA (name)","InspectorateName (name)","SENStat","SENNoStat",'
    '"BoardingEstablishment (name)","PropsName","PreviousLA (code)","PreviousLA (name)",'
    '"PreviousEstablishmentNumber","Country (name)","UPRN","SiteName","QABName (code)",'
    '"QABName (name)","EstablishmentAccredited (code)","EstablishmentAccredited (name)",'
    '"QABReport","CHNumber","MSOA (code)","LSOA (code)","FSM","AccreditationExpiryDate"\n'
    '100000,"201","City of London","3614","The Aldgate School","02",'
    '"Voluntary aided school","4","Local authority maintained schools","1","Open","00",'
    '"Not applicable","","00","Not applicable","","2","Primary",3,11,"1","No boarders",'
    '"Has Nursery Classes","2","Does not have a sixth form","3","Mixed","02",'
    '"Church of England","Does not apply","CE23","Diocese of London","0","Not applicable",'
    '245,"2","No Special Classes","16-01-2025","249","137","112","23.30","0",'
    '"Not applicable","","","Not applicable","","Not under a federation","","",10079319,"",'
    '"Not applicable","14-01-2026","St James\'s Passage","Duke\'s Place","","London","",'
    '"EC3A 5DE","www.thealdgateschool.org","02072831147","Miss","Alexandra","Allan",'
    '"Headteacher","Not applicable","","","","Not applicable","","Not applicable",'
    '"Not applicable","Not applicable","","","Not applicable","Not applicable","","","","",'
    '"","","","","","","","","","","","","","","H","London","E09000001","City of London",'
    '"E05009308","Portsoken","E14001172","Cities of London and Westminster","UN1",'
    '"Urban: Nearer to a major town or city","E09000001",533498,181201,"City of London 001",'
    '"City of London 001F","","","","","","999","","","","200000071925","","0",'
    '"Not applicable","0","Not applicable","","","E02000001","E01032739","58",""\n'
    '100004,"202","Camden","1045","Sherborne Nursery School","15",'
    '"Local authority nursery school","4","Local authority maintained schools","2","Closed",'
    '"00","Not applicable","","00","Not applicable","31-08-1992","1","Nursery",3,5,"1",'
    '"No boarders","Not applicable","0","Not applicable","3","Mixed","00","Does not apply",'
    '"Does not apply","0000","Not applicable","0","Not applicable","","0","Not applicable",'
    '"","","","","","0","Not applicable","","","Not applicable","","Not under a federation",'
    '"","","","","Not applicable","24-09-2015","Priestly House","Athlone Street","",'
    '"London","","NW5 4LP","","","","","","Headteacher","Not applicable","","","",'
    '"Not applicable","","Not applicable","Not applicable","Not applicable","","",'
    '"Not applicable","Not applicable","","","","","","","","","","","","","","","","","",'
    '"","H","London","E09000007","Camden","E05000136","Haverstock","E14000750",'
    '"Holborn and St Pancras","A1","(England/Wales) Urban major conurbation","E09000007",'
    '528515,184869,"Camden 007","Camden 007D","","","","","","999","","","","200163898","",'
    '"0","Not applicable","0","Not applicable","","","E02000172","E01000901","",""\n'
).encode("cp1252")

ALDGATE, SHERBORNE = 0, 1  # the sample's rows, by position after the header


def gias_file(*, changes=None, drop=(), extra=None, encoding="cp1252", reverse_columns=False):
    """The sample, edited: ``changes`` {row index: {column: value}}, columns dropped, an extra
    column ({heading: value}) added, or the columns put in reverse order."""
    header, *rows = list(csv.reader(io.StringIO(GIAS_SAMPLE.decode("cp1252"))))
    records = [dict(zip(header, row, strict=True)) for row in rows]
    for index, values in (changes or {}).items():
        records[index].update(values)
    header = [column for column in header if column not in drop] + list(extra or {})
    if reverse_columns:
        header.reverse()
    for record in records:
        record.update(extra or {})
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([record[column] for column in header] for record in records)
    return buffer.getvalue().encode(encoding)


def parsed(data: bytes):
    extract = parse_gias(data)
    return list(extract.rows), extract.problems


# --- The parser -------------------------------------------------------------------------------


def test_the_sample_extract_parses_both_schools_by_column_name():
    schools, problems = parsed(GIAS_SAMPLE)

    assert problems == []
    aldgate, sherborne = schools
    assert aldgate["urn"] == "100000"
    assert aldgate["la_code"] == "201"
    assert aldgate["la_name"] == "City of London"
    assert aldgate["establishment_number"] == "3614"
    assert aldgate["laestab"] == "2013614"
    assert aldgate["name"] == "The Aldgate School"
    assert aldgate["type_code"] == "02"
    assert aldgate["type_name"] == "Voluntary aided school"
    assert aldgate["type_group"] == EstablishmentTypeGroup.LA_MAINTAINED
    assert aldgate["phase"] == "Primary"
    assert aldgate["status"] == "Open"
    assert aldgate["open_date"] is None
    assert aldgate["close_date"] is None
    assert (aldgate["statutory_low_age"], aldgate["statutory_high_age"]) == (3, 11)
    assert aldgate["trust_name"] == ""
    assert aldgate["number_on_roll"] == 249
    assert aldgate["percentage_fsm"] == Decimal("23.30")
    assert (aldgate["postcode"], aldgate["town"]) == ("EC3A 5DE", "London")
    assert sherborne["laestab"] == "2021045"
    assert sherborne["status"] == "Closed"
    assert sherborne["phase"] == "Nursery"
    assert sherborne["close_date"] == date(1992, 8, 31)
    assert sherborne["number_on_roll"] is None
    assert sherborne["percentage_fsm"] is None


def test_columns_are_read_by_name_whatever_their_order_and_extra_columns_are_ignored():
    data = gias_file(extra={"SomeNewColumn2027": "x"}, reverse_columns=True)

    schools, problems = parsed(data)

    assert problems == []
    assert [school["urn"] for school in schools] == ["100000", "100004"]
    assert schools[ALDGATE]["laestab"] == "2013614"
    assert schools[ALDGATE]["number_on_roll"] == 249


def test_a_missing_optional_column_leaves_its_field_blank():
    extract = parse_gias(gias_file(drop=("Trusts (name)", "NumberOfPupils", "Postcode")))
    aldgate = next(extract.rows)

    assert aldgate["trust_name"] == ""
    assert aldgate["number_on_roll"] is None
    assert aldgate["postcode"] == ""
    assert {"trust_name", "number_on_roll", "postcode"}.isdisjoint(extract.fields)


def test_without_an_establishment_number_there_is_no_laestab():
    schools, _ = parsed(gias_file(changes={ALDGATE: {"EstablishmentNumber": ""}}))

    assert schools[ALDGATE]["establishment_number"] == ""
    assert schools[ALDGATE]["laestab"] == ""


@pytest.mark.parametrize("column", ["URN", "EstablishmentName"])
def test_a_missing_urn_or_name_column_is_a_file_problem(column):
    with pytest.raises(FileProblem) as problem:
        parse_gias(gias_file(drop=(column,)))

    assert problem.value.message == FileMessages.MISSING_COLUMNS.format(columns=column)


def test_a_windows_1252_name_is_decoded():
    data = gias_file(changes={ALDGATE: {"EstablishmentName": "St Mary’s – Aldgate"}})
    assert "’".encode("cp1252") in data  # really Windows-1252, not UTF-8

    schools, _ = parsed(data)

    assert schools[ALDGATE]["name"] == "St Mary’s – Aldgate"


def test_utf8_with_a_byte_order_mark_is_read():
    data = gias_file(changes={ALDGATE: {"EstablishmentName": "St Mary’s"}}, encoding="utf-8-sig")

    schools, problems = parsed(data)

    assert problems == []
    assert schools[ALDGATE]["urn"] == "100000"
    assert schools[ALDGATE]["name"] == "St Mary’s"


def test_a_row_with_a_bad_date_is_reported_with_its_row_number_and_column_and_skipped():
    schools, problems = parsed(gias_file(changes={ALDGATE: {"OpenDate": "31-02-2020"}}))

    assert [school["urn"] for school in schools] == ["100004"]
    message = GiasMessages.DATE_INVALID.format(column="OpenDate", value="31-02-2020")
    assert problems == [RowProblem(2, "OpenDate", message)]
    assert str(problems[0]) == f"Row 2, OpenDate: {message}"


def test_a_non_numeric_urn_is_reported_and_skipped():
    schools, problems = parsed(gias_file(changes={SHERBORNE: {"URN": "10000A"}}))

    assert [school["urn"] for school in schools] == ["100000"]
    message = GiasMessages.NOT_A_NUMBER.format(column="URN", value="10000A")
    assert problems == [RowProblem(3, "URN", message)]


def test_a_repeated_urn_keeps_the_first_row_and_reports_the_second():
    schools, problems = parsed(gias_file(changes={SHERBORNE: {"URN": "100000"}}))

    assert [school["name"] for school in schools] == ["The Aldgate School"]
    message = GiasMessages.DUPLICATE_URN.format(urn="100000", row=2)
    assert problems == [RowProblem(3, "URN", message)]


def test_a_value_too_long_for_the_register_is_a_row_problem_not_a_crash():
    schools, problems = parsed(gias_file(changes={ALDGATE: {"Postcode": "X" * 11}}))

    assert [school["urn"] for school in schools] == ["100004"]
    assert [(problem.row, problem.column) for problem in problems] == [(2, "Postcode")]


def test_trust_name_and_sen_counts_come_from_their_gias_columns():
    changes = {ALDGATE: {"Trusts (name)": "City Learning Trust", "SENStat": "4", "SENNoStat": "31"}}

    schools, _ = parsed(gias_file(changes=changes))

    assert schools[ALDGATE]["trust_name"] == "City Learning Trust"
    assert schools[ALDGATE]["sen_ehcp_count"] == 4
    assert schools[ALDGATE]["sen_support_count"] == 31


@pytest.mark.parametrize(
    ("group_name", "type_name", "expected"),
    [
        ("Academies", "Academy converter", EstablishmentTypeGroup.ACADEMY),
        ("Free Schools", "Free schools", EstablishmentTypeGroup.FREE_SCHOOL),
        ("Independent schools", "Other independent school", EstablishmentTypeGroup.INDEPENDENT),
        ("Special schools", "Community special school", EstablishmentTypeGroup.SPECIAL),
        ("Colleges", "Further education", EstablishmentTypeGroup.COLLEGE),
        (
            "Local authority maintained schools",
            "Pupil referral unit",
            EstablishmentTypeGroup.PRU_AP,
        ),
        ("Academies", "Academy alternative provision converter", EstablishmentTypeGroup.PRU_AP),
        ("Welsh schools", "Welsh establishment", EstablishmentTypeGroup.OTHER),
        ("", "", EstablishmentTypeGroup.OTHER),
    ],
)
def test_the_gias_type_group_maps_to_the_register_group(group_name, type_name, expected):
    changes = {
        ALDGATE: {
            "EstablishmentTypeGroup (name)": group_name,
            "TypeOfEstablishment (name)": type_name,
        }
    }

    schools, _ = parsed(gias_file(changes=changes))

    assert schools[ALDGATE]["type_group"] == expected


# --- The GIAS import --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sample_extract_imports_both_schools():
    result = school_import_gias(data=GIAS_SAMPLE, by=None)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (2, 0, 0, [])
    aldgate = School.objects.get(urn="100000")
    assert aldgate.laestab == "2013614"
    assert aldgate.name == "The Aldgate School"
    assert aldgate.type_group == EstablishmentTypeGroup.LA_MAINTAINED
    assert (aldgate.phase, aldgate.status) == ("Primary", "Open")
    assert aldgate.number_on_roll == 249
    assert aldgate.percentage_fsm == Decimal("23.30")
    assert aldgate.trust_name == ""
    sherborne = School.objects.get(urn="100004")
    assert sherborne.laestab == "2021045"
    assert sherborne.status == "Closed"
    assert sherborne.close_date == date(1992, 8, 31)


@pytest.mark.django_db
def test_reimporting_the_extract_updates_and_never_duplicates():
    school_import_gias(data=GIAS_SAMPLE, by=None)

    result = school_import_gias(data=GIAS_SAMPLE, by=None)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert School.objects.count() == 2


@pytest.mark.django_db
def test_a_changed_name_in_a_later_extract_updates_the_school():
    school_import_gias(data=GIAS_SAMPLE, by=None)
    renamed = gias_file(changes={ALDGATE: {"EstablishmentName": "Aldgate Primary"}})

    result = school_import_gias(data=renamed, by=None)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert School.objects.get(urn="100000").name == "Aldgate Primary"
    assert School.objects.count() == 2


@pytest.mark.django_db
def test_a_school_already_in_the_register_is_updated_from_the_extract():
    SchoolFactory(urn="100000", name="Old name", la_code="201", laestab="2019999")

    result = school_import_gias(data=GIAS_SAMPLE, by=None)

    assert (result.created, result.updated) == (1, 1)
    school = School.objects.get(urn="100000")
    assert (school.name, school.laestab) == ("The Aldgate School", "2013614")


@pytest.mark.django_db
def test_a_column_missing_from_a_later_extract_keeps_the_value_already_held():
    school_import_gias(data=gias_file(changes={ALDGATE: {"Trusts (name)": "City Trust"}}), by=None)

    result = school_import_gias(data=gias_file(drop=("Trusts (name)",)), by=None)

    assert result.unchanged == 2
    assert School.objects.get(urn="100000").trust_name == "City Trust"


@pytest.mark.django_db
def test_is_local_follows_the_local_la_codes_setting(settings):
    settings.LOCAL_LA_CODES = ["201"]
    school_import_gias(data=GIAS_SAMPLE, by=None)
    assert dict(School.objects.values_list("urn", "is_local")) == {
        "100000": True,
        "100004": False,
    }

    settings.LOCAL_LA_CODES = ["202"]
    result = school_import_gias(data=GIAS_SAMPLE, by=None)

    assert result.updated == 2
    assert dict(School.objects.values_list("urn", "is_local")) == {
        "100000": False,
        "100004": True,
    }


@pytest.mark.django_db
def test_rejected_extract_rows_are_reported_and_the_others_imported():
    data = gias_file(changes={SHERBORNE: {"CloseDate": "1992-31-08"}})

    result = school_import_gias(data=data, by=None)

    assert result.created == 1
    assert [(problem.row, problem.column) for problem in result.rejected] == [(3, "CloseDate")]
    assert list(School.objects.values_list("urn", flat=True)) == ["100000"]


# --- The school-rolls import ------------------------------------------------------------------


def rolls_csv(*rows, header="URN,Census date,NC year,Number on roll,FSM count,SEN support,EHCP"):
    return "\n".join([header, *rows]).encode()


@pytest.fixture
def school():
    return SchoolFactory(urn="100000", la_code="201", establishment_number="3614")


@pytest.mark.django_db
def test_school_rolls_are_created_and_a_reimport_updates_them(school):
    first = school_roll_import(data=rolls_csv("100000,16/01/2025,7,180,40,20,5"), by=None)
    assert (first.created, first.updated, first.written) == (1, 0, True)

    second = school_roll_import(
        data=rolls_csv("100000,2025-01-16,7,175,40,20,5", "100000,16/01/2025,8,170,,,"), by=None
    )

    assert (second.created, second.updated, second.unchanged) == (1, 1, 0)
    rolls = {roll.nc_year: roll for roll in SchoolRoll.objects.filter(school=school)}
    assert rolls["7"].number_on_roll == 175
    assert rolls["7"].census_date == date(2025, 1, 16)
    assert (rolls["7"].fsm_count, rolls["7"].sen_support_count, rolls["7"].ehcp_count) == (
        40,
        20,
        5,
    )
    assert (rolls["8"].number_on_roll, rolls["8"].fsm_count) == (170, 0)

    third = school_roll_import(
        data=rolls_csv("100000,2025-01-16,7,175,40,20,5", "100000,16/01/2025,8,170,,,"), by=None
    )
    assert (third.created, third.updated, third.unchanged) == (0, 0, 2)
    assert SchoolRoll.objects.count() == 2


@pytest.mark.django_db
def test_a_rolls_file_with_an_unknown_urn_changes_nothing(school):
    data = rolls_csv("100000,16/01/2025,7,180,,,", "999999,16/01/2025,7,90,,,")

    result = school_roll_import(data=data, by=None)

    assert not result.written
    assert SchoolRoll.objects.count() == 0
    message = RowMessages.SCHOOL_UNKNOWN.format(identifier="URN", value="999999")
    assert result.rejected == [RowProblem(3, "URN", message)]


@pytest.mark.django_db
def test_accept_valid_rows_imports_the_good_rows_of_a_rolls_file(school):
    data = rolls_csv("100000,16/01/2025,7,180,,,", "999999,16/01/2025,7,90,,,")

    result = school_roll_import(data=data, by=None, accept_valid_rows=True)

    assert result.written
    assert result.created == 1
    assert len(result.rejected) == 1
    assert SchoolRoll.objects.get().number_on_roll == 180


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "100000,31/02/2025,7,180,,,",
            "Census date",
            RowMessages.DATE_INVALID.format(field="Census date"),
        ),
        (
            "100000,16/01/2025,7,many,,,",
            "Number on roll",
            RowMessages.WHOLE_NUMBER.format(field="Number on roll"),
        ),
        (
            "100000,16/01/2025,7,-3,,,",
            "Number on roll",
            RollMessages.NEGATIVE.format(field="Number on roll"),
        ),
        ("100000,16/01/2025,15,180,,,", "NC year", RowMessages.NC_YEAR_INVALID),
        ("100000,16/01/2025,,180,,,", "NC year", RowMessages.REQUIRED.format(field="NC year")),
        (
            "100000,16/01/2025,7,10,11,,",
            "FSM count",
            RollMessages.MORE_THAN_ROLL.format(field="FSM count", count=11, roll=10),
        ),
    ],
)
def test_a_bad_roll_value_is_rejected_naming_the_row_and_column(school, row, column, message):
    result = school_roll_import(data=rolls_csv(row), by=None)

    assert result.rejected == [RowProblem(2, column, message)]
    assert SchoolRoll.objects.count() == 0


@pytest.mark.django_db
def test_the_same_school_census_and_year_twice_in_a_file_is_rejected(school):
    data = rolls_csv("100000,16/01/2025,7,180,,,", "100000,2025-01-16,Y7,181,,,")

    result = school_roll_import(data=data, by=None)

    assert result.rejected == [RowProblem(3, "NC year", RollMessages.DUPLICATE.format(row=2))]


@pytest.mark.django_db
def test_roll_headings_are_matched_ignoring_case_spaces_and_punctuation(school):
    data = rolls_csv(
        "100000,16/01/2025,Year 7,180",
        "100000,16/01/2025,Reception,60",
        header="urn,CENSUS_DATE,Nc-Year,number on roll",
    )

    result = school_roll_import(data=data, by=None)

    assert result.created == 2
    assert set(SchoolRoll.objects.values_list("nc_year", flat=True)) == {"7", "R"}


@pytest.mark.django_db
def test_school_rolls_are_read_from_a_workbook_by_laestab(school):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["LAESTAB", "Census date", "NC year", "Number on roll", "EHCP count"])
    sheet.append(["2013614", date(2025, 1, 16), 11, 150, 6])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = school_roll_import(data=buffer.getvalue(), by=None)

    assert result.created == 1
    roll = SchoolRoll.objects.get()
    assert (roll.school, roll.census_date, roll.nc_year) == (school, date(2025, 1, 16), "11")
    assert (roll.number_on_roll, roll.ehcp_count) == (150, 6)


@pytest.mark.django_db
def test_a_laestab_shared_with_a_closed_school_finds_the_open_one(school):
    SchoolFactory(urn="100001", la_code="201", establishment_number="3614", status="Closed")
    data = rolls_csv("2013614,16/01/2025,7,180", header="LAESTAB,Census date,NC year,NOR")

    result = school_roll_import(data=data, by=None)

    assert result.rejected == []
    assert SchoolRoll.objects.get().school == school


def test_a_rolls_file_without_a_school_column_is_a_file_problem():
    with pytest.raises(FileProblem) as problem:
        school_roll_import(
            data=rolls_csv("16/01/2025,7,180", header="Census date,NC year,NOR"), by=None
        )

    assert problem.value.message == RollMessages.NO_SCHOOL_COLUMN


# --- The commands ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_import_gias_command_prints_its_summary(tmp_path, capsys):
    path = tmp_path / "edubasealldata20260101.csv"
    path.write_bytes(GIAS_SAMPLE)

    call_command("import_gias", str(path))

    assert capsys.readouterr().out.strip() == (
        "GIAS extract imported: 2 created, 0 updated, 0 unchanged, 0 rows rejected"
    )
    assert School.objects.count() == 2


def test_the_import_gias_command_fails_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_gias", str(tmp_path / "missing.csv"))


@pytest.mark.django_db
def test_the_import_gias_command_fails_on_a_file_that_is_not_an_extract(tmp_path):
    path = tmp_path / "other.csv"
    path.write_bytes(b"Name,Address\nx,y\n")

    with pytest.raises(CommandError, match="URN"):
        call_command("import_gias", str(path))


@pytest.mark.django_db
def test_the_import_rolls_command_prints_its_summary(school, tmp_path, capsys):
    path = tmp_path / "rolls.csv"
    path.write_bytes(rolls_csv("100000,16/01/2025,7,180,,,"))

    call_command("import_rolls", str(path))

    assert capsys.readouterr().out.strip() == (
        "School rolls imported: 1 created, 0 updated, 0 unchanged, 0 rows rejected"
    )


@pytest.mark.django_db
def test_the_import_rolls_command_fails_on_rejected_rows_unless_told_to_accept_the_valid_ones(
    school, tmp_path, capsys
):
    path = tmp_path / "rolls.csv"
    path.write_bytes(rolls_csv("100000,16/01/2025,7,180,,,", "999999,16/01/2025,7,90,,,"))

    with pytest.raises(CommandError, match="not imported"):
        call_command("import_rolls", str(path))
    assert SchoolRoll.objects.count() == 0

    call_command("import_rolls", str(path), "--accept-valid-rows")

    output = capsys.readouterr()
    assert "1 created" in output.out
    assert "Row 3, URN" in output.err
    assert SchoolRoll.objects.count() == 1


def test_the_import_rolls_command_fails_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_rolls", str(tmp_path / "missing.csv"))


# --- The admin uploads -------------------------------------------------------------------------

GIAS_IMPORT_URL = "admin:registry_school_import_gias"
ROLLS_IMPORT_URL = "admin:schools_feed_schoolroll_import_rolls"


@pytest.mark.django_db
def test_the_school_and_roll_lists_link_to_their_imports(admin_client):
    schools = admin_client.get(reverse("admin:registry_school_changelist"))
    rolls = admin_client.get(reverse("admin:schools_feed_schoolroll_changelist"))

    assert reverse(GIAS_IMPORT_URL) in schools.content.decode()
    assert "Import GIAS extract" in schools.content.decode()
    assert reverse(ROLLS_IMPORT_URL) in rolls.content.decode()


@pytest.mark.django_db
def test_a_superuser_imports_the_gias_extract_in_the_admin(admin_client):
    assert admin_client.get(reverse(GIAS_IMPORT_URL)).status_code == 200
    upload = SimpleUploadedFile("edubasealldata.csv", GIAS_SAMPLE, content_type="text/csv")

    response = admin_client.post(reverse(GIAS_IMPORT_URL), {"file": upload}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:registry_school_changelist")
    assert "GIAS extract imported: 2 created" in response.content.decode()
    assert School.objects.count() == 2


@pytest.mark.django_db
def test_the_admin_gias_import_lists_rejected_rows(admin_client):
    data = gias_file(changes={ALDGATE: {"OpenDate": "yesterday"}})
    upload = SimpleUploadedFile("edubasealldata.csv", data, content_type="text/csv")

    response = admin_client.post(reverse(GIAS_IMPORT_URL), {"file": upload})

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 created" in page
    assert "OpenDate" in page
    assert "yesterday" in page


@pytest.mark.django_db
def test_the_admin_gias_import_shows_a_file_problem(admin_client):
    upload = SimpleUploadedFile("wrong.csv", b"Name\nx\n", content_type="text/csv")

    response = admin_client.post(reverse(GIAS_IMPORT_URL), {"file": upload})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        FileMessages.MISSING_COLUMNS.format(columns="URN, EstablishmentName")
    ]


@pytest.mark.django_db
def test_a_superuser_imports_school_rolls_in_the_admin(admin_client, school):
    upload = SimpleUploadedFile("rolls.csv", rolls_csv("100000,16/01/2025,7,180,,,"))

    response = admin_client.post(reverse(ROLLS_IMPORT_URL), {"file": upload}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:schools_feed_schoolroll_changelist")
    assert "School rolls imported: 1 created" in response.content.decode()
    assert SchoolRoll.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_rolls_import_writes_nothing_when_a_row_is_rejected(admin_client, school):
    data = rolls_csv("100000,16/01/2025,7,180,,,", "999999,16/01/2025,7,90,,,")

    response = admin_client.post(
        reverse(ROLLS_IMPORT_URL), {"file": SimpleUploadedFile("r.csv", data)}
    )

    assert "School rolls not imported" in response.content.decode()
    assert SchoolRoll.objects.count() == 0

    accepted = admin_client.post(
        reverse(ROLLS_IMPORT_URL),
        {"file": SimpleUploadedFile("r.csv", data), "accept_valid_rows": "on"},
    )

    assert "1 created" in accepted.content.decode()
    assert SchoolRoll.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "changelist"),
    [
        (GIAS_IMPORT_URL, "admin:registry_school_changelist"),
        (ROLLS_IMPORT_URL, "admin:schools_feed_schoolroll_changelist"),
    ],
)
def test_staff_who_may_only_view_schools_cannot_import(client, url, changelist):
    staff = UserFactory(username="staff-viewer", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_school", "view_schoolroll"])
    )
    sign_in(client, staff)

    listing = client.get(reverse(changelist))

    assert listing.status_code == 200
    assert reverse(url) not in listing.content.decode()
    assert client.get(reverse(url)).status_code == 403
    assert (
        client.post(reverse(url), {"file": SimpleUploadedFile("x.csv", GIAS_SAMPLE)}).status_code
        == 403
    )
    assert School.objects.count() == 0


@pytest.mark.django_db
def test_a_rolls_file_may_give_the_social_care_count_the_off_rolling_strata_need(school):
    data = rolls_csv(
        "100000,16/01/2025,10,180,6",
        header="URN,Census date,NC year,Number on roll,CLA/CIN/CP",
    )

    result = school_roll_import(data=data, by=None)

    assert result.created == 1
    assert SchoolRoll.objects.get().social_care_count == 6


@pytest.mark.django_db
def test_a_social_care_count_above_the_roll_is_rejected(school):
    data = rolls_csv(
        "100000,16/01/2025,10,180,181",
        header="URN,Census date,NC year,Number on roll,Social care count",
    )

    result = school_roll_import(data=data, by=None)

    message = RollMessages.MORE_THAN_ROLL.format(field="Social care count", count=181, roll=180)
    assert result.rejected == [RowProblem(2, "Social care count", message)]
    assert SchoolRoll.objects.count() == 0
