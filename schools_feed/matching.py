"""Matching a school's pupil return to a child on the register. Pure: no database, no models.

A wrong automatic link mixes two children's records, which is far worse than a duplicate (a
duplicate can be merged later, see ADR 0003). So the engine is built to be cautious, and every
score carries plain-English evidence a caseworker can read. ADR 0005 explains the choices.

How it works:

1. **Blocking** (done by the caller, with these helpers): children with the same UPN, children whose
   date of birth is in ``date_of_birth_block(dob)``, and children whose stored
   ``name_block_key(surname, forename)`` is in ``name_block_keys(incoming)``.
2. **Comparison**: each field (UPN, forename, surname, middle names, date of birth, sex,
   postcode) is compared into a few *levels* ("exact", "known short form", "day and month
   swapped", ...). ``prepare`` normalises a record once; name pairs are compared once, cached.
3. **Scoring**: Fellegi–Sunter with a third class. Every level has a probability under three
   hypotheses: the records are the *same child* (m), a *sibling* in the same household (s), or an
   *unrelated* child (u). The score is the posterior probability of "same child", which is the
   logistic function of the log-likelihood ratio. The sibling class is what stops twins (same
   surname, date of birth and postcode) from linking: plain two-class Fellegi–Sunter assumes the
   fields are independent, which is false inside a household.
4. **Decision**: ``decide`` links only when the top score is high *and* clearly above the
   runner-up, with no UPN conflict; otherwise it sends the return to review, or says the child
   is new.

Typical use, per return: ``decide(best_candidates(incoming, candidates), auto_link=...,
review=...)`` with the thresholds from settings.
"""

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from itertools import product
from sys import intern
from zlib import crc32

from nicknames import NickNamer
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from registry.identifiers import CHECK_LETTERS, is_unknown_upn_placeholder, is_valid_upn
from registry.names import first_name_word, name_key, normalise_name

# --- Evidence messages (tests assert on these constants) ---------------------------------------

UPN_IDENTICAL = "UPN identical"
UPN_ONE_CHARACTER = "UPN differs by one character ({incoming} / {candidate})"
UPN_DIFFERENT = "UPNs differ ({incoming} / {candidate})"
UPN_NOT_COMPARED = "UPN not compared (missing on one side)"
FORENAME_IDENTICAL = "Forename identical"
FORENAME_PREFERRED = "Forename matches a preferred forename ({incoming} / {candidate})"
FORENAME_SHORT_FORM = "Forename is a known short form ({incoming} / {candidate})"
FORENAME_SIMILAR = "Forename similar ({incoming} / {candidate}, {similarity:.2f})"
FORENAME_MIDDLE_NAME = "Forename matches a middle name ({incoming} / {candidate})"
FORENAME_DIFFERS = "Forename differs ({incoming} / {candidate})"
FORENAME_NOT_COMPARED = "Forename not compared (missing on one side)"
SURNAME_IDENTICAL = "Surname identical"
SURNAME_OTHER = "Surname matches a former or preferred surname ({incoming} / {candidate})"
SURNAME_PART = "Surname shares part of a double-barrelled surname ({incoming} / {candidate})"
SURNAME_SIMILAR = "Surname similar ({incoming} / {candidate}, {similarity:.2f})"
SURNAME_DIFFERS = "Surname differs ({incoming} / {candidate})"
DECISION_NAME_DIFFERS = "A name differs outright and the UPN does not confirm it: a person decides"
SURNAME_NOT_COMPARED = "Surname not compared (missing on one side)"
NAMES_SWAPPED = "Forename and surname swapped"
MIDDLE_NAMES_AGREE = "Middle names agree"
MIDDLE_NAMES_DIFFER = "Middle names differ ({incoming} / {candidate})"
DOB_IDENTICAL = "Date of birth identical"
DOB_DAY_MONTH_SWAPPED = "Date of birth day and month swapped"
DOB_ONE_DIGIT = "Date of birth differs by one digit ({incoming} / {candidate})"
DOB_DIFFERS = "Date of birth differs ({incoming} / {candidate})"
DOB_NOT_COMPARED = "Date of birth not compared (missing on one side)"
SEX_IDENTICAL = "Sex identical"
SEX_DIFFERS = "Sex differs"
SEX_NOT_COMPARED = "Sex not compared (not recorded on one side)"
POSTCODE_IDENTICAL = "Postcode identical"
POSTCODE_SAME_OUTWARD = "Postcode in the same area ({outward})"
POSTCODE_DIFFERS = "Postcode differs ({incoming} / {candidate})"
POSTCODE_NOT_COMPARED = "Postcode not compared (missing on one side)"
DECISION_NEAR_TIE = "Another candidate scored {runner_up:.2f}: too close to link automatically"
DECISION_UPN_CONFLICT = "UPN identical but other details disagree: check before linking or adding"
DECISION_UPN_ELSEWHERE = "Another candidate has the same UPN: check before linking"
DECISION_UPNS_DIFFER = "The two UPNs differ: check which is right before linking"

LINK, REVIEW, NEW = "link", "review", "new"
DEFAULT_MARGIN = 0.10

# --- Comparison levels --------------------------------------------------------------------------
# Within a field, a lower number is stronger agreement, so "best of several comparisons" is min().

UPN_SAME, UPN_NEAR, UPN_BOTH_VALID_DIFFER, UPN_OTHER_DIFFER, UPN_MISSING = range(5)
FORENAME_EXACT, FORENAME_PREF, FORENAME_NICK, FORENAME_TYPO, FORENAME_MIDDLE = range(5)
FORENAME_DIFFER, FORENAME_MISSING = 5, 6
SURNAME_EXACT, SURNAME_OTHER_NAME, SURNAME_PARTS, SURNAME_TYPO, SURNAME_DIFFER = range(5)
SURNAME_MISSING = 5
DOB_EXACT, DOB_SWAPPED, DOB_DIGIT, DOB_DIFFER, DOB_MISSING = range(5)
SEX_AGREE, SEX_DIFFER, SEX_MISSING = range(3)
POSTCODE_SAME, POSTCODE_OUTWARD, POSTCODE_DIFFER, POSTCODE_MISSING = range(4)
NOT_SWAPPED, SWAPPED = range(2)
MIDDLE_SAME, MIDDLE_DIFFER, MIDDLE_MISSING = range(3)

# Probability of each level given (same child m, sibling s, unrelated child u). Each class's column
# sums to about 1 over the non-missing levels; a missing value is (1, 1, 1): it says nothing.
# m: estimated from school-return error rates (ADR 0005); u: from name and date frequencies in an
# English county (surname agreement 0.005 is the sum of squared surname frequencies); s: a
# brother or sister in the same home, where surname, postcode and often sex agree by nature and
# the date of birth agrees only for twins. Tuned with bench/matching_quality.py.
MISSING = (1.0, 1.0, 1.0)
UPN_PROBABILITIES = {
    UPN_SAME: (0.955, 0.02, 1e-6),  # s: schools do mix up twins' and siblings' UPNs
    UPN_NEAR: (0.03, 0.005, 1e-5),  # a mistyped UPN: one character off, fails its check letter
    # A UPN is for life; a second one is issued by mistake now and then. ``decide`` never links
    # across two different permanent UPNs: a person must say which is right.
    UPN_BOTH_VALID_DIFFER: (0.005, 0.97, 0.98),
    UPN_OTHER_DIFFER: (0.01, 0.015, 0.02),  # a temporary or invalid UPN is weak evidence
    UPN_MISSING: MISSING,
}
FORENAME_PROBABILITIES = {
    FORENAME_EXACT: (0.86, 0.003, 0.012),
    FORENAME_PREF: (0.06, 0.002, 0.001),
    FORENAME_NICK: (0.04, 0.004, 0.003),
    # s is set high on purpose: siblings get look-alike names (Millie / Mollie, Aiden / Aidan),
    # so a one-letter difference must never link on household evidence (surname, date of birth,
    # postcode) alone; the UPN or a second field has to confirm it.
    FORENAME_TYPO: (0.03, 0.10, 0.02),
    FORENAME_MIDDLE: (0.015, 0.05, 0.01),  # s: a twin's middle name is often the other's name
    FORENAME_DIFFER: (0.003, 0.841, 0.954),
    FORENAME_MISSING: MISSING,
}
SURNAME_PROBABILITIES = {
    SURNAME_EXACT: (0.88, 0.85, 0.005),
    SURNAME_OTHER_NAME: (0.03, 0.03, 0.0005),
    SURNAME_PARTS: (0.04, 0.03, 0.002),
    SURNAME_TYPO: (0.03, 0.005, 0.01),
    SURNAME_DIFFER: (0.02, 0.085, 0.98),
    SURNAME_MISSING: MISSING,
}
DOB_PROBABILITIES = {
    DOB_EXACT: (0.958, 0.03, 0.00025),  # s: twins; u: one day in eleven school years
    DOB_SWAPPED: (0.015, 0.0005, 0.00025),
    DOB_DIGIT: (0.025, 0.005, 0.008),  # u: about 30 school-age dates are one digit away
    # m: a return with a wholly different date of birth (not a slip) is rare, and must not link
    # on names alone: twins' siblings and namesakes share names, not birthdays.
    DOB_DIFFER: (0.002, 0.96, 0.9915),
    DOB_MISSING: MISSING,
}
SEX_PROBABILITIES = {
    SEX_AGREE: (0.985, 0.5, 0.5),
    SEX_DIFFER: (0.015, 0.5, 0.5),
    SEX_MISSING: MISSING,
}
POSTCODE_PROBABILITIES = {
    POSTCODE_SAME: (0.70, 0.85, 0.0002),  # m: most families have not moved since the last return
    POSTCODE_OUTWARD: (0.08, 0.04, 0.01),
    POSTCODE_DIFFER: (0.22, 0.11, 0.99),
    POSTCODE_MISSING: MISSING,
}
# Names written the other way round: rare for the same child; for others the better of the two
# comparisons is what we look at, so it costs them nothing.
SWAP_PROBABILITIES = {NOT_SWAPPED: (1.0, 1.0, 1.0), SWAPPED: (0.01, 1.0, 1.0)}
# Middle names, compared only when both records have some: one in common, or none.
MIDDLE_PROBABILITIES = {
    MIDDLE_SAME: (0.94, 0.10, 0.03),  # s: siblings, twins above all, often share one
    MIDDLE_DIFFER: (0.06, 0.90, 0.97),  # m: a misspelt middle name differs too
    MIDDLE_MISSING: MISSING,
}
# Prior for one incoming-candidate pair: the return is about one particular child in a register
# of about 100,000, and that child has about two brothers or sisters on it.
PRIOR_SAME, PRIOR_SIBLING = 1e-5, 2e-5
PRIOR_UNRELATED = 1.0 - PRIOR_SAME - PRIOR_SIBLING

FIELD_TABLES = (
    UPN_PROBABILITIES,
    FORENAME_PROBABILITIES,
    SURNAME_PROBABILITIES,
    SWAP_PROBABILITIES,
    MIDDLE_PROBABILITIES,
    DOB_PROBABILITIES,
    SEX_PROBABILITIES,
    POSTCODE_PROBABILITIES,
)
RADICES = tuple(len(table) for table in FIELD_TABLES)

# --- Records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """A child as the matcher sees it: a register child (``key`` set) or an incoming return."""

    key: Hashable | None = None
    upn: str = ""
    forenames: str = ""
    surname: str = ""
    other_surnames: tuple[str, ...] = ()
    preferred_forename: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    postcode: str = ""


@dataclass(frozen=True, slots=True)
class MatchScore:
    score: float
    evidence: tuple[str, ...]
    upn_identical: bool = False
    upn_conflict: bool = False  # both have valid permanent UPNs, and they differ
    # A forename or surname that disagrees outright (not a typo, short form or former name):
    # a changed name may be the same child, but only a person should decide that.
    name_differs: bool = False


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """``candidate`` is the top-ranked child whatever the outcome; only "link" means use it."""

    outcome: str
    candidate: MatchRecord | None = None
    score: float = 0.0
    evidence: tuple[str, ...] = ()


# --- Normalisation and blocking ----------------------------------------------------------------

_first_token = first_name_word
name_block_key = name_key  # the key stored on each child (registry.names)


def name_block_keys(record: MatchRecord) -> set[str]:
    """Keys to look up for an incoming record: every surname part (double-barrelled, former) with
    the forename, its preferred form and known short forms, plus the names the other way round."""
    surname_parts = set(normalise_name(record.surname).split())
    for other in record.other_surnames:
        surname_parts.update(normalise_name(other).split())
    forename = _first_token(record.forenames)
    forename_forms = {forename, _first_token(record.preferred_forename)} | _variants(forename)
    forename_forms.discard("")
    keys = {f"{part}|{form}" for part in surname_parts for form in forename_forms}
    keys.update(f"{forename}|{part}" for part in surname_parts)  # swapped: forename is the surname
    return keys


def date_of_birth_block(dob: date | None) -> set[date]:
    """The date of birth and, when it is a real date, the same date with day and month swapped."""
    if dob is None:
        return set()
    swapped = _day_month_swapped(dob)
    return {dob, swapped} if swapped else {dob}


def _day_month_swapped(dob: date) -> date | None:
    if dob.day > 12 or dob.day == dob.month:
        return None
    try:
        return dob.replace(month=dob.day, day=dob.month)
    except ValueError:
        return None


# --- Known short forms -------------------------------------------------------------------------

# British short forms the (American) nicknames data lacks.
EXTRA_SHORT_FORMS = {
    "alfred": {"alfie", "alf"},
    "oliver": {"olly", "ollie"},
    "isabella": {"izzy", "issy", "bella"},
    "isabelle": {"izzy", "issy", "bella"},
    "isabel": {"izzy", "issy"},
    "isobel": {"izzy", "issy", "bella"},
    "evelyn": {"evie"},
    "eve": {"evie"},
    "margaret": {"maisie"},
    "harrison": {"harry"},
    "charlotte": {"charlie"},
    "frederick": {"freddie", "freddy", "fred"},
    "archibald": {"archie"},
    "theodore": {"teddy", "theo"},
}
# Pairs the nicknames data links that English families give as separate names (often to twins).
NOT_SHORT_FORMS = {
    frozenset(pair)
    for pair in [
        ("emily", "emma"),
        ("amelia", "emily"),
        ("ella", "ellen"),
        ("louis", "louise"),
        ("olivia", "ollie"),
        ("eleanor", "ellen"),
        ("margaret", "daisy"),
        ("harry", "harold"),
    ]
}


@cache
def _nicknamer() -> NickNamer:
    lookup = NickNamer.default_lookup()
    for name, short_forms in EXTRA_SHORT_FORMS.items():
        lookup.setdefault(name, set()).update(short_forms)
    return NickNamer(nickname_lookup=lookup)


@lru_cache(maxsize=8192)
def _variants(name: str) -> frozenset[str]:
    """Names directly related to ``name`` as a short form or a full form."""
    if not name:
        return frozenset()
    namer = _nicknamer()
    related = namer.nicknames_of(name) | namer.canonicals_of(name)
    return frozenset(other for other in related if frozenset((name, other)) not in NOT_SHORT_FORMS)


def _are_short_forms(a: str, b: str) -> bool:
    if frozenset((a, b)) in NOT_SHORT_FORMS:
        return False
    if b in _variants(a) or a in _variants(b):
        return True
    # Two short forms of one name (Tom / Tommy) count when they start alike; two names that only
    # share a distant full form (Millie / Emily via Amelia) do not.
    namer = _nicknamer()
    return a[0] == b[0] and bool(namer.canonicals_of(a) & namer.canonicals_of(b))


# --- Prepared records --------------------------------------------------------------------------


class PreparedRecord:
    """A record's normalised forms, computed once so each comparison is only lookups.

    Names, postcodes and dates are interned: the many children called Oliver or born on one day
    share one object, so the hot loop keeps touching the same few objects (it is bound by memory
    access, not arithmetic). The slots used on every comparison come first.
    """

    __slots__ = (
        # Read for every pair, in the order the hot loop reads them: two cache lines.
        "upn_tag",
        "forename",
        "extras",
        "surname",
        "other_surnames",
        "surname_initial",
        "forename_initial",
        "middle_mask",
        "postcode_tag",
        "outward",
        "dob",
        "sex",
        "upn_permanent",
        # Read only now and then.
        "upn",
        "upn_valid",
        "upn_temporary",
        "postcode",
        "middle_names",
        "all_mask",
        "all_forenames",
        "preferred",
        "surname_first",
        "record",
    )

    def __init__(self, record: MatchRecord):
        self.record = record
        upn = (record.upn or "").strip().upper()
        self.upn = "" if is_unknown_upn_placeholder(upn) else upn
        self.upn_valid = bool(self.upn) and is_valid_upn(self.upn)
        self.upn_temporary = self.upn_valid and self.upn[12] in CHECK_LETTERS
        self.upn_permanent = self.upn_valid and not self.upn_temporary
        self.upn_tag = _tag(self.upn)
        forenames = [intern(name) for name in normalise_name(record.forenames).split()]
        self.forename = forenames[0] if forenames else ""
        self.middle_names = frozenset(forenames[1:]) or _NO_NAMES
        self.all_forenames = frozenset(forenames) or _NO_NAMES
        self.middle_mask = _mask(self.middle_names)
        self.all_mask = _mask(self.all_forenames)
        self.preferred = intern(_first_token(record.preferred_forename))
        self.surname = intern(normalise_name(record.surname))
        self.surname_first = intern(self.surname.partition(" ")[0])
        self.forename_initial, self.surname_initial = self.forename[:1], self.surname[:1]
        self.extras = bool(self.preferred or self.middle_names)
        others = frozenset(filter(None, map(normalise_name, record.other_surnames)))
        self.other_surnames = others or _NO_NAMES
        dob = record.date_of_birth
        self.dob = _SHARED_DATES.setdefault(dob, dob) if dob is not None else None
        self.sex = record.sex if record.sex in ("M", "F") else ""
        self.postcode = intern("".join((record.postcode or "").upper().split()))
        self.outward = intern(self.postcode[:-3]) if len(self.postcode) >= 5 else ""
        self.postcode_tag = _tag(self.postcode)


def _bit(name: str) -> int:
    """One of eight bits for a name: a one-byte filter so the hot loop reads a child's set of
    forenames only when a name might be in it. CRC-32, unlike hash(), is the same in every
    process, so a prepared record stays right if it is pickled."""
    return 1 << (crc32(name.encode()) & 7)


def _mask(names: frozenset[str]) -> int:
    mask = 0
    for name in names:
        mask |= _bit(name)
    return mask


def _tag(value: str) -> int:
    """A small int from the value, -1 when empty. Small ints are shared objects, so the hot loop
    can rule out most unequal UPNs and postcodes without reading the (scattered) strings."""
    return crc32(value.encode()) & 0xFF if value else -1


_SHARED_DATES: dict[date, date] = {}  # at most one entry per calendar day: a few thousand
_NO_NAMES: frozenset[str] = frozenset()


@lru_cache(maxsize=65536)
def prepare(record: MatchRecord) -> PreparedRecord:
    """Cached by value, so a register child seen in many blocks is normalised once."""
    return PreparedRecord(record)


# Hashing a MatchRecord to look it up in prepare's cache costs about as much as scoring it, so
# the very same object seen again is found by id() first. Each entry holds the record itself,
# so its id cannot be reused by another object while the entry exists.
_PREPARED_BY_ID: dict[int, tuple[MatchRecord, PreparedRecord]] = {}
_PREPARED_BY_ID_LIMIT = 65536


def _as_prepared(record: MatchRecord | PreparedRecord) -> PreparedRecord:
    if type(record) is PreparedRecord:
        return record
    entry = _PREPARED_BY_ID.get(id(record))
    if entry is not None and entry[0] is record:
        return entry[1]
    if len(_PREPARED_BY_ID) >= _PREPARED_BY_ID_LIMIT:
        _PREPARED_BY_ID.clear()
    prepared = prepare(record)
    _PREPARED_BY_ID[id(record)] = (record, prepared)
    return prepared


# --- Field comparisons (each returns a level) --------------------------------------------------
# The hot path is ``_pair_indices``: a pair whose names agree or plainly differ costs a few string
# comparisons and dict lookups; the slower comparisons (nicknames, Jaro-Winkler) run once per
# distinct pair of names, cached.


def _upn_differ_level(a: PreparedRecord, b: PreparedRecord) -> int:
    if a.upn_valid and b.upn_valid:
        # Two real UPNs: strong evidence of two children, unless one is only temporary.
        temporary = a.upn_temporary or b.upn_temporary
        return UPN_OTHER_DIFFER if temporary else UPN_BOTH_VALID_DIFFER
    # One fails its check: a typing slip is one character or two swapped neighbours away.
    return UPN_NEAR if OSA.distance(a.upn, b.upn) == 1 else UPN_OTHER_DIFFER


def _forename_pair_level(a: str, b: str) -> int:
    if not a or not b:
        return FORENAME_MISSING
    if a == b:
        return FORENAME_EXACT
    if _are_short_forms(a, b):
        return FORENAME_NICK
    return FORENAME_TYPO if _similar_forenames(a, b) else FORENAME_DIFFER


def _similar_forenames(a: str, b: str) -> bool:
    """A slip of the keyboard, a spelling variant (Isabel / Isobel) or a short form the lists
    lack (Maddie / Madison). All keep the first letter, which people rarely get wrong."""
    if a[0] != b[0]:
        return False
    distance = OSA.distance(a, b, score_cutoff=2)
    if distance == 1 or (distance == 2 and JaroWinkler.similarity(a, b) >= 0.9):
        return True
    return min(len(a), len(b)) >= 3 and a[:3] == b[:3]


def _forename_extra_level(a: PreparedRecord, b: PreparedRecord, level: int) -> int:
    """Preferred forenames and middle names can turn a weak or failed comparison into a match."""
    a_name, b_name = a.forename, b.forename
    if a.preferred or b.preferred:
        if a_name == b.preferred or a.preferred == b_name or a.preferred == b.preferred != "":
            return FORENAME_PREF
        if a.preferred and b_name:
            level = min(level, _FORENAME_LEVELS.level(a.preferred, b_name))
        if b.preferred:
            level = min(level, _FORENAME_LEVELS.level(a_name, b.preferred))
    if level == FORENAME_DIFFER and (a_name in b.middle_names or b_name in a.middle_names):
        return FORENAME_MIDDLE
    return level


def _surname_pair_level(a: str, b: str) -> int:
    if not a or not b:
        return SURNAME_MISSING
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return SURNAME_EXACT  # also "Smith Jones" / "SmithJones"
    a_parts, b_parts = set(a.split()), set(b.split())
    if a_parts <= b_parts or b_parts <= a_parts:
        return SURNAME_PARTS  # Smith-Jones / Smith, or the parts in another order
    if JaroWinkler.similarity(a, b) >= 0.88:  # 0.88 lets in Smith / Smyth
        return SURNAME_TYPO
    if (len(a_parts) > 1 or len(b_parts) > 1) and token_set_ratio(a, b) >= 90:
        return SURNAME_TYPO  # a typo inside one part of a double-barrelled surname
    return SURNAME_DIFFER


def _surname_extra_level(a: PreparedRecord, b: PreparedRecord, level: int) -> int:
    """A former or preferred surname on either side can match."""
    if a.surname in b.other_surnames or b.surname in a.other_surnames:
        return SURNAME_OTHER_NAME
    return SURNAME_OTHER_NAME if a.other_surnames & b.other_surnames else level


def _swapped_levels(a: PreparedRecord, b: PreparedRecord) -> tuple[int, int] | None:
    """Levels with the incoming names the other way round, when both then agree."""
    forename = _FORENAME_LEVELS.level(a.surname_first, b.forename)
    surname = _SURNAME_LEVELS.level(a.forename, b.surname)
    if forename < FORENAME_MIDDLE and surname < SURNAME_DIFFER:
        return forename, surname
    return None


def _dob_levels(dob: date | None) -> dict[date | None, int]:
    """Every date of birth that agrees with ``dob`` at some level; any other date differs.
    Comparing a candidate's date is then one dict lookup."""
    if dob is None:
        return {}
    digits = dob.strftime("%Y%m%d")
    levels: dict[date | None, int] = {None: DOB_MISSING}
    for position, digit in product(range(8), "0123456789"):
        if digit != digits[position]:
            changed = digits[:position] + digit + digits[position + 1 :]
            try:
                levels[date(int(changed[:4]), int(changed[4:6]), int(changed[6:]))] = DOB_DIGIT
            except ValueError:
                continue  # not a real date
    swapped = _day_month_swapped(dob)
    if swapped:
        levels[swapped] = DOB_SWAPPED
    levels[dob] = DOB_EXACT
    return levels


class _NameLevelCache:
    """Levels of name pairs: one dict per incoming name, shared by every record with that name.

    In the hot loop a hit is one plain dict lookup, several times cheaper than an lru_cache call
    on the pair (which would hash a tuple each time). Cleared when it grows past
    ``max_entries`` (a few hundred MB at most).
    """

    def __init__(self, compare: Callable[[str, str], int], max_entries: int = 300_000):
        self.compare, self.max_entries = compare, max_entries
        self.rows: dict[str, dict[str, int]] = {}
        self.entries = 0

    def row(self, name: str) -> dict[str, int]:
        row = self.rows.get(name)
        if row is None:
            if self.entries > self.max_entries:
                self.rows, self.entries = {}, 0
            row = self.rows[name] = {}
        return row

    def fill(self, row: dict[str, int], name: str, other: str) -> int:
        level = row[other] = self.compare(name, other)
        self.entries += 1
        return level

    def level(self, name: str, other: str) -> int:
        row = self.row(name)
        level = row.get(other)
        return self.fill(row, name, other) if level is None else level


_FORENAME_LEVELS = _NameLevelCache(_forename_pair_level)
_SURNAME_LEVELS = _NameLevelCache(_surname_pair_level)

# Place values of each field in the mixed-radix index (FIELD_TABLES order).
_PLACES = tuple(math.prod(RADICES[position + 1 :]) for position in range(len(RADICES)))
_UPN_PLACE, _FORENAME_PLACE, _SURNAME_PLACE, _SWAP_PLACE, _MIDDLE_PLACE, _DOB_PLACE = _PLACES[:6]
_SEX_PLACE = _PLACES[6]


def _pair_indices(a: PreparedRecord, candidates: list[MatchRecord | PreparedRecord]) -> list[int]:
    """For each candidate, the pair's combination of levels as one number (mixed radix).

    This is the hot loop (100,000 returns x 150 candidates), so it is written flat, in one
    function: the incoming record's fields are bound once as locals, a name comparison is a dict
    lookup in the shared name-pair caches, a date of birth or postcode is a lookup in a table
    built for the incoming record. Rarer cases (preferred, middle and former names; swapped
    names; invalid UPNs) call out.
    """
    upn, upn_permanent, upn_tag = a.upn, a.upn_permanent, a.upn_tag
    postcode, postcode_tag, outward = a.postcode, a.postcode_tag, a.outward
    postcode_default = POSTCODE_DIFFER if postcode else POSTCODE_MISSING
    forename, surname, sex = a.forename, a.surname, a.sex
    forename_initial, surname_initial = a.forename_initial, a.surname_initial
    preferred, middle_names, other_surnames, a_extras = (
        a.preferred,
        a.middle_names,
        a.other_surnames,
        a.extras,
    )
    forename_bit = _bit(forename)
    middle_mask, all_mask, all_forenames = a.middle_mask, a.all_mask, a.all_forenames
    forenames, surnames = _FORENAME_LEVELS.row(forename), _SURNAME_LEVELS.row(surname)
    fill_forename, fill_surname = _FORENAME_LEVELS.fill, _SURNAME_LEVELS.fill
    # Date of birth and sex go straight to their share of the index.
    dob_offsets = _dob_offsets(a.dob)
    dob_default = (DOB_DIFFER if a.dob else DOB_MISSING) * _DOB_PLACE
    sex_offsets = _sex_offsets(sex)
    indices = []
    append = indices.append
    for b in candidates:
        if type(b) is not PreparedRecord:
            b = _as_prepared(b)
        b_tag = b.upn_tag
        if upn and b_tag >= 0:
            if b_tag == upn_tag and upn == b.upn:
                upn_level = UPN_SAME
            elif upn_permanent and b.upn_permanent:
                upn_level = UPN_BOTH_VALID_DIFFER
            else:
                upn_level = _upn_differ_level(a, b)
        else:
            upn_level = UPN_MISSING
        forename_level = forenames.get(b.forename)
        if forename_level is None:
            forename_level = fill_forename(forenames, forename, b.forename)
        if FORENAME_PREF < forename_level < FORENAME_MISSING and (a_extras or b.extras):
            if preferred or b.preferred:
                forename_level = _forename_extra_level(a, b, forename_level)
            elif forename_level == FORENAME_DIFFER and (
                (b.middle_mask & forename_bit and forename in b.middle_names)
                or b.forename in middle_names
            ):
                forename_level = FORENAME_MIDDLE
        surname_level = surnames.get(b.surname)
        if surname_level is None:
            surname_level = fill_surname(surnames, surname, b.surname)
        if surname_level > SURNAME_OTHER_NAME and (other_surnames or b.other_surnames):
            surname_level = _surname_extra_level(a, b, surname_level)
        swapped = NOT_SWAPPED
        if (
            forename_level == FORENAME_DIFFER
            and surname_level == SURNAME_DIFFER
            and forename_initial == b.surname_initial
            and surname_initial == b.forename_initial  # a usable swap keeps the first letters
        ):
            levels = _swapped_levels(a, b)
            if levels is not None:
                (forename_level, surname_level), swapped = levels, SWAPPED
        # Middle names: one in common with any of the other's forenames (so "Leo Shane" and
        # "Shane Leo" agree), or none. Not counted again when a middle name already served as
        # the forename. The masks spare reading the sets for most pairs.
        if middle_mask and b.middle_mask and forename_level != FORENAME_MIDDLE:
            if (middle_mask & b.all_mask and not middle_names.isdisjoint(b.all_forenames)) or (
                b.middle_mask & all_mask and not b.middle_names.isdisjoint(all_forenames)
            ):
                middle_level = MIDDLE_SAME
            else:
                middle_level = MIDDLE_DIFFER
        else:
            middle_level = MIDDLE_MISSING
        b_tag = b.postcode_tag
        if b_tag < 0:
            postcode_level = POSTCODE_MISSING
        elif b_tag == postcode_tag and postcode == b.postcode:
            postcode_level = POSTCODE_SAME
        elif outward and outward == b.outward:
            postcode_level = POSTCODE_OUTWARD
        else:
            postcode_level = postcode_default
        append(
            upn_level * _UPN_PLACE
            + forename_level * _FORENAME_PLACE
            + surname_level * _SURNAME_PLACE
            + swapped * _SWAP_PLACE
            + middle_level * _MIDDLE_PLACE
            + dob_offsets.get(b.dob, dob_default)
            + sex_offsets[b.sex]
            + postcode_level
        )
    return indices


@lru_cache(maxsize=16384)
def _dob_offsets(dob: date | None) -> dict[date | None, int]:
    return {other: level * _DOB_PLACE for other, level in _dob_levels(dob).items()}


def _sex_offsets(sex: str) -> dict[str, int]:
    if not sex:
        return dict.fromkeys(("M", "F", ""), SEX_MISSING * _SEX_PLACE)
    other = "F" if sex == "M" else "M"
    return {
        sex: SEX_AGREE * _SEX_PLACE,
        other: SEX_DIFFER * _SEX_PLACE,
        "": SEX_MISSING * _SEX_PLACE,
    }


def _levels_of(index: int) -> tuple[int, ...]:
    levels = []
    for radix in reversed(RADICES):
        index, level = divmod(index, radix)
        levels.append(level)
    return tuple(reversed(levels))


# --- Combining the levels ----------------------------------------------------------------------


def _posterior_table() -> list[float]:
    """The score of every combination of levels (about 75,000), so scoring a pair is a lookup.

    For each class (same child, sibling, unrelated) the log-likelihood of a combination is the
    prior plus the sum of its fields' log-probabilities (conditional independence *within* a
    class). The score is P(same) / (P(same) + P(sibling) + P(unrelated)), that is the logistic
    function of the log-likelihood ratio. The combinations are built field by field in the
    mixed-radix order ``_pair_indices`` uses.
    """
    priors = (PRIOR_SAME, PRIOR_SIBLING, PRIOR_UNRELATED)
    partial = [tuple(math.log(p) for p in priors)]
    for table in FIELD_TABLES:
        logs = [tuple(math.log(p) for p in table[level]) for level in range(len(table))]
        partial = [(m + lm, s + ls, u + lu) for m, s, u in partial for lm, ls, lu in logs]
    return [_logistic(m - _log_add(s, u)) for m, s, u in partial]


def _log_add(x: float, y: float) -> float:
    """ln(e^x + e^y) without overflow."""
    return max(x, y) + math.log1p(math.exp(-abs(x - y)))


def _logistic(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-log_odds))


_POSTERIOR = _posterior_table()


# --- Evidence ----------------------------------------------------------------------------------


def _display_first(text: str) -> str:
    return (text or "").strip().split(" ")[0]


def _upn_evidence(a: PreparedRecord, b: PreparedRecord, level: int) -> str:
    if level == UPN_SAME:
        return UPN_IDENTICAL
    if level == UPN_MISSING:
        return UPN_NOT_COMPARED
    message = UPN_ONE_CHARACTER if level == UPN_NEAR else UPN_DIFFERENT
    return message.format(incoming=a.upn, candidate=b.upn)


def _forename_evidence(a: PreparedRecord, b: PreparedRecord, level: int, swapped: int) -> str:
    a_shown = a.record.surname if swapped else a.record.forenames
    a_name = a.surname_first if swapped else a.forename
    names = {"incoming": _display_first(a_shown), "candidate": _display_first(b.record.forenames)}
    if level == FORENAME_PREF and b.record.preferred_forename:
        names["candidate"] += f", known as {b.record.preferred_forename.strip()}"
    if level == FORENAME_PREF and a.record.preferred_forename:
        names["incoming"] += f", known as {a.record.preferred_forename.strip()}"
    messages = {
        FORENAME_EXACT: FORENAME_IDENTICAL,
        FORENAME_PREF: FORENAME_PREFERRED,
        FORENAME_NICK: FORENAME_SHORT_FORM,
        FORENAME_MIDDLE: FORENAME_MIDDLE_NAME,
        FORENAME_DIFFER: FORENAME_DIFFERS,
        FORENAME_MISSING: FORENAME_NOT_COMPARED,
    }
    if level == FORENAME_TYPO:
        similarity = JaroWinkler.similarity(a_name, b.forename)
        return FORENAME_SIMILAR.format(similarity=similarity, **names)
    return messages[level].format(**names)


def _surname_evidence(a: PreparedRecord, b: PreparedRecord, level: int, swapped: int) -> str:
    a_shown = a.record.forenames if swapped else a.record.surname
    names = {"incoming": a_shown.strip(), "candidate": b.record.surname.strip()}
    if level == SURNAME_TYPO:
        a_name = a.forename if swapped else a.surname
        similarity = max(JaroWinkler.similarity(a_name, b.surname), _token_set(a_name, b.surname))
        return SURNAME_SIMILAR.format(similarity=similarity, **names)
    messages = {
        SURNAME_EXACT: SURNAME_IDENTICAL,
        SURNAME_OTHER_NAME: SURNAME_OTHER,
        SURNAME_PARTS: SURNAME_PART,
        SURNAME_DIFFER: SURNAME_DIFFERS,
        SURNAME_MISSING: SURNAME_NOT_COMPARED,
    }
    return messages[level].format(**names)


def _token_set(a: str, b: str) -> float:
    return token_set_ratio(a, b) / 100 if (" " in a or " " in b) else 0.0


def _middle_evidence(a: PreparedRecord, b: PreparedRecord, level: int) -> tuple[str, ...]:
    """Said only when both records have middle names: most returns have none to compare."""
    if level == MIDDLE_MISSING:
        return ()
    if level == MIDDLE_SAME:
        return (MIDDLE_NAMES_AGREE,)
    a_middle = " ".join(a.record.forenames.split()[1:])
    b_middle = " ".join(b.record.forenames.split()[1:])
    return (MIDDLE_NAMES_DIFFER.format(incoming=a_middle, candidate=b_middle),)


def _dob_evidence(a: PreparedRecord, b: PreparedRecord, level: int) -> str:
    if level in (DOB_EXACT, DOB_SWAPPED, DOB_MISSING):
        return {DOB_EXACT: DOB_IDENTICAL, DOB_SWAPPED: DOB_DAY_MONTH_SWAPPED}.get(
            level, DOB_NOT_COMPARED
        )
    message = DOB_ONE_DIGIT if level == DOB_DIGIT else DOB_DIFFERS
    return message.format(incoming=f"{a.dob:%d/%m/%Y}", candidate=f"{b.dob:%d/%m/%Y}")


def _postcode_evidence(a: PreparedRecord, b: PreparedRecord, level: int) -> str:
    if level == POSTCODE_SAME:
        return POSTCODE_IDENTICAL
    if level == POSTCODE_OUTWARD:
        return POSTCODE_SAME_OUTWARD.format(outward=a.outward)
    if level == POSTCODE_MISSING:
        return POSTCODE_NOT_COMPARED
    return POSTCODE_DIFFERS.format(incoming=a.record.postcode, candidate=b.record.postcode)


def _evidence(a: PreparedRecord, b: PreparedRecord, levels: tuple[int, ...]) -> tuple[str, ...]:
    upn, forename, surname, swapped, middle, dob, sex, postcode = levels
    reasons = [_upn_evidence(a, b, upn)]
    if swapped:
        reasons.append(NAMES_SWAPPED)
    reasons += [
        _forename_evidence(a, b, forename, swapped),
        _surname_evidence(a, b, surname, swapped),
        *_middle_evidence(a, b, middle),
        _dob_evidence(a, b, dob),
        (SEX_IDENTICAL, SEX_DIFFERS, SEX_NOT_COMPARED)[sex],
        _postcode_evidence(a, b, postcode),
    ]
    return tuple(reasons)


def _match_score(a: PreparedRecord, b: PreparedRecord, index: int) -> MatchScore:
    levels = _levels_of(index)
    return MatchScore(
        score=_POSTERIOR[index],
        evidence=_evidence(a, b, levels),
        upn_identical=levels[0] == UPN_SAME,
        upn_conflict=levels[0] == UPN_BOTH_VALID_DIFFER,
        name_differs=levels[1] == FORENAME_DIFFER or levels[2] == SURNAME_DIFFER,
    )


# --- Public scoring and decision ---------------------------------------------------------------


def score(incoming: MatchRecord, candidate: MatchRecord) -> MatchScore:
    """How likely ``candidate`` is the child ``incoming`` describes, with the reasons."""
    a, b = _as_prepared(incoming), _as_prepared(candidate)
    return _match_score(a, b, _pair_indices(a, [b])[0])


def best_candidates(
    incoming: MatchRecord, candidates: Iterable[MatchRecord | PreparedRecord], *, limit: int = 3
) -> list[tuple[MatchRecord, MatchScore]]:
    """The ``limit`` best candidates, best first. A candidate with the same UPN is always kept,
    so ``decide`` can send it to review rather than create a second child with that UPN.
    Candidates may also be given prepared (``prepare(record)``)."""
    # Each return is seen once, so it is prepared without filling the caches.
    a = incoming if type(incoming) is PreparedRecord else PreparedRecord(incoming)
    candidates = candidates if type(candidates) is list else list(candidates)
    indices = _pair_indices(a, candidates)
    # map() and a C-level sort key: this runs for every candidate of every return.
    scores = list(map(_POSTERIOR.__getitem__, indices))
    order = sorted(range(len(indices)), key=scores.__getitem__, reverse=True)
    top = order[:limit]
    if top and indices and min(indices) < _UPN_PLACE:  # UPN level 0 (UPN_SAME): the same UPN
        holder = next((i for i in order[limit:] if indices[i] < _UPN_PLACE), None)
        if holder is not None:
            top[-1] = holder
    # Evidence is built only for the few returned: most candidates are unrelated children.
    chosen = [(_as_prepared(candidates[i]), indices[i]) for i in top]
    return [(b.record, _match_score(a, b, index)) for b, index in chosen]


def decide(
    ranked: list[tuple[MatchRecord, MatchScore]],
    *,
    auto_link: float,
    review: float,
    margin: float = DEFAULT_MARGIN,
) -> MatchDecision:
    """Link only a clear winner; send near-ties, middling scores and UPN conflicts to review.

    "Link" needs the top score at least ``auto_link``, the runner-up at least ``margin`` below
    it, no other candidate holding the incoming UPN, and no second permanent UPN on the top one.
    A child on the register with the same UPN is never passed over silently: if nothing else
    reaches review, that child is reviewed.
    """
    if not ranked:
        return MatchDecision(outcome=NEW)
    candidate, top = ranked[0]
    runner_up = ranked[1][1].score if len(ranked) > 1 else 0.0
    holder = next((i for i, (_, scored) in enumerate(ranked) if scored.upn_identical), None)
    if top.score >= auto_link:
        note = _reason_not_to_link(top, runner_up, holder, margin)
        if note is None:
            return MatchDecision(LINK, candidate, top.score, top.evidence)
        return MatchDecision(REVIEW, candidate, top.score, (*top.evidence, note))
    if top.score >= review:
        return MatchDecision(REVIEW, candidate, top.score, top.evidence)
    if holder is not None:
        held_by, held = ranked[holder]
        return MatchDecision(REVIEW, held_by, held.score, (*held.evidence, DECISION_UPN_CONFLICT))
    return MatchDecision(NEW, candidate, top.score, top.evidence)


def _reason_not_to_link(
    top: MatchScore, runner_up: float, holder: int | None, margin: float
) -> str | None:
    """Why a top score above the auto-link threshold must still be seen by a person, if it must."""
    if top.upn_conflict:
        return DECISION_UPNS_DIFFER
    if top.name_differs and not top.upn_identical:
        return DECISION_NAME_DIFFERS
    if holder not in (None, 0):
        return DECISION_UPN_ELSEWHERE
    if top.score - runner_up < margin:
        return DECISION_NEAR_TIE.format(runner_up=runner_up)
    return None
