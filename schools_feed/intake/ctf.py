"""Layer 2 for a DfE Common Transfer File (CTF): XML bytes to pupil rows, with no database access.

``parse_ctf`` reads the file into a ``CTFDocument`` whose pupils are dicts keyed by the canonical
field names (``intake.fields``), so the later layers treat a CTF like any other return.
``ctf_returns`` then decides what the file means for the school that uploaded it: a leaver CTF
from that school is a batch of deletion returns; one sent to it is a batch of new pupil returns.

The parser is lenient (docs/rules/formats.md §3.4, "parse leniently and validate afterwards"): a
missing element is a blank value, names are kept as sent (often ALL CAPS), any ``CTFversion`` is
accepted, and an XML namespace is tolerated by matching local names. It is hardened against hostile
XML (defusedxml: no DTD, no entities, no external references) and against oversized files.

What the element paths rest on (docs/rules/formats.md §3.4, "[V]" verified in public code,
"[U]" from memory of earlier specs, unverified; the DfE CTF 26 XSD was not available):

* Verified [V]: root ``CTfile`` without a namespace; ``Header/CTFversion``, ``Header/DateTime``,
  ``Header/SourceSchool/{LEA,Estab,URN,SchoolName}``, ``Header/DestSchool/{LEA,Estab,URN}`` and
  the ``XXX``/``XXXX`` lost-pupil destination; ``CTFpupilData/Pupil`` with ``UPN``, ``Surname``,
  ``Forename``, ``DOB``, ``Sex`` (CTF 25+) or ``Gender`` (older); ``BasicDetails/PreferredSurname``
  and ``BasicDetails/NCyearActual``; ``FSMhistory/FSMinstance/{FSMstartDate,FSMendDate}``;
  ``Phones/Phone/PhoneNo``; ``SchoolHistory/School/{SchoolName,LeavingDate,RemovalGrounds}``.
* Partly verified [P]: the ``MMM``/``MMMM`` outside-sector destination (an "M" code is attested,
  its exact spelling is not); ``MiddleNames`` and ``PreferredForename`` (the names are attested,
  their place under ``BasicDetails`` is not, so the pupil element itself is read as a fallback).
* Unverified [U]: ``UniqueLearnerNumber``; ``SENhistory/SEN/{StartDate,SENprovision}``;
  ``Address/BS7666Address/{SAON,PAON,Street,Locality,Town,PostTown}`` and ``Address/Postcode``;
  ``Contacts/Contact/{Order,Surname,Forename,Relationship,Phones}``;
  ``SchoolHistory/School/{LEA,Estab,LeavingReason}``; and every code value of
  ``RemovalGrounds`` and ``LeavingReason`` (kept raw; a later layer maps them).
  Check these against the DfE CTF 26 specification before relying on them.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from schools_feed.intake.files import FileProblem
from schools_feed.intake.messages import FileMessages

ROOT = "CTfile"
# Destination codes of docs/rules/formats.md §3.3: XXX/XXXX sends the CTF to the Lost Pupil
# Database;
# an M code marks a school abroad or an independent school (spelling MMM/MMMM is unverified).
# Any run of the letter counts: a Durham procedure writes "XXXXXXX", ScholarPack a URN "XXXXXX".
LOST_PUPIL_LETTER = "X"
OUTSIDE_SECTOR_LETTER = "M"

NOTE_LEAVING_REASON = "CTF leaving reason: {reason}"
NOTE_LOST_PUPIL = "CTF destination unknown (XXX/XXXX): the file goes to the DfE Lost Pupil Database"
NOTE_OUTSIDE_SECTOR = (
    "CTF destination outside the sector (MMM/MMMM): a school abroad or an independent school"
)
NOTE_NO_DESTINATION = "The CTF names no destination school"


@dataclass(frozen=True)
class SchoolRef:
    """A school as a CTF header names it. Any part may be blank."""

    la: str
    estab: str
    urn: str = ""
    name: str = ""

    @property
    def laestab(self) -> str:
        # Half a DfE number identifies nothing, so a missing part blanks the whole.
        return f"{self.la}{self.estab}" if self.la and self.estab else ""

    def describe(self) -> str:
        ids = describe_ids(laestab=self.laestab, urn=self.urn)
        return f"{self.name} ({ids})" if self.name else ids


def describe_ids(*, laestab: str, urn: str) -> str:
    ids = [f"LAESTAB {laestab}" if laestab else "", f"URN {urn}" if urn else ""]
    return ", ".join(part for part in ids if part) or "no LAESTAB or URN"


@dataclass(frozen=True)
class CTFDocument:
    version: str
    generated_at: str
    source: SchoolRef
    destination: SchoolRef | None
    destination_is_lost_pupil: bool
    destination_outside_sector: bool
    # Canonical field name -> text. ``ctf_row`` is the pupil's 1-based position, as text.
    pupils: list[dict[str, str]]

    def describe_destination(self) -> str:
        if self.destination is not None:
            return self.destination.describe()
        if self.destination_is_lost_pupil:
            return "unknown (XXX/XXXX, lost pupil)"
        if self.destination_outside_sector:
            return "outside the sector (MMM/MMMM)"
        return "not given"


# --- Reading the XML -------------------------------------------------------------------------


def human_size(size: int) -> str:
    """Bytes as people read them: 52428800 -> "50 MB"."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{round(size / scale, 1):g} {unit}"
    return f"{size} bytes"


def _load(data: bytes, *, max_bytes: int) -> Element:
    if len(data) > max_bytes:
        raise FileProblem(FileMessages.TOO_LARGE.format(limit=human_size(max_bytes)))
    if not data.strip():
        raise FileProblem(FileMessages.EMPTY)
    try:
        return SafeElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as error:
        raise FileProblem(FileMessages.CTF_FORBIDDEN) from error
    except ParseError as error:
        raise FileProblem(FileMessages.CTF_NOT_XML.format(error=error)) from error


def _local(tag) -> str:
    # "{namespace}Name" -> "Name". Comments and processing instructions have a non-str tag.
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element | None, name: str) -> Iterator[Element]:
    if element is not None:
        yield from (child for child in element if _local(child.tag) == name)


def _find(element: Element | None, *path: str) -> Element | None:
    for name in path:
        element = next(_children(element, name), None)
    return element


def _text(element: Element | None, *path: str) -> str:
    found = _find(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _first_text(element: Element, *paths: tuple[str, ...]) -> str:
    """The first non-blank value among alternative paths (for elements whose place is unsure)."""
    return next((value for path in paths if (value := _text(element, *path))), "")


# --- Header ----------------------------------------------------------------------------------


def _school_ref(element: Element | None) -> SchoolRef:
    return SchoolRef(
        la=_text(element, "LEA"),
        estab=_text(element, "Estab"),
        urn=_text(element, "URN"),
        name=_text(element, "SchoolName"),
    )


def _is_placeholder(code: str, letter: str) -> bool:
    return bool(code) and set(code.upper()) == {letter}


def is_lost_pupil_code(code: str) -> bool:
    """A destination LA, establishment number, LAESTAB or URN of X's only: the Lost Pupil
    Database's "destination unknown" (docs/rules/formats.md §3.3), in a CTF or a return file."""
    return _is_placeholder(code.strip(), LOST_PUPIL_LETTER)


def _destination(header: Element | None) -> tuple[SchoolRef | None, bool, bool]:
    """(destination school or None, lost pupil?, outside the sector?)."""
    ref = _school_ref(_find(header, "DestSchool"))
    lost = any(_is_placeholder(code, LOST_PUPIL_LETTER) for code in (ref.la, ref.estab))
    outside = any(_is_placeholder(code, OUTSIDE_SECTOR_LETTER) for code in (ref.la, ref.estab))
    urn_is_placeholder = any(
        _is_placeholder(ref.urn, letter) for letter in (LOST_PUPIL_LETTER, OUTSIDE_SECTOR_LETTER)
    )
    urn = "" if urn_is_placeholder else ref.urn
    if lost or outside or not (ref.laestab or urn):
        return None, lost, outside
    return SchoolRef(la=ref.la, estab=ref.estab, urn=urn, name=ref.name), False, False


# --- Pupils ----------------------------------------------------------------------------------


def _address(pupil: Element) -> dict[str, str]:
    bs7666 = _find(pupil, "Address", "BS7666Address")
    saon, paon, street = (_text(bs7666, name) for name in ("SAON", "PAON", "Street"))
    # "27" + "Station Road" reads as "27 Station Road"; a house name takes a comma.
    separator = " " if paon[:1].isdigit() else ", "
    building = separator.join(part for part in (paon, street) if part)
    return {
        "address_line_1": ", ".join(part for part in (saon, building) if part),
        "address_line_2": _text(bs7666, "Locality"),
        "town": _text(bs7666, "PostTown") or _text(bs7666, "Town"),
        "postcode": _text(pupil, "Address", "Postcode"),
    }


def _first_phone(element: Element | None) -> str:
    for phone in _children(_find(element, "Phones"), "Phone"):
        if number := "".join(_text(phone, "PhoneNo").split()):
            return number
    return ""


def _order(contact: Element) -> int:
    order = _text(contact, "Order")
    # A contact without a usable Order goes after the numbered ones, keeping file order.
    return int(order) if order.isdigit() else 1_000_000


def _parents(pupil: Element) -> dict[str, str]:
    contacts = sorted(_children(_find(pupil, "Contacts"), "Contact"), key=_order)
    pupil_phone = _first_phone(pupil)
    row = {}
    for number in (1, 2):
        contact = contacts[number - 1] if len(contacts) >= number else None
        name_parts = (_text(contact, "Forename"), _text(contact, "Surname"))
        row[f"parent_{number}_name"] = " ".join(part for part in name_parts if part)
        row[f"parent_{number}_relationship"] = _text(contact, "Relationship")
        # The pupil's own number is usually the household phone: better than no number at all.
        fallback = pupil_phone if contact is not None or number == 1 else ""
        row[f"parent_{number}_phone"] = _first_phone(contact) or fallback
    return row


def _sen_provision(pupil: Element) -> str:
    entries = list(_children(_find(pupil, "SENhistory"), "SEN"))
    if not entries:
        return ""
    # ISO dates sort as text; on a tie (or no dates) the later entry in the file wins.
    _, _, latest = max((_text(sen, "StartDate"), index, sen) for index, sen in enumerate(entries))
    return _text(latest, "SENprovision")


def _fsm(pupil: Element) -> str:
    history = _find(pupil, "FSMhistory")
    if history is None:
        return ""
    instances = _children(history, "FSMinstance")
    return "Y" if any(not _text(instance, "FSMendDate") for instance in instances) else "N"


def _source_school_entry(pupil: Element, source: SchoolRef) -> Element | None:
    """The SchoolHistory entry for the school that sent the file (docs/rules/formats.md §3.5)."""
    schools = list(_children(_find(pupil, "SchoolHistory"), "School"))
    for school in schools:
        if source.laestab and _school_ref(school).laestab == source.laestab:
            return school
    wanted = " ".join(source.name.split()).casefold()
    for school in schools:
        if wanted and " ".join(_text(school, "SchoolName").split()).casefold() == wanted:
            return school
    if not schools:
        return None
    # Neither identifies it: the school the pupil left most recently is the best guess
    # (max keeps the first of equals, so reversing makes the later entry win a tie).
    return max(reversed(schools), key=lambda school: _text(school, "LeavingDate"))


def _leaving(pupil: Element, source: SchoolRef) -> dict[str, str]:
    entry = _source_school_entry(pupil, source)
    reason = _text(entry, "LeavingReason")
    return {
        "deletion_date": _text(entry, "LeavingDate"),
        "ground": _text(entry, "RemovalGrounds"),
        "notes": NOTE_LEAVING_REASON.format(reason=reason) if reason else "",
    }


def _pupil_row(pupil: Element, *, position: int, source: SchoolRef) -> dict[str, str]:
    return {
        "ctf_row": str(position),
        "upn": _text(pupil, "UPN"),
        "uln": _text(pupil, "UniqueLearnerNumber"),
        "legal_surname": _text(pupil, "Surname"),
        "legal_forenames": _text(pupil, "Forename"),
        "middle_names": _first_text(pupil, ("BasicDetails", "MiddleNames"), ("MiddleNames",)),
        "preferred_surname": _first_text(
            pupil, ("BasicDetails", "PreferredSurname"), ("PreferredSurname",)
        ),
        "preferred_forename": _first_text(
            pupil, ("BasicDetails", "PreferredForename"), ("PreferredForename",)
        ),
        "date_of_birth": _text(pupil, "DOB"),
        "sex": _text(pupil, "Sex") or _text(pupil, "Gender"),
        "nc_year": _first_text(pupil, ("BasicDetails", "NCyearActual"), ("NCyearActual",)),
        **_address(pupil),
        **_parents(pupil),
        "sen_provision": _sen_provision(pupil),
        "fsm": _fsm(pupil),
        **_leaving(pupil, source),
    }


# --- Entry points ----------------------------------------------------------------------------


def parse_ctf(data: bytes, *, max_bytes: int) -> CTFDocument:
    """Read a CTF into header facts and canonical pupil rows, or raise ``FileProblem``."""
    root = _load(data, max_bytes=max_bytes)
    if _local(root.tag) != ROOT:
        raise FileProblem(FileMessages.CTF_NOT_CTF.format(root=_local(root.tag)))
    header = _find(root, "Header")
    source = _school_ref(_find(header, "SourceSchool"))
    destination, lost, outside = _destination(header)
    pupils = [
        _pupil_row(pupil, position=position, source=source)
        for position, pupil in enumerate(_children(_find(root, "CTFpupilData"), "Pupil"), 1)
    ]
    if not pupils:
        raise FileProblem(FileMessages.CTF_NO_PUPILS)
    return CTFDocument(
        version=_text(header, "CTFversion"),
        generated_at=_text(header, "DateTime"),
        source=source,
        destination=destination,
        destination_is_lost_pupil=lost,
        destination_outside_sector=outside,
        pupils=pupils,
    )


def _is_school(ref: SchoolRef | None, *, school_laestab: str, school_urn: str) -> bool:
    # URN when both sides have one: it is the GIAS key, and a LAESTAB changes when an LA
    # re-numbers its schools. Otherwise the DfE number. Blank never matches blank.
    if ref is None:
        return False
    if ref.urn and school_urn:
        return ref.urn == school_urn
    return bool(ref.laestab and school_laestab and ref.laestab == school_laestab)


def _with_note(notes: str, note: str) -> str:
    return "\n".join(line for line in (notes, note) if line)


def _deletion_rows(document: CTFDocument) -> list[dict]:
    destination = document.destination
    if document.destination_is_lost_pupil:
        note = NOTE_LOST_PUPIL
    elif document.destination_outside_sector:
        note = NOTE_OUTSIDE_SECTOR
    else:
        note = "" if destination else NOTE_NO_DESTINATION
    return [
        {
            **pupil,
            "return_type": "deletion",
            "school_laestab": document.source.laestab,
            "school_urn": document.source.urn,
            "destination_laestab": destination.laestab if destination else "",
            "destination_urn": destination.urn if destination else "",
            "lost_pupil": "Y" if document.destination_is_lost_pupil else "",
            "notes": _with_note(pupil["notes"], note),
        }
        for pupil in document.pupils
    ]


def _new_pupil_rows(document: CTFDocument) -> list[dict]:
    destination = document.destination
    return [
        {
            **pupil,
            "return_type": "new_pupil",
            "school_laestab": destination.laestab,
            "school_urn": destination.urn,
            "previous_school": document.source.laestab or document.source.urn,
            # Leaving the previous school is that school's deletion, not this school's event.
            "deletion_date": "",
            "ground": "",
        }
        for pupil in document.pupils
    ]


def ctf_returns(
    document: CTFDocument, *, school_laestab: str, school_urn: str
) -> tuple[str, list[dict]]:
    """("deletion", rows) when the school sent the file, ("new_pupil", rows) when it receives it."""
    school = {"school_laestab": school_laestab.strip(), "school_urn": school_urn.strip()}
    if _is_school(document.source, **school):
        return "deletion", _deletion_rows(document)
    if _is_school(document.destination, **school):
        return "new_pupil", _new_pupil_rows(document)
    raise FileProblem(
        FileMessages.CTF_NOT_THIS_SCHOOL.format(
            school=describe_ids(laestab=school["school_laestab"], urn=school["school_urn"]),
            source=document.source.describe(),
            destination=document.describe_destination(),
        )
    )
