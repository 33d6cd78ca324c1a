"""Layer 2: one row of raw text to typed notification fields, with every problem it has.

Pure: no database. What needs the register (schools, earlier returns) is in ``validation``. The
output keys are ``Notification`` field names, so the write layer copies them as they are.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from registry import identifiers, school_age
from registry.rulebook import rules
from registry.services.children import normalise_postcode
from schools_feed.grounds import (
    GROUND_2024_FOR_2006,
    GROUNDS,
    GROUNDS_2006,
    GROUNDS_2024,
    HOME_EDUCATION_GROUNDS,
    LegalBasis,
    legal_basis_on,
)
from schools_feed.intake.ctf import is_lost_pupil_code
from schools_feed.intake.fields import FIELD_BY_NAME
from schools_feed.intake.messages import RowMessages
from schools_feed.models import ExclusionType, NotificationKind

ERROR = "error"
WARNING = "warning"

EXCEL_EPOCH = date(1899, 12, 30)
DATE_FORMATS = (
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d/%m/%y",
    "%d.%m.%y",
    "%Y/%m/%d",
    # How Excel shows a date formatted as text: 14-Mar-2015, 14 Mar 15, 14 March 2015.
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%d %b %y",
    "%d %B %Y",
)
# MIS exports often write a date with a midnight time ("14/03/2015 00:00:00", ISO's "T00:00").
TRAILING_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
# BS 7666 postcode pattern (docs/rules/formats.md §6.1); a miss is a warning, never a rejection.
POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW]) ?"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
UK_PHONE = re.compile(r"^0[1-9][0-9]{8,9}$")
NC_YEARS = {"N1", "N2", "R", "X", *(str(year) for year in range(1, 15))}
GROUND_PATTERN = re.compile(
    r"^(?:(?:reg(?:ulation)?\s*)?(?P<reg>9|8)\s*\(\s*1\s*\)\s*)?\(?\s*(?:ground\s*)?"
    r"(?P<letter>[a-o])\s*\)?$",
    re.IGNORECASE,
)
YES = {"y", "yes", "true", "1", "t"}
NO = {"n", "no", "false", "0", "f"}
SEX_CODES = {"m": "M", "male": "M", "f": "F", "female": "F", "u": "U", "unknown": "U"}

RETURN_TYPES = {
    NotificationKind.DELETION: ("deletion", "deletion return", "leaver", "off roll", "removal"),
    NotificationKind.NEW_PUPIL: ("new pupil", "new pupil return", "joiner", "admission", "new"),
    NotificationKind.CME_REFERRAL: ("cme", "cme referral", "missing", "child missing education"),
    NotificationKind.TEN_DAY_ABSENCE: (
        "absence",
        "ten day absence",
        "10 day absence",
        "ten-day absence",
        "absence return",
    ),
    NotificationKind.EXCLUSION: ("exclusion", "suspension", "permanent exclusion"),
}
_RETURN_TYPE_LOOKUP = {
    re.sub(r"[^a-z0-9]", "", alias): kind
    for kind, aliases in RETURN_TYPES.items()
    for alias in (*aliases, kind.value)
}

REQUIRED_FOR_EVERY_KIND = ("legal_surname", "legal_forenames", "date_of_birth")
REQUIRED_BY_KIND = {
    NotificationKind.DELETION: ("deletion_date",),
    NotificationKind.NEW_PUPIL: ("starting_date",),
    NotificationKind.CME_REFERRAL: ("referrer_name",),
    NotificationKind.TEN_DAY_ABSENCE: ("absence_start_date", "consecutive_days_absent"),
    NotificationKind.EXCLUSION: ("exclusion_type", "exclusion_start_date"),
}
# Kinds that carry the admission register's family details (reg 13(1) and 13(4)).
FAMILY_REQUIRED = {NotificationKind.DELETION, NotificationKind.NEW_PUPIL}
PLAUSIBLE_AGE = (2, 20)


@dataclass
class Problem:
    row: int
    field: str
    message: str
    level: str = ERROR
    column: str = ""

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column or column_label(self.field),
            "field": self.field,
            "message": self.message,
            "level": self.level,
        }


@dataclass
class ParsedRow:
    row: int
    kind: str
    raw: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    school_urn: str = ""
    school_laestab: str = ""
    destination_urn: str = ""
    destination_laestab: str = ""
    problems: list[Problem] = field(default_factory=list)
    # The "late return" warning, which validation withdraws for a final-year leaver (reg 13(5)).
    late: Problem | None = None

    @property
    def has_errors(self) -> bool:
        return any(problem.level == ERROR for problem in self.problems)

    def error(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.row, field_name, message, ERROR))

    def warn(self, field_name: str, message: str) -> Problem:
        problem = Problem(self.row, field_name, message, WARNING)
        self.problems.append(problem)
        return problem


def label(field_name: str) -> str:
    return FIELD_BY_NAME[field_name].label


def column_label(field_name: str) -> str:
    known = FIELD_BY_NAME.get(field_name)
    return known.label if known else field_name


def parse_date(text: str) -> date | None:
    """DD/MM/YYYY, YYYY-MM-DD (and close variants, with or without a time of day) or an Excel
    serial number. None if not a date."""
    text = TRAILING_TIME.sub("", text.strip())
    if text.isdigit() and 1 <= int(text) <= 80000:
        return EXCEL_EPOCH + timedelta(days=int(text))
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date, no zone
        except ValueError:
            continue
    return None


def normalise_phone(text: str) -> str:
    digits = re.sub(r"[^0-9+]", "", text)
    if digits.startswith("+44"):
        digits = "0" + digits[3:]
    elif digits.startswith("0044"):
        digits = "0" + digits[4:]
    return digits


def parse_return_type(text: str) -> str | None:
    return _RETURN_TYPE_LOOKUP.get(re.sub(r"[^a-z0-9]", "", text.lower()))


def parse_ground(text: str) -> tuple[str, str] | None:
    """("9"|"8"|"", letter) from "f", "F", "9(1)(f)", "Ground F", "reg 8(1)(d)"."""
    match = GROUND_PATTERN.match(text.strip())
    if not match:
        return None
    return match.group("reg") or "", match.group("letter").lower()


@dataclass
class RowContext:
    """What a row is checked against that is not in the row: the day it arrived."""

    received_on: date
    future_margin_days: int = 7


def parse_row(raw: dict[str, str], *, row: int, kind: str, context: RowContext) -> ParsedRow:
    """Typed values and problems for one row. ``kind`` is the file's return type; a Return type
    column overrides it row by row."""
    get = lambda name: (raw.get(name) or "").strip()  # noqa: E731
    parsed = ParsedRow(row=row, kind=kind, raw=raw)
    if get("return_type"):
        parsed.kind = parse_return_type(get("return_type")) or ""
        if not parsed.kind:
            parsed.error("return_type", RowMessages.RETURN_TYPE_INVALID)
            return parsed
    parsed.school_urn, parsed.school_laestab = get("school_urn"), get("school_laestab")
    parsed.destination_urn = get("destination_urn")
    parsed.destination_laestab = get("destination_laestab")
    _required(parsed, get)
    _identity(parsed, get, context)
    _family(parsed, get)
    _event(parsed, get, context)
    return parsed


def _required(parsed: ParsedRow, get) -> None:
    for name in (*REQUIRED_FOR_EVERY_KIND, *REQUIRED_BY_KIND.get(parsed.kind, ())):
        if not get(name):
            parsed.error(name, RowMessages.REQUIRED.format(field=label(name).lower()))


def _date(parsed: ParsedRow, get, name: str) -> date | None:
    text = get(name)
    if not text:
        return None
    value = parse_date(text)
    if value is None:
        parsed.error(name, RowMessages.DATE_INVALID.format(field=label(name)))
    return value


def _identity(parsed: ParsedRow, get, context: RowContext) -> None:
    values = parsed.values
    for name in (
        "legal_surname",
        "legal_forenames",
        "middle_names",
        "preferred_forename",
        "preferred_surname",
    ):
        values[name] = " ".join(get(name).split())[:100]
    upn = identifiers.normalise_upn(get("upn"))
    if upn and not identifiers.is_unknown_upn_placeholder(upn):
        for message in identifiers.upn_errors(upn):
            parsed.error("upn", message)
    values["upn"] = "" if identifiers.is_unknown_upn_placeholder(upn) else upn[:13]
    uln = get("uln").replace(" ", "")
    if uln:
        for message in identifiers.uln_errors(uln):
            parsed.error("uln", message)
    values["uln"] = uln[:10]
    dob = _date(parsed, get, "date_of_birth")
    values["date_of_birth"] = dob
    if dob and dob > context.received_on:
        parsed.error("date_of_birth", RowMessages.DOB_IN_FUTURE)
    sex = get("sex")
    values["sex"] = SEX_CODES.get(sex.lower(), "") if sex else ""
    if sex and not values["sex"]:
        parsed.error("sex", RowMessages.SEX_INVALID)
    nc_year = get("nc_year").upper().removeprefix("YEAR").strip().lstrip("0") or get("nc_year")
    if nc_year and nc_year.upper() not in NC_YEARS:
        parsed.error("nc_year", RowMessages.NC_YEAR_INVALID)
    values["nc_year"] = nc_year.upper()[:3] if nc_year.upper() in NC_YEARS else ""
    sen = get("sen_provision").upper()
    if sen and sen not in {"E", "K", "N"}:
        parsed.error("sen_provision", RowMessages.SEN_INVALID)
    values["sen_provision"] = sen if sen in {"E", "K", "N"} else ""
    fsm = get("fsm").lower()
    values["fsm_eligible"] = True if fsm in YES else False if fsm in NO else None
    if fsm and values["fsm_eligible"] is None:
        parsed.error("fsm", RowMessages.FSM_INVALID)


def _postcode(parsed: ParsedRow, text: str, field_name: str) -> str:
    postcode = normalise_postcode(text)
    if postcode and not POSTCODE.match(postcode):
        parsed.warn(field_name, RowMessages.POSTCODE_FORMAT.format(postcode=postcode))
    return postcode[:10]


def _phone(parsed: ParsedRow, text: str, field_name: str) -> str:
    phone = normalise_phone(text)
    if phone and not UK_PHONE.match(phone):
        parsed.warn(field_name, RowMessages.PHONE_FORMAT.format(phone=text))
    return phone[:20]


def _family(parsed: ParsedRow, get) -> None:
    values = parsed.values
    values["address"] = ", ".join(
        part for part in (get("address_line_1"), get("address_line_2")) if part
    )[:300]
    values["town"] = get("town")[:100]
    values["postcode"] = _postcode(parsed, get("postcode"), "postcode")
    parents = []
    for number in (1, 2):
        prefix = f"parent_{number}_"
        name = " ".join(get(prefix + "name").split())
        if not name:
            continue
        phone = _phone(parsed, get(prefix + "phone"), prefix + "phone")
        if not phone and parsed.kind in FAMILY_REQUIRED:
            parsed.error(prefix + "phone", RowMessages.PARENT_PHONE_REQUIRED.format(parent=name))
        parents.append(
            {
                "name": name,
                "relationship": get(prefix + "relationship"),
                "address": get(prefix + "address") or values["address"],
                "phone": phone,
            }
        )
    values["parents"] = parents
    if parsed.kind in FAMILY_REQUIRED:
        if not values["address"]:
            parsed.error("address_line_1", RowMessages.ADDRESS_REQUIRED)
        if not parents:
            parsed.error("parent_1_name", RowMessages.PARENT_REQUIRED)


def _event(parsed: ParsedRow, get, context: RowContext) -> None:
    values = parsed.values
    for name in ("notes", "enquiries_made", "safeguarding_concerns"):
        values[name] = get(name)
    for name in ("referrer_name", "referrer_role", "previous_school", "exclusion_reason"):
        values[name] = get(name)[:100]
    values["new_address"] = get("new_address")[:300]
    values["new_postcode"] = _postcode(parsed, get("new_postcode"), "new_postcode")
    for name in (
        "deletion_date",
        "parent_notice_date",
        "destination_start_date",
        "starting_date",
        "last_attended_date",
        "absence_start_date",
        "exclusion_start_date",
    ):
        values[name] = _date(parsed, get, name)
    values["is_late"] = False
    _past_dates(parsed, context)
    _age(parsed, context)
    if parsed.kind == NotificationKind.DELETION:
        _deletion(parsed, get, context)
    elif parsed.kind == NotificationKind.NEW_PUPIL:
        _new_pupil(parsed, context)
    elif parsed.kind == NotificationKind.TEN_DAY_ABSENCE:
        _absence(parsed, get, context)
    elif parsed.kind == NotificationKind.EXCLUSION:
        _exclusion(parsed, get)


def _past_dates(parsed: ParsedRow, context: RowContext) -> None:
    for name in ("starting_date", "last_attended_date", "absence_start_date", "parent_notice_date"):
        if parsed.values[name] and parsed.values[name] > context.received_on:
            parsed.error(name, RowMessages.DATE_AFTER_TODAY.format(field=label(name)))


def event_date(parsed: ParsedRow) -> date | None:
    values = parsed.values
    for name in (
        "deletion_date",
        "starting_date",
        "exclusion_start_date",
        "absence_start_date",
        "last_attended_date",
    ):
        if values.get(name):
            return values[name]
    return None


def _age(parsed: ParsedRow, context: RowContext) -> None:
    dob = parsed.values.get("date_of_birth")
    on = event_date(parsed) or context.received_on
    if not dob or dob > on:
        return
    age = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    if not PLAUSIBLE_AGE[0] <= age < PLAUSIBLE_AGE[1]:
        parsed.error(
            "date_of_birth", RowMessages.AGE_IMPLAUSIBLE.format(age=age, on=f"{on:%d/%m/%Y}")
        )
    elif not school_age.is_compulsory_school_age(dob, on):
        parsed.warn(
            "date_of_birth", RowMessages.AGE_NURSERY_OR_SIXTH_FORM.format(on=f"{on:%d/%m/%Y}")
        )


def _lost_pupil(parsed: ParsedRow, get) -> None:
    """docs/rules/registration.md §6.1: a lost pupil is said in the "Lost pupil" column (a CTF to
    the Lost Pupil Database sets it) or by a destination of X's, which is then no destination."""
    text = get("lost_pupil").lower()
    if text and text not in YES | NO:
        parsed.error("lost_pupil", RowMessages.LOST_PUPIL_INVALID)
    lost_code = any(
        is_lost_pupil_code(code) for code in (parsed.destination_urn, parsed.destination_laestab)
    )
    if lost_code:
        parsed.destination_urn = parsed.destination_laestab = ""
    parsed.values["lost_pupil"] = text in YES or lost_code


def _deletion(parsed: ParsedRow, get, context: RowContext) -> None:
    values = parsed.values
    _lost_pupil(parsed, get)
    deleted = values["deletion_date"]
    if deleted:
        if deleted > context.received_on + timedelta(days=context.future_margin_days):
            parsed.error(
                "deletion_date",
                RowMessages.DELETION_DATE_IN_FUTURE.format(days=context.future_margin_days),
            )
        dob = values.get("date_of_birth")
        if dob and deleted <= dob:
            parsed.error("deletion_date", RowMessages.DELETION_BEFORE_BIRTH)
        if context.received_on > deleted:
            values["is_late"] = True
            parsed.late = parsed.warn(
                "deletion_date",
                RowMessages.RETURN_LATE.format(
                    received=f"{context.received_on:%d/%m/%Y}", deleted=f"{deleted:%d/%m/%Y}"
                ),
            )
    _ground(parsed, get)


def _ground(parsed: ParsedRow, get) -> None:
    values = parsed.values
    values["legal_basis"], values["ground"] = "", ""
    text, deleted = get("ground"), values["deletion_date"]
    if not text:
        parsed.error("ground", RowMessages.GROUND_REQUIRED)
        return
    if not deleted:
        return
    basis = legal_basis_on(deleted)
    ground = parse_ground(text)
    regulation = "9" if basis == LegalBasis.REGS_2024 else "8"
    if not ground or (ground[0] and ground[0] != regulation) or ground[1] not in GROUNDS[basis]:
        parsed.error(
            "ground",
            RowMessages.GROUND_INVALID.format(
                ground=text, regulations=LegalBasis(basis).label, on=f"{deleted:%d/%m/%Y}"
            ),
        )
        return
    if _ambiguous(parsed, text, ground, deleted):
        return
    values["legal_basis"], values["ground"] = basis, ground[1]
    _ground_rules(parsed, (basis, ground[1]))


# Letters that name a different ground in each set and that MIS still export with their 2006
# meaning (docs/rules/registration.md §2.3).
AMBIGUOUS_LETTERS = ("d", "e")


def _ambiguous(parsed: ParsedRow, text: str, ground: tuple[str, str], deleted: date) -> bool:
    """A bare "d" or "e" on a deletion from ``deletion_return_ambiguous_code_from`` is refused,
    naming both readings, so that nothing is routed on a guess; "9(1)(d)" in full is accepted."""
    regulation, letter = ground
    since = rules().deletion_return_ambiguous_code_from
    if regulation or letter not in AMBIGUOUS_LETTERS or deleted < since:
        return False
    now = GROUND_2024_FOR_2006[letter]
    parsed.error(
        "ground",
        RowMessages.GROUND_AMBIGUOUS.format(
            ground=letter,
            since=f"{since.day} {since:%B %Y}",
            letter=letter,
            meaning_2024=GROUNDS_2024[letter].lower(),
            meaning_2006=GROUNDS_2006[letter].lower(),
            now=now,
            now_meaning=GROUNDS_2024[now].lower(),
        ),
    )
    return True


def _ground_rules(parsed: ParsedRow, ground: tuple[str, str]) -> None:
    """docs/rules/registration.md §3.1: what each ground needs beside the common fields."""
    values, letter = parsed.values, ground[1]
    label_text = f"{'9(1)' if ground[0] == LegalBasis.REGS_2024 else '8(1)'}({letter})"
    if ground in HOME_EDUCATION_GROUNDS:
        notice = values["parent_notice_date"]
        if not notice:
            parsed.error(
                "parent_notice_date",
                RowMessages.HOME_EDUCATION_NOTICE_REQUIRED.format(ground=label_text),
            )
        elif values["deletion_date"] and values["deletion_date"] < notice:
            parsed.warn(
                "deletion_date",
                RowMessages.HOME_EDUCATION_BEFORE_NOTICE.format(
                    deleted=f"{values['deletion_date']:%d/%m/%Y}", notice=f"{notice:%d/%m/%Y}"
                ),
            )
    registered_elsewhere = {(LegalBasis.REGS_2024, "a"), (LegalBasis.REGS_2006, "b")}
    if ground in registered_elsewhere and not (
        parsed.destination_urn or parsed.destination_laestab
    ):
        parsed.error("destination_urn", RowMessages.DESTINATION_REQUIRED.format(ground=label_text))
    moved_away = {(LegalBasis.REGS_2024, "g"), (LegalBasis.REGS_2006, "e")}
    if ground in moved_away and not values["new_address"]:
        parsed.warn("new_address", RowMessages.NEW_ADDRESS_MISSING.format(ground=label_text))


def _new_pupil(parsed: ParsedRow, context: RowContext) -> None:
    # Due by the end of the fifth day after entry: calendar days, as reg 13 says
    # (docs/rules/registration.md §4).
    started = parsed.values["starting_date"]
    if not started:
        return
    due = started + timedelta(days=rules().new_pupil_return_days)
    if context.received_on > due:
        parsed.values["is_late"] = True
        late = RowMessages.NEW_PUPIL_RETURN_LATE.format(due=f"{due:%d/%m/%Y}")
        parsed.warn("starting_date", late)


def _whole_number(parsed: ParsedRow, get, name: str) -> int | None:
    text = get(name)
    if not text:
        return None
    try:
        return int(float(text)) if float(text).is_integer() else int(text)
    except ValueError:
        parsed.error(name, RowMessages.WHOLE_NUMBER.format(field=label(name)))
        return None


def _weekdays_between(first: date, last: date) -> int:
    """Monday to Friday from ``first`` to ``last``, both included: the most school days there
    can have been (the calendar's holidays only lower it)."""
    if last < first:
        return 0
    whole_weeks, rest = divmod((last - first).days + 1, 7)
    return whole_weeks * 5 + sum((first.weekday() + n) % 7 < 5 for n in range(rest))


def _absence(parsed: ParsedRow, get, context: RowContext) -> None:
    """docs/rules/registration.md §5.2: the return is for the rulebook's number of continuous
    school days or more, and those days must fit between the first day of absence and the day
    the return arrived."""
    needed = rules().absence_return_school_days
    days = _whole_number(parsed, get, "consecutive_days_absent")
    if days is not None and days < needed:
        parsed.error(
            "consecutive_days_absent", RowMessages.DAYS_ABSENT_TOO_FEW.format(needed=needed)
        )
    start = parsed.values.get("absence_start_date")
    if days is not None and days >= needed and start and start <= context.received_on:
        possible = _weekdays_between(start, context.received_on)
        if days > possible:
            parsed.error(
                "consecutive_days_absent",
                RowMessages.DAYS_ABSENT_MORE_THAN_POSSIBLE.format(
                    days=days, possible=possible, start=start.strftime("%d/%m/%Y")
                ),
            )
    parsed.values["consecutive_days_absent"] = days


def _exclusion(parsed: ParsedRow, get) -> None:
    text = get("exclusion_type").lower()
    kind = (
        ExclusionType.PERMANENT
        if "perm" in text
        else ExclusionType.SUSPENSION
        if ("susp" in text or "fixed" in text)
        else ""
    )
    if text and not kind:
        parsed.error("exclusion_type", RowMessages.EXCLUSION_TYPE_INVALID)
    parsed.values["exclusion_type"] = kind
    days = get("exclusion_days")
    try:
        parsed.values["exclusion_days"] = round(float(days), 1) if days else None
    except ValueError:
        parsed.error(
            "exclusion_days", RowMessages.WHOLE_NUMBER.format(field=label("exclusion_days"))
        )
        parsed.values["exclusion_days"] = None
