"""The CTF parser (layer 2) as a pure function: bytes in, header facts and canonical rows out.

The samples in ``data/`` are copies of shared/data/sample_ctf.xml and sample_ctf_lost_pupil.xml
(synthetic pupils, docs/rules/formats.md §3).
"""

from pathlib import Path

import pytest

from schools_feed.intake.ctf import (
    NOTE_LEAVING_REASON,
    NOTE_LOST_PUPIL,
    NOTE_NO_DESTINATION,
    NOTE_OUTSIDE_SECTOR,
    ctf_returns,
    describe_ids,
    human_size,
    parse_ctf,
)
from schools_feed.intake.fields import FIELD_BY_NAME
from schools_feed.intake.files import FileProblem
from schools_feed.intake.messages import FileMessages

DATA = Path(__file__).parent / "data"
SAMPLE_CTF = (DATA / "sample_ctf.xml").read_bytes()
SAMPLE_CTF_LOST_PUPIL = (DATA / "sample_ctf_lost_pupil.xml").read_bytes()

MAX_BYTES = 1024 * 1024
SOURCE = {"school_laestab": "8732999", "school_urn": "999101"}
DESTINATION = {"school_laestab": "8732456", "school_urn": "999102"}


def parse(data: bytes):
    return parse_ctf(data, max_bytes=MAX_BYTES)


def problem(data: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    with pytest.raises(FileProblem) as raised:
        parse_ctf(data, max_bytes=max_bytes)
    return raised.value.message


def ctf(pupils: str, *, dest: str = "<LEA>873</LEA><Estab>2456</Estab>", version="26.0") -> bytes:
    """A small CTF from Fenbridge (873 2999) holding the given <Pupil> elements."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<CTfile><Header><CTFversion>{version}</CTFversion><DateTime>2026-11-20T14:05:31</DateTime>
<SourceSchool><LEA>873</LEA><Estab>2999</Estab><URN>999101</URN>
<SchoolName>Fenbridge Community Primary School</SchoolName></SourceSchool>
<DestSchool>{dest}</DestSchool></Header>
<CTFpupilData>{pupils}</CTFpupilData></CTfile>""".encode()


def one_pupil(body: str, **kwargs) -> dict[str, str]:
    return parse(ctf(f"<Pupil><UPN>U873299919012</UPN>{body}</Pupil>", **kwargs)).pupils[0]


# --- The sample files ------------------------------------------------------------------------


def test_sample_ctf_header_names_source_and_destination_schools():
    document = parse(SAMPLE_CTF)

    assert document.version == "26.0"
    assert document.generated_at == "2026-11-20T14:05:31"
    assert document.source.laestab == "8732999"
    assert document.source.urn == "999101"
    assert document.source.name == "Fenbridge Community Primary School"
    assert document.destination.laestab == "8732456"
    assert document.destination.urn == "999102"
    assert not document.destination_is_lost_pupil
    assert not document.destination_outside_sector


def test_sample_ctf_reads_both_pupils_in_file_order():
    pupils = parse(SAMPLE_CTF).pupils

    assert [(p["ctf_row"], p["upn"]) for p in pupils] == [
        ("1", "U873299919012"),
        ("2", "J873299922045"),
    ]


def test_sample_ctf_reads_the_pupils_identity():
    amelia = parse(SAMPLE_CTF).pupils[0]

    assert amelia["legal_surname"] == "Hartley"
    assert amelia["legal_forenames"] == "Amelia"
    assert amelia["middle_names"] == "Rose"
    assert amelia["preferred_surname"] == "Hartley"
    assert amelia["preferred_forename"] == ""
    assert amelia["date_of_birth"] == "2015-03-14"
    assert amelia["sex"] == "F"
    assert amelia["nc_year"] == "6"


def test_sample_ctf_reads_the_address_and_first_contact_as_parent_1():
    amelia = parse(SAMPLE_CTF).pupils[0]

    assert amelia["address_line_1"] == "14 Willow Crescent"
    assert amelia["address_line_2"] == ""
    assert amelia["town"] == "Fenbridge"
    assert amelia["postcode"] == "CB7 9QT"
    assert amelia["parent_1_name"] == "Claire Hartley"
    assert amelia["parent_1_relationship"] == "PAM"
    assert amelia["parent_1_phone"] == "07700900231"
    assert amelia["parent_2_name"] == ""
    assert amelia["parent_2_phone"] == ""


def test_sample_ctf_reads_sen_fsm_and_leaving_from_the_source_school():
    amelia = parse(SAMPLE_CTF).pupils[0]

    assert amelia["sen_provision"] == "K"
    assert amelia["fsm"] == "Y"
    assert amelia["deletion_date"] == "2026-11-13"
    assert amelia["ground"] == "A"
    assert amelia["notes"] == NOTE_LEAVING_REASON.format(reason="MOV")


def test_pupil_without_sen_or_fsm_history_has_them_blank():
    oliver = parse(SAMPLE_CTF).pupils[1]

    assert oliver["legal_forenames"] == "Oliver"
    assert oliver["sen_provision"] == ""
    assert oliver["fsm"] == ""


def test_pupil_rows_use_only_canonical_field_names():
    for pupil in parse(SAMPLE_CTF).pupils + parse(SAMPLE_CTF_LOST_PUPIL).pupils:
        assert set(pupil) - {"ctf_row"} <= set(FIELD_BY_NAME)
        assert all(isinstance(value, str) for value in pupil.values())


def test_lost_pupil_ctf_has_no_destination_school():
    document = parse(SAMPLE_CTF_LOST_PUPIL)

    assert document.destination is None
    assert document.destination_is_lost_pupil
    assert not document.destination_outside_sector


def test_lost_pupil_ctf_reads_the_pupil():
    (kacper,) = parse(SAMPLE_CTF_LOST_PUPIL).pupils

    assert kacper["upn"] == "W873299923007"
    assert kacper["legal_surname"] == "Nowak"
    assert kacper["middle_names"] == ""
    assert kacper["address_line_1"] == "Flat 3, 27 Station Road"
    assert kacper["postcode"] == "CB7 4LX"
    assert kacper["parent_1_name"] == "Piotr Nowak"
    assert kacper["deletion_date"] == "2026-10-23"
    assert kacper["ground"] == "I"


# --- Destinations ----------------------------------------------------------------------------


def test_outside_sector_destination_has_no_destination_school():
    document = parse(ctf("<Pupil/>", dest="<LEA>MMM</LEA><Estab>MMMM</Estab>"))

    assert document.destination is None
    assert document.destination_outside_sector
    assert not document.destination_is_lost_pupil


def test_missing_dest_school_means_no_destination_and_no_flags():
    document = parse(ctf("<Pupil/>", dest=""))

    assert document.destination is None
    assert not document.destination_is_lost_pupil
    assert not document.destination_outside_sector


def test_placeholder_destination_urn_is_not_a_school():
    document = parse(ctf("<Pupil/>", dest="<LEA>XXX</LEA><Estab>XXXX</Estab><URN>XXXXXX</URN>"))

    assert document.destination is None
    assert document.destination_is_lost_pupil


def test_destination_without_urn_is_known_by_laestab():
    document = parse(ctf("<Pupil/>"))

    assert document.destination.laestab == "8732456"
    assert document.destination.urn == ""


# --- What the file means for the uploading school --------------------------------------------


def test_ctf_from_the_source_school_is_deletion_returns():
    kind, rows = ctf_returns(parse(SAMPLE_CTF), **SOURCE)

    assert kind == "deletion"
    assert len(rows) == 2
    for row in rows:
        assert row["return_type"] == "deletion"
        assert (row["school_laestab"], row["school_urn"]) == ("8732999", "999101")
        assert (row["destination_laestab"], row["destination_urn"]) == ("8732456", "999102")
        assert row["deletion_date"] == "2026-11-13"
        assert row["ground"] == "A"
        assert row["notes"] == NOTE_LEAVING_REASON.format(reason="MOV")


def test_lost_pupil_deletion_has_blank_destination_and_a_note():
    kind, (row,) = ctf_returns(parse(SAMPLE_CTF_LOST_PUPIL), **SOURCE)

    assert kind == "deletion"
    assert (row["destination_laestab"], row["destination_urn"]) == ("", "")
    assert row["notes"].splitlines() == [NOTE_LEAVING_REASON.format(reason="UNK"), NOTE_LOST_PUPIL]


def test_outside_sector_deletion_has_a_note():
    document = parse(ctf("<Pupil/>", dest="<LEA>MMM</LEA><Estab>MMMM</Estab>"))

    _, (row,) = ctf_returns(document, **SOURCE)

    assert row["notes"] == NOTE_OUTSIDE_SECTOR


def test_deletion_without_dest_school_has_a_note():
    _, (row,) = ctf_returns(parse(ctf("<Pupil/>", dest="")), **SOURCE)

    assert row["notes"] == NOTE_NO_DESTINATION


def test_ctf_to_the_destination_school_is_new_pupil_returns():
    kind, rows = ctf_returns(parse(SAMPLE_CTF), **DESTINATION)

    assert kind == "new_pupil"
    assert [row["upn"] for row in rows] == ["U873299919012", "J873299922045"]
    for row in rows:
        assert row["return_type"] == "new_pupil"
        assert (row["school_laestab"], row["school_urn"]) == ("8732456", "999102")
        assert row["previous_school"] == "8732999"
        assert (row["deletion_date"], row["ground"]) == ("", "")


def test_ctf_for_another_school_is_refused():
    with pytest.raises(FileProblem) as raised:
        ctf_returns(parse(SAMPLE_CTF), school_laestab="8732000", school_urn="999100")

    assert raised.value.message == FileMessages.CTF_NOT_THIS_SCHOOL.format(
        school="LAESTAB 8732000, URN 999100",
        source="Fenbridge Community Primary School (LAESTAB 8732999, URN 999101)",
        destination="LAESTAB 8732456, URN 999102",
    )


def test_lost_pupil_ctf_is_refused_for_any_school_but_the_source():
    with pytest.raises(FileProblem) as raised:
        ctf_returns(parse(SAMPLE_CTF_LOST_PUPIL), **DESTINATION)

    assert raised.value.message == FileMessages.CTF_NOT_THIS_SCHOOL.format(
        school=describe_ids(laestab="8732456", urn="999102"),
        source="Fenbridge Community Primary School (LAESTAB 8732999, URN 999101)",
        destination="unknown (XXX/XXXX, lost pupil)",
    )


def test_school_is_matched_on_urn_when_both_sides_have_one():
    document = parse(SAMPLE_CTF)

    kind, _ = ctf_returns(document, school_laestab="9999999", school_urn="999101")
    assert kind == "deletion"
    with pytest.raises(FileProblem):
        ctf_returns(document, school_laestab="8732999", school_urn="123456")


def test_school_is_matched_on_laestab_when_a_urn_is_missing():
    kind, _ = ctf_returns(parse(ctf("<Pupil/>")), school_laestab="8732456", school_urn="999102")

    assert kind == "new_pupil"


def test_blank_school_identifiers_match_nothing():
    with pytest.raises(FileProblem):
        ctf_returns(parse(ctf("<Pupil/>", dest="")), school_laestab="", school_urn="")


# --- Hostile and broken files ----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<CTfile><Header/><CTFpupilData><Pupil><Surname>&lol4;</Surname></Pupil></CTFpupilData></CTfile>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CTfile><Header/><CTFpupilData><Pupil><Surname>&xxe;</Surname></Pupil></CTFpupilData></CTfile>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE CTfile SYSTEM "http://example.org/ctf.dtd">
<CTfile><Header/><CTFpupilData><Pupil/></CTFpupilData></CTfile>"""


@pytest.mark.parametrize(
    "data",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD],
    ids=["billion laughs", "external entity", "external DTD"],
)
def test_xml_with_a_dtd_or_entities_is_forbidden(data):
    assert problem(data) == FileMessages.CTF_FORBIDDEN


def test_file_larger_than_the_limit_is_refused_with_the_limit_in_words():
    assert problem(SAMPLE_CTF, max_bytes=1024) == FileMessages.TOO_LARGE.format(limit="1 KB")


def test_file_at_the_limit_is_read():
    assert parse_ctf(SAMPLE_CTF, max_bytes=len(SAMPLE_CTF)).pupils


def test_non_xml_file_is_not_xml():
    message = problem(b"UPN,Surname\nU873299919012,Hartley\n")

    assert message.startswith(FileMessages.CTF_NOT_XML.format(error=""))


def test_truncated_xml_is_not_xml():
    message = problem(SAMPLE_CTF[:-20])

    assert message.startswith(FileMessages.CTF_NOT_XML.format(error=""))


def test_empty_file_is_empty():
    assert problem(b" \n") == FileMessages.EMPTY


def test_xml_with_another_root_is_not_a_ctf():
    message = problem(b"<Pupils><Pupil><UPN>U873299919012</UPN></Pupil></Pupils>")

    assert message == FileMessages.CTF_NOT_CTF.format(root="Pupils")


@pytest.mark.parametrize(
    "data",
    [ctf(""), b"<CTfile><Header/></CTfile>"],
    ids=["empty CTFpupilData", "no CTFpupilData"],
)
def test_ctf_without_pupils_is_refused(data):
    assert problem(data) == FileMessages.CTF_NO_PUPILS


# --- Lenient reading -------------------------------------------------------------------------


def test_older_ctf_with_gender_instead_of_sex_is_read():
    document = parse(ctf("<Pupil><Gender>M</Gender></Pupil>", version="20.0"))

    assert document.version == "20.0"
    assert document.pupils[0]["sex"] == "M"


def test_unknown_ctf_version_is_not_rejected():
    assert parse(ctf("<Pupil/>", version="99.9")).version == "99.9"


def test_empty_leaving_date_and_grounds_are_blank():
    pupil = one_pupil(
        "<SchoolHistory><School><LEA>873</LEA><Estab>2999</Estab>"
        "<LeavingDate></LeavingDate><RemovalGrounds/></School></SchoolHistory>"
    )

    assert (pupil["deletion_date"], pupil["ground"], pupil["notes"]) == ("", "", "")


def test_all_caps_names_are_kept_as_sent():
    pupil = parse(SAMPLE_CTF.replace(b"Hartley", b"HARTLEY").replace(b"Amelia", b"AMELIA")).pupils[
        0
    ]

    assert pupil["legal_surname"] == "HARTLEY"
    assert pupil["legal_forenames"] == "AMELIA"
    assert pupil["parent_1_name"] == "Claire HARTLEY"


def test_namespaced_ctf_is_read_by_local_names():
    data = SAMPLE_CTF.replace(b"<CTfile>", b'<CTfile xmlns="http://example.org/ctf">')

    document = parse(data)

    assert document.destination.urn == "999102"
    assert document.pupils[0]["upn"] == "U873299919012"
    assert document.pupils[0]["fsm"] == "Y"


def test_missing_optional_elements_are_blank():
    pupil = one_pupil("")

    assert pupil["upn"] == "U873299919012"
    assert pupil["legal_surname"] == pupil["address_line_1"] == pupil["parent_1_name"] == ""
    assert pupil["sen_provision"] == pupil["fsm"] == pupil["deletion_date"] == ""


def test_phone_numbers_lose_their_spaces():
    pupil = one_pupil(
        "<Contacts><Contact><Forename>Claire</Forename><Phones><Phone>"
        "<PhoneNo> 07700 900 231 </PhoneNo></Phone></Phones></Contact></Contacts>"
    )

    assert pupil["parent_1_phone"] == "07700900231"


def test_contact_without_a_phone_gets_the_pupils_phone():
    pupil = one_pupil(
        "<Phones><Phone><PhoneNo>01632 960418</PhoneNo></Phone></Phones>"
        "<Contacts><Contact><Forename>Claire</Forename></Contact></Contacts>"
    )

    assert pupil["parent_1_phone"] == "01632960418"
    assert pupil["parent_2_phone"] == ""


def test_contacts_are_taken_in_order_not_file_order():
    pupil = one_pupil(
        "<Contacts>"
        "<Contact><Order>2</Order><Forename>Tom</Forename><Surname>Hartley</Surname>"
        "<Relationship>PAF</Relationship></Contact>"
        "<Contact><Order>1</Order><Forename>Claire</Forename><Surname>Hartley</Surname>"
        "<Relationship>PAM</Relationship></Contact>"
        "</Contacts>"
    )

    assert (pupil["parent_1_name"], pupil["parent_1_relationship"]) == ("Claire Hartley", "PAM")
    assert (pupil["parent_2_name"], pupil["parent_2_relationship"]) == ("Tom Hartley", "PAF")


def test_house_name_and_locality_make_a_readable_address():
    pupil = one_pupil(
        "<Address><BS7666Address><PAON>Rose Cottage</PAON><Street>Mill Lane</Street>"
        "<Locality>Little Fen</Locality><Town>Fenbridge</Town></BS7666Address></Address>"
    )

    assert pupil["address_line_1"] == "Rose Cottage, Mill Lane"
    assert pupil["address_line_2"] == "Little Fen"
    assert pupil["town"] == "Fenbridge"


def test_latest_sen_entry_by_start_date_wins():
    pupil = one_pupil(
        "<SENhistory>"
        "<SEN><StartDate>2024-09-04</StartDate><SENprovision>E</SENprovision></SEN>"
        "<SEN><StartDate>2021-09-06</StartDate><SENprovision>K</SENprovision></SEN>"
        "</SENhistory>"
    )

    assert pupil["sen_provision"] == "E"


def test_fsm_history_with_every_instance_ended_is_no():
    pupil = one_pupil(
        "<FSMhistory><FSMinstance><FSMstartDate>2023-02-06</FSMstartDate>"
        "<FSMendDate>2024-07-19</FSMendDate></FSMinstance></FSMhistory>"
    )

    assert pupil["fsm"] == "N"


def test_source_school_entry_is_found_by_name_when_it_has_no_numbers():
    pupil = one_pupil(
        "<SchoolHistory>"
        "<School><SchoolName>FENBRIDGE  COMMUNITY PRIMARY SCHOOL</SchoolName>"
        "<LeavingDate>2026-11-13</LeavingDate><RemovalGrounds>A</RemovalGrounds></School>"
        "<School><SchoolName>Other Infant School</SchoolName>"
        "<LeavingDate>2026-12-01</LeavingDate><RemovalGrounds>F</RemovalGrounds></School>"
        "</SchoolHistory>"
    )

    assert (pupil["deletion_date"], pupil["ground"]) == ("2026-11-13", "A")


def test_source_school_entry_falls_back_to_the_latest_leaving_date():
    pupil = one_pupil(
        "<SchoolHistory>"
        "<School><SchoolName>Old Infant School</SchoolName>"
        "<LeavingDate>2022-07-20</LeavingDate><RemovalGrounds>A</RemovalGrounds></School>"
        "<School><SchoolName>Renamed Primary</SchoolName>"
        "<LeavingDate>2026-11-13</LeavingDate><RemovalGrounds>F</RemovalGrounds></School>"
        "</SchoolHistory>"
    )

    assert (pupil["deletion_date"], pupil["ground"]) == ("2026-11-13", "F")


@pytest.mark.parametrize(
    ("size", "words"),
    [(50 * 1024 * 1024, "50 MB"), (1536 * 1024, "1.5 MB"), (1024, "1 KB"), (900, "900 bytes")],
)
def test_human_size_says_the_limit_in_words(size, words):
    assert human_size(size) == words
