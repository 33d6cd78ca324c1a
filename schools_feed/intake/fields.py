"""The canonical fields of a school return, with the column names school systems use for them.

Every intake (CSV, XLSX, CTF, the web form, the API) produces rows keyed by these names, so the
rest of the pipeline never sees a school's own headings. Header matching ignores case, spaces and
punctuation (docs/rules/formats.md §5.1): "Date of Birth", "DOB" and "date_of_birth" are one column.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    help: str
    aliases: tuple[str, ...] = ()


def _f(name: str, label: str, help_text: str, *aliases: str) -> Field:
    return Field(name, label, help_text, aliases)


FIELDS: tuple[Field, ...] = (
    _f(
        "return_type",
        "Return type",
        "deletion, new pupil, CME referral, ten-day absence or "
        "exclusion. Leave out when the whole file is one kind of return.",
        "record type",
        "type",
    ),
    _f(
        "school_urn",
        "School URN",
        "The sending school's URN. Only for files a trust or LA sends for several schools.",
        "urn",
    ),
    _f(
        "school_laestab",
        "School LAESTAB",
        "The sending school's 7-digit DfE number.",
        "laestab",
        "dfe number",
        "dfes number",
        "lea estab",
    ),
    _f("upn", "UPN", "13 characters, from the MIS.", "unique pupil number", "pupil upn"),
    _f("uln", "ULN", "10 digits, for pupils aged 14 and over.", "unique learner number"),
    _f(
        "legal_surname",
        "Legal surname",
        "As in the admission register.",
        "surname",
        "last name",
        "family name",
        "legal last name",
    ),
    _f(
        "legal_forenames",
        "Legal forename",
        "As in the admission register.",
        "forename",
        "forenames",
        "first name",
        "firstname",
        "given name",
        "legal first name",
    ),
    _f("middle_names", "Middle names", "", "middle name", "middlenames"),
    _f("preferred_forename", "Preferred forename", "", "preferred first name", "known as"),
    _f("preferred_surname", "Preferred surname", "", "preferred last name"),
    _f(
        "date_of_birth",
        "Date of birth",
        "DD/MM/YYYY or YYYY-MM-DD.",
        "dob",
        "birth date",
        "birthdate",
    ),
    _f("sex", "Sex", "M or F.", "gender"),
    _f(
        "nc_year",
        "NC year",
        "R, 1 to 14, N1, N2 or X.",
        "year group",
        "ncyear",
        "ncyearactual",
        "national curriculum year",
        "year",
    ),
    _f(
        "address_line_1",
        "Address line 1",
        "The pupil's address.",
        "address",
        "address 1",
        "street",
        "home address",
    ),
    _f("address_line_2", "Address line 2", "", "address 2", "locality"),
    _f("town", "Town", "", "post town", "city"),
    _f("postcode", "Postcode", "", "post code", "home postcode"),
    _f(
        "parent_1_name",
        "Parent 1 full name",
        "A parent the pupil normally lives with.",
        "contact 1 name",
        "parent name",
        "parent carer name",
        "primary contact name",
    ),
    _f("parent_1_relationship", "Parent 1 relationship", "", "contact 1 relationship"),
    _f(
        "parent_1_address",
        "Parent 1 address",
        "Leave blank when it is the pupil's address.",
        "contact 1 address",
    ),
    _f(
        "parent_1_phone",
        "Parent 1 emergency phone",
        "",
        "contact 1 phone",
        "parent phone",
        "contact 1 telephone",
        "parent telephone",
        "primary contact phone",
    ),
    _f("parent_2_name", "Parent 2 full name", "", "contact 2 name"),
    _f("parent_2_relationship", "Parent 2 relationship", "", "contact 2 relationship"),
    _f("parent_2_address", "Parent 2 address", "", "contact 2 address"),
    _f("parent_2_phone", "Parent 2 emergency phone", "", "contact 2 phone", "contact 2 telephone"),
    _f(
        "sen_provision",
        "SEN provision",
        "E (EHC plan), K (SEN support) or N.",
        "sen",
        "sen status",
        "senprovision",
    ),
    _f("fsm", "FSM eligible", "Y or N.", "free school meals", "fsm eligible", "fsmeligible"),
    _f(
        "ground",
        "Ground for deletion",
        "The letter of reg 9(1) (2024) or reg 8(1) (2006), for example f or 9(1)(f).",
        "deletion ground",
        "removal grounds",
        "removal ground",
        "reason for leaving",
        "leaving reason",
        "grounds",
    ),
    _f(
        "deletion_date",
        "Date of deletion",
        "The day the name was deleted from the admission register.",
        "leaving date",
        "date of leaving",
        "date left",
        "off roll date",
        "deletion",
    ),
    _f(
        "parent_notice_date",
        "Date of parent's written notice",
        "Required for home education (ground f).",
        "written notice date",
        "parent notice date",
        "date of parent letter",
    ),
    _f(
        "new_address",
        "New address",
        "Where the pupil will live, when known.",
        "future address",
        "destination address",
    ),
    _f("new_postcode", "New postcode", "", "future postcode", "destination postcode"),
    _f(
        "destination_urn",
        "Destination school URN",
        "",
        "new school urn",
        "destination urn",
        "future school urn",
    ),
    _f(
        "destination_laestab",
        "Destination school LAESTAB",
        "",
        "new school laestab",
        "destination dfe number",
        "destination institution",
    ),
    _f(
        "destination_start_date",
        "Destination start date",
        "",
        "new school start date",
        "date starting new school",
    ),
    _f(
        "lost_pupil",
        "Lost pupil",
        "Y when the school does not know where the pupil has gone (destination unknown; the CTF "
        "went to the Lost Pupil Database). Otherwise leave blank or N.",
        "destination unknown",
        "lost pupil ctf",
        "lost",
    ),
    _f(
        "starting_date",
        "Starting day",
        "The first day the pupil attends (new pupil returns).",
        "start date",
        "admission date",
        "date of admission",
        "entry date",
        "starting day",
    ),
    _f(
        "previous_school",
        "Previous school",
        "Name or URN of the last school attended.",
        "last school attended",
        "previous school urn",
    ),
    _f(
        "last_attended_date",
        "Last attended",
        "The last day the pupil attended.",
        "last attended",
        "last attendance date",
        "last seen",
    ),
    _f(
        "enquiries_made",
        "Enquiries made",
        "What the school has already done to find the pupil.",
        "enquiries",
        "reasonable enquiries",
    ),
    _f("safeguarding_concerns", "Safeguarding concerns", "", "safeguarding", "concerns"),
    _f("referrer_name", "Referrer name", "", "referred by", "referrer"),
    _f("referrer_role", "Referrer role", "", "referrer job title"),
    _f(
        "absence_start_date",
        "Absence started",
        "First day of the unauthorised absence.",
        "absent since",
        "first day absent",
    ),
    _f(
        "consecutive_days_absent",
        "Consecutive school days absent",
        "10 or more.",
        "days absent",
        "school days absent",
    ),
    _f("exclusion_type", "Exclusion type", "suspension or permanent.", "exclusion category"),
    _f(
        "exclusion_start_date",
        "Exclusion start date",
        "",
        "exclusion date",
        "suspension start date",
    ),
    _f(
        "exclusion_days",
        "Exclusion length (school days)",
        "",
        "exclusion length",
        "suspension length",
        "number of days",
    ),
    _f(
        "exclusion_reason",
        "Exclusion reason",
        "DfE exclusion reason code or words.",
        "reason for exclusion",
    ),
    _f(
        "notes",
        "Notes",
        "Anything else the LA should know.",
        "comments",
        "comment",
        "additional information",
    ),
)

FIELD_BY_NAME = {field.name: field for field in FIELDS}


def normalise_header(heading: str) -> str:
    """Lower case, letters and digits only: "Date of Birth" and "date_of_birth" are equal."""
    return re.sub(r"[^a-z0-9]", "", (heading or "").lower())


_HEADER_LOOKUP = {}
for _field in FIELDS:
    for _name in (_field.name, _field.label, *_field.aliases):
        _HEADER_LOOKUP.setdefault(normalise_header(_name), _field.name)


def canonical_field(heading: str) -> str | None:
    """The canonical field a column heading stands for, or None for a column we do not read."""
    return _HEADER_LOOKUP.get(normalise_header(heading))
