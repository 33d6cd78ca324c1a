"""The Splink model that scores a return against a child (ADR 0012). Pure: no Django models.

Splink (the Ministry of Justice's probabilistic linkage library) does the comparing and the
Fellegi–Sunter arithmetic; this module says *what* is compared and turns Splink's per-comparison
match weights into words an officer reads.

- ``features(record)``: a record's comparison columns, worked out once in Python (normalised
  names, every form of the forename and surname, the date of birth with day and month swapped,
  postcode sector and district).
- ``DEFAULT_SETTINGS``: the model used before the LA's own has been trained (version 0), in the
  settings format Splink saves (``linker.misc.save_model_to_json``), with m and u set by hand
  from the error rates of school returns (each value commented below).
- ``score_pair_arrays(pairs, model)``: Splink scores the candidate pairs the caller selected
  (blocking is done in SQL on the register, ``schools_feed.selectors.CandidateIndex``),
  in-process on DuckDB, whatever database the register is on.
- ``train(register, returns)``: u by random sampling, m by expectation maximisation, on the LA's
  own register and recent returns.
"""

import copy
import hashlib
import json
import tempfile
import threading
import warnings
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property, lru_cache

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from nicknames import NickNamer
from splink import DuckDBAPI, Linker, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.exceptions import EMTrainingException
from splink.internals.realtime import compare_records

from registry.identifiers import is_unknown_upn_placeholder, is_valid_upn
from registry.names import address_line, first_name_word, normalise_name

# A random pair of records is the same child with this probability when the model does not say
# (one child in a register of about 100,000). The trained model records its own.
DEFAULT_REGISTER_SIZE = 100_000

# --- Short forms (a small table; the ``nicknames`` package supplies the rest) --------------------

EXTRA_SHORT_FORMS = {
    "alfred": {"alfie", "alf"},
    "oliver": {"olly", "ollie"},
    "olivia": {"liv", "livvy", "livia"},
    "amelia": {"milly", "millie", "mia"},
    "benjamin": {"benji", "ben"},
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
    "alexander": {"alex", "alfie", "zander"},
    "jacob": {"jake"},
    "joshua": {"josh"},
    "samuel": {"sam", "sammy"},
    "thomas": {"tom", "tommy"},
    "william": {"will", "billy", "liam"},
    "elizabeth": {"lizzie", "beth", "libby", "eliza"},
    "katherine": {"kate", "katie", "kitty"},
    "catherine": {"kate", "katie", "cat", "kitty"},
    "jessica": {"jess"},
    "rebecca": {"becky", "becca"},
    "madison": {"maddie", "maddy"},
    "madeleine": {"maddie", "maddy"},
    "madeline": {"maddie", "maddy"},
    "abigail": {"abi", "abbie", "abby"},
    "grace": {"gracie"},
    "alexandra": {"lexi", "lexie"},
    "natalie": {"nat"},
    "bethany": {"beth"},
    "eleanor": {"nell", "nellie"},
    "penelope": {"poppy", "penny"},
    "stephen": {"stevie"},
    "stephanie": {"steph", "stevie"},
    "leonardo": {"leo"},
    "francesca": {"frankie", "fran"},
    "georgia": {"georgie"},
    "henrietta": {"hetty"},
    "rosalind": {"rosie"},
    "camilla": {"millie", "milly"},
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


# One name written in more than one way: transliterations from Arabic and Urdu, and English and
# Irish spellings, that differ by more than one letter ("Muhammad" for "Mohammed", "Ayesha" for
# "Aisha", "Shaun" for "Sean"). Without them a school's spelling reads as a wholly different
# forename, and a return alike in all else goes to review as "twin or the same child?".
SPELLINGS = [
    {"mohammed", "muhammad", "mohammad", "mohamed", "muhammed", "mohamad", "mohamud"},
    {"aisha", "ayesha", "aysha", "aishah", "ayisha"},
    {"yusuf", "yousef", "yousuf", "yusef", "youssef"},
    {"hussain", "hussein", "husain", "husein"},
    {"fatima", "fatimah", "fatma"},
    {"zainab", "zaynab", "zeinab"},
    {"maryam", "mariam", "meryem"},
    {"khadija", "khadijah", "khadeeja"},
    {"amina", "aminah", "ameena"},
    {"safiya", "safiyah", "safia"},
    {"osman", "usman", "uthman"},
    {"zakariya", "zakaria", "zakariyya"},
    {"sean", "shaun", "shawn"},
    {"rhys", "reece", "reese"},
    {"niamh", "neve", "neave"},
    {"aidan", "aiden", "ayden", "aden"},
    {"jayden", "jaden", "jaiden", "jaydon"},
    {"layla", "leila", "laila", "leyla"},
    {"isabel", "isobel", "isabelle"},
    {"lewis", "louis"},
]


@cache
def _spellings() -> dict[str, frozenset[str]]:
    return {name: frozenset(group - {name}) for group in SPELLINGS for name in group}


@cache
def _nicknamer() -> NickNamer:
    lookup = NickNamer.default_lookup()
    for name, short_forms in EXTRA_SHORT_FORMS.items():
        lookup.setdefault(name, set()).update(short_forms)
    return NickNamer(nickname_lookup=lookup)


@lru_cache(maxsize=16384)
def name_variants(name: str) -> frozenset[str]:
    """Names directly related to ``name`` as a short form, a full form or another spelling."""
    if not name:
        return frozenset()
    namer = _nicknamer()
    related = namer.nicknames_of(name) | namer.canonicals_of(name)
    related = {other for other in related if frozenset((name, other)) not in NOT_SHORT_FORMS}
    return frozenset(related | _spellings().get(name, frozenset()))


# --- Records and their comparison columns --------------------------------------------------------


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
    middle_names: str = ""
    address: str = ""


def day_month_swapped(dob: date | None) -> date | None:
    if dob is None or dob.day > 12 or dob.day == dob.month:
        return None
    try:
        return dob.replace(month=dob.day, day=dob.month)
    except ValueError:
        return None


def _postcode_parts(postcode: str) -> tuple[str | None, str | None, str | None]:
    """(full, sector, district): "BN1 2AB" gives ("BN12AB", "BN12", "BN1")."""
    compact = "".join((postcode or "").upper().split())
    if len(compact) < 5:
        return None, None, None
    outward, inward = compact[:-3], compact[-3:]
    return compact, outward + inward[0], outward


def _upn(value: str) -> str | None:
    upn = (value or "").strip().upper()
    return upn if upn and not is_unknown_upn_placeholder(upn) else None


@lru_cache(maxsize=65536)
def _address_columns(text: str) -> tuple[str | None, str | None, str | None]:
    """(the first line as the register normalises it, its key: the same without spaces, its
    street: the key's letters alone). Spaces come and go in keyed addresses ("Dinnison C ircuit",
    "Leltaplace"), and a house number is often missing or mistyped while the street is right. A
    bare house number says nothing (all None)."""
    line = address_line(text)
    if not line:
        return None, None, None
    compact = line.replace(" ", "")  # registry.names.address_key, the block's key
    return line, compact, "".join(c for c in compact if c.isalpha()) or None


def _compared_surname(normalised: str) -> str | None:
    """The surname as the surname comparison reads it: its words run together."""
    return normalised.replace(" ", "") or None


@lru_cache(maxsize=65536)
def _name_columns(forenames: str, preferred: str, middle: str, surname: str, others: tuple):
    words = normalise_name(forenames).split()
    forename = words[0] if words else None
    forms = {forename, normalise_name(preferred).partition(" ")[0]} | name_variants(forename or "")
    if len(words) > 1:
        forms.add("".join(words))  # "Mary Ann" run together as "Maryann"
    forms.discard("")
    forms.discard(None)
    middle_words = sorted(set(words[1:] + normalise_name(middle).split()))
    surname_norm = normalise_name(surname)
    surname_forms = set(surname_norm.split())
    if surname_norm:
        surname_forms.add(surname_norm.replace(" ", ""))
    for other in others:
        other_norm = normalise_name(other)
        surname_forms.update(other_norm.split())
        if other_norm:
            surname_forms.add(other_norm.replace(" ", ""))
    return (
        forename,
        sorted(forms),
        middle_words,
        _compared_surname(surname_norm),
        sorted(surname_forms),
    )


@lru_cache(maxsize=8192)
def _date_columns(dob: date | None) -> tuple[str | None, str | None]:
    """(the date, the date with day and month swapped), as ISO text. Dates repeat: cached."""
    swapped = day_month_swapped(dob)
    return (dob.isoformat() if dob else None, swapped.isoformat() if swapped else None)


_postcode_columns = lru_cache(maxsize=65536)(_postcode_parts)


def _upn_columns(value: str) -> tuple[str | None, bool]:
    upn = _upn(value)
    return upn, bool(upn) and is_valid_upn(upn)


def valid_upn(value: str) -> bool:
    """Whether ``value`` is a valid UPN (not a placeholder, its check letter right)."""
    return _upn_columns(value)[1]


def _sex(value: str) -> str | None:
    sex = (value or "").upper()
    return sex if sex in ("M", "F") else None


def feature_columns(records: list[MatchRecord]) -> dict[str, list]:
    """The columns Splink compares (names as in ``DEFAULT_SETTINGS``), a list for each, built a
    column at a time; names, dates and postcodes repeat, and are worked out once each."""
    names = [
        _name_columns(
            r.forenames, r.preferred_forename, r.middle_names, r.surname, tuple(r.other_surnames)
        )
        for r in records
    ]
    dates = [_date_columns(r.date_of_birth) for r in records]
    postcodes = [_postcode_columns(r.postcode) for r in records]
    upns = [_upn_columns(r.upn) for r in records]
    forename, forms, middle, surname, surname_forms = (list(c) for c in zip(*names, strict=True))
    dob, dob_swapped = (list(c) for c in zip(*dates, strict=True))
    postcode, sector, district = (list(c) for c in zip(*postcodes, strict=True))
    upn, upn_valid = (list(c) for c in zip(*upns, strict=True))
    address_line, address_compact, address_street = (
        list(c) for c in zip(*(_address_columns(r.address) for r in records), strict=True)
    )
    return {
        "forename": forename,
        "forename_forms": forms,
        "middle_names": middle,
        "surname": surname,
        "surname_forms": surname_forms,
        "dob": dob,
        "dob_swapped": dob_swapped,
        "postcode": postcode,
        "postcode_sector": sector,
        "postcode_district": district,
        "address_line": address_line,
        "address_compact": address_compact,
        "address_street": address_street,
        "upn": upn,
        "upn_valid": upn_valid,
        "sex": [_sex(r.sex) for r in records],
    }


@lru_cache(maxsize=8192)
def features(record: MatchRecord) -> dict:
    """One record's comparison columns (``feature_columns``), for the explanations of the
    candidates kept. Cached by value: a return is explained beside each of its candidates, a
    child beside each return it is kept for. A part of a file fits (about 6,000 a part); more
    would only hold memory. Do not change the dict returned."""
    return {name: values[0] for name, values in feature_columns([record]).items()}


# --- The default model (version 0) ---------------------------------------------------------------
# Each level: (output column, label, SQL condition, m, u, words). m is the share of true pairs (the
# same child) at the level, u the share of pairs of different children. m comes from the error
# rates of school returns (ADR 0005's estimates), u from name and date frequencies in an English
# county (surname agreement about 0.005 is the sum of squared surname frequencies). A null level
# has no m or u: a missing value says nothing.

NULL = None
# Forename and surname swapped: each side's forename is one of the other's surname forms, so
# "Mary Ann / McDonald" against "McDonald / Mary Ann" and a double-barrelled surname count too,
# or is spelt a little differently from the other's surname ("Broc / Ewan" against "Ewan /
# Brock"), or the other's surname box holds a known form of it ("Mistry / Annie" against
# "Annabelle / Mistry"): a name keyed into the wrong box is often mistyped or shortened as well.
SWAPPED_NAMES = " AND ".join(
    f"(list_contains(surname_forms_{b}, forename_{a})"
    f" OR list_contains(forename_forms_{a}, surname_{b})"
    f" OR jaro_winkler_similarity(forename_{a}, surname_{b}) >= 0.88)"
    for a, b in (("l", "r"), ("r", "l"))
)
COMPARISONS = [
    (
        "upn",
        "UPN",
        [
            ("null", "upn_l IS NULL OR upn_r IS NULL", NULL, NULL, "not compared (missing)"),
            ("exact", "upn_l = upn_r", 0.955, 1e-6, "the same UPN"),
            (
                "one_character",
                "damerau_levenshtein(upn_l, upn_r) <= 1",
                0.03,
                1e-5,
                "one character different",
            ),
            # A UPN is for life: two valid, different UPNs are nearly always two children.
            ("both_valid_differ", "upn_valid_l AND upn_valid_r", 0.005, 0.97, "two different UPNs"),
            ("else", "ELSE", 0.01, 0.03, "different (one is temporary or invalid)"),
        ],
    ),
    (
        "forename",
        "forename",
        [
            ("null", "forename_l IS NULL OR forename_r IS NULL", NULL, NULL, "not compared"),
            ("exact", "forename_l = forename_r", 0.86, 0.012, "the same"),
            (
                "swapped",
                SWAPPED_NAMES,
                0.01,
                1e-4,
                "swapped with the surname",
            ),
            (
                "known_form",
                "list_contains(forename_forms_r, forename_l)"
                " OR list_contains(forename_forms_l, forename_r)",
                0.07,
                0.003,
                "a known short form, another spelling or a preferred name",
            ),
            # "O Taylor" for "Oliver Taylor": rare in a school's return, and as good as the
            # letter is uncommon; never enough alone to tell brothers and sisters apart
            # (``matching.decide``).
            (
                "initial",
                "(length(forename_l) = 1 AND starts_with(forename_r, forename_l))"
                " OR (length(forename_r) = 1 AND starts_with(forename_l, forename_r))",
                0.005,
                0.0004,
                "given as an initial",
            ),
            (
                "similar",
                "jaro_winkler_similarity(forename_l, forename_r) >= 0.88"
                " OR damerau_levenshtein(forename_l, forename_r) <= 1",
                0.03,
                0.005,
                "spelt a little differently",
            ),
            (
                "middle_name",
                "list_contains(middle_names_r, forename_l)"
                " OR list_contains(middle_names_l, forename_r)",
                0.015,
                0.01,
                "matches a middle name",
            ),
            # One name keyed into the other's box and the other name wrong or missing ("Noyce /
            # Liam" against "Madison / Noyce"). Never enough to link alone: the surname then
            # differs outright, and that goes to a person (``matching.decide``).
            (
                "other_name",
                "(list_contains(surname_forms_r, forename_l)"
                " OR list_contains(surname_forms_l, forename_r))"
                # With the same surname it is a coincidence ("Oliver Oliver"), not a slip.
                " AND surname_l IS DISTINCT FROM surname_r",
                0.003,
                0.0003,
                "is the other record's surname (names in the wrong boxes)",
            ),
            (
                "related",
                "jaro_winkler_similarity(forename_l, forename_r) >= 0.8"
                " OR damerau_levenshtein(forename_l, forename_r) <= 2",
                0.01,
                0.04,
                "spelt quite differently",
            ),
            ("else", "ELSE", 0.005, 0.915, "wholly different"),
        ],
    ),
    # The names between the first forename and the surname, compared only when both records
    # have some (most returns leave them out). A middle name in common is good evidence among
    # children who share a forename and a surname, and lifts a child whose date of birth was
    # mistyped and who has moved ("Olivia Rose Taylor" a digit out, at a new postcode) from a
    # new record into review.
    (
        "middle_names",
        "middle names",
        [
            # Names in the wrong boxes put surname words among the middle names ("Smith-Jones /
            # Mary Ann" for "Mary Ann / Smith-Jones"): middle names that are all part of the
            # other record's surname are not compared.
            (
                "null",
                "len(middle_names_l) = 0 OR len(middle_names_r) = 0"
                " OR list_has_all(surname_forms_r, middle_names_l)"
                " OR list_has_all(surname_forms_l, middle_names_r)",
                NULL,
                NULL,
                "not compared (missing on one side, or part of the other's surname)",
            ),
            (
                "shared",
                "len(list_intersect(middle_names_l, middle_names_r)) > 0",
                0.88,
                0.02,
                "a middle name in common",
            ),
            (
                "similar",
                "jaro_winkler_similarity(array_to_string(middle_names_l, ' '),"
                " array_to_string(middle_names_r, ' ')) >= 0.88",
                0.04,
                0.01,
                "spelt a little differently",
            ),
            ("else", "ELSE", 0.08, 0.97, "none in common"),
        ],
    ),
    (
        "surname",
        "surname",
        [
            ("null", "surname_l IS NULL OR surname_r IS NULL", NULL, NULL, "not compared"),
            ("exact", "surname_l = surname_r", 0.86, 0.005, "the same"),
            (
                "swapped",
                SWAPPED_NAMES,
                0.01,
                0.0005,  # the forename's swap level already counts most of this evidence
                "swapped with the forename",
            ),
            (
                "any_form",
                "len(list_intersect(surname_forms_l, surname_forms_r)) > 0",
                0.05,
                0.002,
                "matches a former surname or part of a double-barrelled surname",
            ),
            (
                "similar",
                "jaro_winkler_similarity(surname_l, surname_r) >= 0.88",
                0.05,
                0.003,
                "spelt a little differently",
            ),
            (
                "related",
                "jaro_winkler_similarity(surname_l, surname_r) >= 0.8"
                " OR damerau_levenshtein(surname_l, surname_r) <= 2",
                0.015,
                0.03,
                "spelt quite differently",
            ),
            ("else", "ELSE", 0.015, 0.9525, "wholly different"),
        ],
    ),
    (
        "dob",
        "date of birth",
        [
            ("null", "dob_l IS NULL OR dob_r IS NULL", NULL, NULL, "not compared"),
            ("exact", "dob_l = dob_r", 0.95, 0.00025, "the same"),
            ("swapped", "dob_swapped_l = dob_r", 0.015, 0.00025, "day and month swapped"),
            (
                "one_digit",
                "damerau_levenshtein(dob_l, dob_r) <= 1",
                0.015,
                0.003,
                "one digit different",
            ),
            (
                "within_a_month",
                "abs(date_diff('day', CAST(dob_l AS DATE), CAST(dob_r AS DATE))) <= 31",
                0.01,
                0.008,
                "within a month",
            ),
            ("else", "ELSE", 0.01, 0.99, "different"),
        ],
    ),
    (
        "postcode",
        "postcode",
        [
            ("null", "postcode_l IS NULL OR postcode_r IS NULL", NULL, NULL, "not compared"),
            ("exact", "postcode_l = postcode_r", 0.85, 0.0005, "the same"),
            ("sector", "postcode_sector_l = postcode_sector_r", 0.04, 0.005, "the same sector"),
            (
                "one_character",
                "damerau_levenshtein(postcode_l, postcode_r) <= 1",
                0.02,
                0.001,
                "one character different or two swapped",
            ),
            (
                "district",
                "postcode_district_l = postcode_district_r",
                0.04,
                0.05,
                "the same district",
            ),
            ("else", "ELSE", 0.05, 0.9435, "different"),
        ],
    ),
    # A child who has moved differs on the postcode and the first line alike: counted twice,
    # the move would weigh against the child twice. At a postcode more than one slip away, a
    # first line that is not the same or alike is not compared (the postcode has said it); the
    # same line there still counts, as a postcode mistyped or recoded.
    (
        "address_line",
        "address",
        [
            (
                "null",
                "address_line_l IS NULL OR address_line_r IS NULL"
                " OR (postcode_l <> postcode_r AND damerau_levenshtein(postcode_l, postcode_r) > 1"
                " AND address_compact_l <> address_compact_r"
                " AND jaro_winkler_similarity(address_compact_l, address_compact_r) < 0.9"
                " AND jaro_winkler_similarity(address_street_l, address_street_r) < 0.92)",
                NULL,
                NULL,
                "not compared (missing on one side, or a move the postcode counts)",
            ),
            ("exact", "address_compact_l = address_compact_r", 0.8, 0.0005, "the same first line"),
            (
                "similar",
                "jaro_winkler_similarity(address_compact_l, address_compact_r) >= 0.9"
                " OR jaro_winkler_similarity(address_street_l, address_street_r) >= 0.92",
                0.08,
                0.002,
                "a similar first line",
            ),
            ("else", "ELSE", 0.12, 0.9975, "a different first line"),
        ],
    ),
    (
        "sex",
        "sex",
        [
            ("null", "sex_l IS NULL OR sex_r IS NULL", NULL, NULL, "not compared"),
            ("exact", "sex_l = sex_r", 0.985, 0.5, "the same"),
            ("else", "ELSE", 0.015, 0.5, "different"),
        ],
    ),
]
# Term-frequency adjustment on the exact level: two children both called "Oliver Smith" agree
# on names a county has hundreds of times, two called "Zakariah Quarrington" on names it has
# once. A name's share of the register stands in for the level's u, but never below this: a
# name seen once (or not at all) would otherwise outweigh a wholly different date of birth, as
# a namesake with a rare double-barrelled surname did on the generator (docs/benchmarks.md).
#
# The postcode is adjusted too, but only ever weakened: a postcode many children share (a care
# home, a hostel, a placeholder a school keys for pupils with no fixed address) says less than one
# family's. Its floor is the level's own u, so a postcode no more crowded than the model expects
# keeps the level's weight; strengthening a quiet postcode would push a brother or sister at
# the same home towards a link. Only postcodes above that floor are stored with a model.
TF_COLUMNS = ("forename", "surname", "postcode")
TF_MINIMUM_U = 0.001
WEAKEN_ONLY_TF_COLUMNS = ("postcode",)
# EM does not move these m values: among unlabelled pairs that agree on a date of birth, two
# different UPNs are mostly twins and siblings, so EM would learn that different UPNs are common
# for the same child (measured: bench/matching_quality.py --train, docs/benchmarks.md).
FIXED_M_COLUMNS = ("upn",)


def _gamma(levels: list, index: int) -> int:
    """Splink's comparison vector value of a level: -1 for the null level, then counting down
    from the strongest agreement to 0 for the else level."""
    return -1 if index == 0 else len(levels) - 1 - index


# Words for each level, by label. The gamma a label has is read from each model's own settings
# (``level_labels``): a version trained before a level was added keeps its own numbering.
LEVEL_WORDS = {
    (column, level[0]): level[4] for column, _title, levels in COMPARISONS for level in levels
}
TITLES = {column: title for column, title, _levels in COMPARISONS}


def level_labels(settings: dict) -> dict[tuple[str, int], str]:
    """{(column, gamma): label} for a model's settings, as Splink numbers its levels. A comparison
    the version was saved without (the middle names, before 2026-12-06) reads as not compared."""
    labels = {
        (comparison["output_column_name"], _gamma(levels, index)): level["label_for_charts"]
        for comparison in settings["comparisons"]
        for levels in [comparison["comparison_levels"]]
        for index, level in enumerate(levels)
    }
    return {(column, -1): "null" for column in COLUMNS} | labels


COLUMNS = tuple(column for column, _title, _levels in COMPARISONS)
COLUMN_INDEX = {column: i for i, column in enumerate(COLUMNS)}


def _level(column: str, label: str, sql: str, m, u) -> dict:
    level = {"label_for_charts": label}
    if label == "null":
        level |= {"sql_condition": sql, "is_null_level": True}
        return level
    level["sql_condition"] = sql
    level["m_probability"] = m
    level["u_probability"] = u
    if column in FIXED_M_COLUMNS:
        level["fix_m_probability"] = True
    if label == "exact" and column in TF_COLUMNS:
        level |= {
            "tf_adjustment_column": column,
            "tf_adjustment_weight": 1.0,
            "tf_minimum_u_value": u if column in WEAKEN_ONLY_TF_COLUMNS else TF_MINIMUM_U,
        }
    return level


def exact_level(settings: dict, column: str) -> dict:
    """The "exact" level of ``column``'s comparison in a model's settings."""
    comparison = next(c for c in settings["comparisons"] if c["output_column_name"] == column)
    return next(lv for lv in comparison["comparison_levels"] if lv["label_for_charts"] == "exact")


def _weaken_only(settings: dict, frequencies: dict) -> dict:
    """Set each weaken-only column's floor to its exact level's u in ``settings`` (training moves
    u) and keep only the terms more common than that: the rest would not change a weight."""
    kept = dict(frequencies)
    for column in WEAKEN_ONLY_TF_COLUMNS:
        level = exact_level(settings, column)
        level["tf_minimum_u_value"] = floor = float(level["u_probability"])
        shares = frequencies.get(column, {})
        kept[column] = {term: share for term, share in shares.items() if share > floor}
    return kept


def default_settings(register_size: int = DEFAULT_REGISTER_SIZE) -> dict:
    """The Splink settings of model version 0 (the hand-set starting parameters)."""
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1 / max(register_size, 1000),
        "blocking_rules_to_generate_predictions": [],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "sql_dialect": "duckdb",
        "comparisons": [
            {
                "output_column_name": column,
                "comparison_description": title,
                "comparison_levels": [_level(column, *level[:4]) for level in levels],
            }
            for column, title, levels in COMPARISONS
        ],
    }


@dataclass(frozen=True)
class Model:
    """A model as matching uses it: its version, Splink's settings with the trained m and u, and
    the name and crowded postcode frequencies for the term-frequency adjustment."""

    version: int
    settings: dict
    term_frequencies: dict = field(default_factory=dict)  # {"surname": {"smith": 0.01}, ...}
    register_size: int = DEFAULT_REGISTER_SIZE

    @cached_property
    def cache_key(self) -> str:
        """Splink's SQL for this model is built once per process and kept under this key."""
        digest = hashlib.sha256(json.dumps(self.settings, sort_keys=True).encode()).hexdigest()
        return f"ehe-match-{self.version}-{digest[:16]}"

    @cached_property
    def labels(self) -> dict[tuple[str, int], str]:
        """This model's {(column, gamma): label} (``level_labels``)."""
        return level_labels(self.settings)

    def gamma_of(self, column: str, label: str) -> int:
        """Splink's comparison vector value of a level in this model, by its label."""
        return next(g for (c, g), name in self.labels.items() if c == column and name == label)

    def tf(self, column: str, value: str | None) -> float | None:
        table = self.term_frequencies.get(column)
        if not table or value is None:
            return None
        if column in WEAKEN_ONLY_TF_COLUMNS:
            return table.get(value)  # not stored: no more common than the level expects
        return table.get(value, 1 / max(self.register_size, 1000))


@cache
def default_model() -> Model:
    return Model(version=0, settings=default_settings())


# --- Scoring -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    column: str
    level: str  # the label, e.g. "swapped"
    weight: float | None  # log2 Bayes factor (with the term-frequency part); None when missing
    words: str

    @property
    def missing(self) -> bool:
        return self.level == "null"


@dataclass(frozen=True, slots=True)
class PairScore:
    probability: float
    weight: float
    levels: tuple[str, ...]  # each comparison's level label, in ``COMPARISONS`` order
    weights: tuple[float | None, ...]  # each comparison's match weight (None when missing)

    @property
    def comparisons(self) -> tuple[ComparisonResult, ...]:
        return tuple(
            ComparisonResult(column, level, weight, LEVEL_WORDS.get((column, level), level))
            for column, level, weight in zip(COLUMNS, self.levels, self.weights, strict=True)
        )

    def level(self, column: str) -> str:
        return self.levels[COLUMN_INDEX[column]]


def strength(weight: float) -> str:
    """A match weight (log2 of the Bayes factor) in words."""
    size = abs(weight)
    if size < 1:
        return "little evidence either way"
    word = (
        "very strong"
        if size >= 10
        else "strong"
        if size >= 5
        else "moderate"
        if size >= 2
        else "weak"
    )
    return f"{word} evidence" + (" against" if weight < 0 else "")


def _display(text) -> str:
    if isinstance(text, list):
        return "/".join(text[:1])
    return str(text)


def explain(result: ComparisonResult, left: dict, right: dict) -> str:
    title = TITLES[result.column]
    if result.missing:
        if result.column == "middle_names" and _middle_names_in_surname(left, right):
            return f"{title}: not compared (part of the other record's surname)"
        if result.column == "address_line" and left["address_line"] and right["address_line"]:
            return f"{title}: not compared (a move: the postcode counts it)"
        return f"{title}: not compared (missing on one side)"
    words = f"{title}: {result.words}"
    if result.level != "exact":
        shown = _shown_values(result.column, left, right)
        if shown:
            words += f" ({shown})"
    return f"{words}, {strength(result.weight)}"


def _middle_names_in_surname(left: dict, right: dict) -> bool:
    """Whether one record's middle names are all part of the other's surname (the middle names
    comparison's rule for names in the wrong boxes)."""
    return any(
        mine["middle_names"] and set(mine["middle_names"]) <= set(theirs["surname_forms"] or ())
        for mine, theirs in ((left, right), (right, left))
    )


def _shown_values(column: str, left: dict, right: dict) -> str:
    if column in ("upn", "sex"):
        return ""
    a, b = left.get(column), right.get(column)
    if column == "middle_names":
        a, b = " ".join(a or ()), " ".join(b or ())
    return f"{_display(a)} / {_display(b)}" if a and b else ""


_LOCAL = threading.local()


def db_api() -> DuckDBAPI:
    """One in-process DuckDB per thread (a DuckDB connection is not shared between threads):
    Splink scores each batch's pairs in it."""
    api = getattr(_LOCAL, "api", None)
    if api is None:
        api = _LOCAL.api = DuckDBAPI()
    return api


# Each column's type, given to DuckDB explicitly: a column that is empty in every row of a batch
# (no addresses, no sex) would otherwise have no type, and Splink's SQL could not cast it.
_STRINGS = pa.list_(pa.string())
SCHEMA = {
    "forename": pa.string(),
    "forename_forms": _STRINGS,
    "middle_names": _STRINGS,
    "surname": pa.string(),
    "surname_forms": _STRINGS,
    "dob": pa.string(),
    "dob_swapped": pa.string(),
    "postcode": pa.string(),
    "postcode_sector": pa.string(),
    "postcode_district": pa.string(),
    "address_line": pa.string(),
    "address_compact": pa.string(),
    "address_street": pa.string(),
    "upn": pa.string(),
    "upn_valid": pa.bool_(),
    "sex": pa.string(),
    "pair_key": pa.int64(),
}


def _distinct(records: Iterable[MatchRecord]) -> tuple[list[MatchRecord], np.ndarray]:
    """The distinct record objects (a candidate is one object however many returns it is a
    candidate for) and, for each position, which of them it is."""
    position: dict[int, int] = {}
    distinct: list[MatchRecord] = []
    which = []
    for record in records:
        found = position.get(id(record))
        if found is None:
            found = position[id(record)] = len(distinct)
            distinct.append(record)
        which.append(found)
    return distinct, np.asarray(which, dtype=np.int64)


def _column_frame(records: list[MatchRecord], model: Model, side: str, first: int = 0) -> pa.Table:
    """Splink's input table for ``records``, built a column at a time (no row dictionaries);
    record ``i`` has the id ``{side}{first + i}``."""
    values = feature_columns(records) if records else {name: [] for name in SCHEMA}
    columns = {
        name: pa.array(values[name], type=kind) for name, kind in SCHEMA.items() if name in values
    }
    for column in TF_COLUMNS:
        columns[f"tf_{column}"] = pa.array(
            [model.tf(column, value) for value in values[column]], type=pa.float64()
        )
    columns["unique_id"] = pa.array(
        [f"{side}{first + i}" for i in range(len(records))], type=pa.string()
    )
    columns["source_dataset"] = pa.array([side] * len(records), type=pa.string())
    return pa.table(columns)


def _pair_frame(records: Iterable[MatchRecord], model: Model, side: str) -> pa.Table:
    """One side of the pairs for Splink: each distinct record's comparison columns worked out
    once, then repeated for its pairs by Arrow (``take``), not in Python."""
    distinct, which = _distinct(records)
    table = _column_frame(distinct, model, side).take(pa.array(which))
    keys = pa.array(np.arange(len(which), dtype=np.int64))
    table = table.set_column(table.schema.get_field_index("unique_id"), "unique_id", keys)
    return table.append_column("pair_key", keys)


@dataclass(frozen=True)
class ScoredPairs:
    """Splink's scores for a batch of pairs as arrays, in the order the pairs were given:
    ``score(i)`` makes the ``PairScore`` of one pair, so only the pairs kept are built."""

    probability: np.ndarray
    weight: np.ndarray
    gammas: np.ndarray  # (pairs, comparisons), in ``COLUMNS`` order
    weights: np.ndarray  # (pairs, comparisons): each comparison's match weight
    labels: dict  # the model's {(column, gamma): label}

    def __len__(self) -> int:
        return len(self.weight)

    def score(self, i: int) -> PairScore:
        return _pair_score(
            self.labels, self.probability[i], self.weight[i], self.gammas[i], self.weights[i]
        )


def _pair_score(labels: dict, probability, weight, gammas, weights) -> PairScore:
    vector = [int(g) for g in gammas]
    return PairScore(
        probability=float(probability),
        weight=float(weight),
        levels=tuple(labels[(c, g)] for c, g in zip(COLUMNS, vector, strict=True)),
        weights=tuple(
            None if gamma == -1 else float(w) for gamma, w in zip(vector, weights, strict=True)
        ),
    )


_LEFT, _RIGHT = "ehe_pairs_left", "ehe_pairs_right"


def score_pair_arrays(
    pairs: list[tuple[MatchRecord, MatchRecord]], model: Model | None = None
) -> ScoredPairs:
    """Splink's scores for (return, candidate) pairs, in one DuckDB query for the whole batch."""
    model = model or default_model()
    api = db_api()
    con = api.duckdb_con
    # The two sides are registered under fixed names and unregistered after: Splink's own
    # registration of each call's tables would keep every batch's Arrow tables alive for the
    # life of the connection.
    con.register(_LEFT, _pair_frame((a for a, _b in pairs), model, "l"))
    con.register(_RIGHT, _pair_frame((b for _a, b in pairs), model, "r"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = compare_records(
                _LEFT,
                _RIGHT,
                model.settings,
                api,
                sql_cache_key=model.cache_key,
                join_condition="l.pair_key = r.pair_key",
            )
        try:
            arrays = _result_arrays(con, result.physical_name, model.labels)
        finally:
            result.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
    finally:
        con.unregister(_LEFT)
        con.unregister(_RIGHT)
    return arrays


def _result_arrays(con, table: str, labels: dict) -> ScoredPairs:
    """Only the columns matching reads from Splink's output, straight into numpy."""
    present = set(con.sql(f"SELECT * FROM {table} LIMIT 0").columns)
    wanted = ["match_probability", "match_weight"]
    for column in COLUMNS:
        wanted.append(f"gamma_{column}")
        wanted += [f"coalesce({w}, 0) AS {w}" for w in (f"mw_{column}", f"mw_tf_adj_{column}")]
    selected = [c for c in wanted if c.rsplit(" ", 1)[-1] in present]
    found = con.sql(f"SELECT {', '.join(selected)} FROM {table} ORDER BY unique_id_l").fetchnumpy()
    return _scored_pairs(found, labels)


def _pair_scores(frame: pd.DataFrame, labels: dict) -> list[PairScore]:
    """Splink's output rows as scores, in the frame's order."""
    columns = {c: frame[c].to_numpy(na_value=0.0) for c in frame if c.startswith("mw_")}
    columns |= {c: frame[c].to_numpy() for c in frame if not c.startswith("mw_")}
    scored = _scored_pairs(columns, labels)
    return [scored.score(n) for n in range(len(scored))]


def _scored_pairs(columns: dict, labels: dict) -> ScoredPairs:
    """Splink's output columns (no null weight) as arrays. A comparison that a version saved
    before it was added lacks reads as not compared (-1), with no weight."""
    size = len(columns["match_weight"])

    def gamma(column: str) -> np.ndarray:
        found = columns.get(f"gamma_{column}")
        return np.full(size, -1) if found is None else np.asarray(found, dtype=np.int64)

    def weight(column: str) -> np.ndarray:
        parts = [columns[c] for c in (f"mw_{column}", f"mw_tf_adj_{column}") if c in columns]
        return sum((np.asarray(p, dtype=np.float64) for p in parts), np.zeros(size))

    return ScoredPairs(
        probability=np.asarray(columns["match_probability"], dtype=np.float64),
        weight=np.asarray(columns["match_weight"], dtype=np.float64),
        gammas=np.column_stack([gamma(c) for c in COLUMNS]).astype(np.int64),
        weights=np.column_stack([weight(c) for c in COLUMNS]),
        labels=labels,
    )


def explanations(
    pair: tuple[MatchRecord, MatchRecord],
    scored: PairScore,
    comparisons: tuple[ComparisonResult, ...] | None = None,
) -> tuple[str, ...]:
    """Every comparison's match weight in words, strongest first (``comparisons``: the score's,
    when the caller has them already)."""
    left, right = features(pair[0]), features(pair[1])
    ordered = sorted(comparisons or scored.comparisons, key=lambda c: -abs(c.weight or 0.0))
    return tuple(explain(c, left, right) for c in ordered)


# --- Training ------------------------------------------------------------------------------------

TRAINING_BLOCKING_RULES = (block_on("upn"), block_on("dob"))


def term_frequencies(terms: Iterable[tuple[str, str, str | None]]) -> tuple[dict, int]:
    """Each compared forename's, surname's and postcode's share of the register, from its
    children's (forenames, surname, current postcode), and the number of children. A term held by
    one child is left out: a name then takes an unseen name's share (``Model.tf``); the
    postcodes are cut further by ``_weaken_only``."""
    counts = {"forename": Counter(), "surname": Counter(), "postcode": Counter()}
    total = 0
    for forenames, surname, postcode in terms:
        total += 1
        counts["forename"][first_name_word(forenames) or None] += 1
        counts["surname"][_compared_surname(normalise_name(surname))] += 1
        counts["postcode"][_postcode_columns(postcode)[0]] += 1
    return (
        {
            column: {name: n / total for name, n in counter.items() if name and n > 1}
            for column, counter in counts.items()
        },
        total,
    )


# A register smaller than this says little about an LA's names or size, and EM has too few pairs
# to learn from: the starting model keeps the code's defaults, and training is refused.
MINIMUM_REGISTER_SIZE = 200


def starting_model_fitted(
    terms: Iterable[tuple[str, str, str | None]],
) -> tuple[dict, dict, int]:
    """The starting parameters fitted to a register by counting, not learning: its size sets the
    prior (a return is one child among the register's), its names and postcodes the
    term-frequency adjustment. Returns (Splink's settings, the frequencies, the number of
    children)."""
    frequencies, size = term_frequencies(terms)
    if size < MINIMUM_REGISTER_SIZE:
        return default_settings(), {}, size
    settings = default_settings(register_size=size)
    return settings, _weaken_only(settings, frequencies), size


# EM learns only the errors the LA's data happens to hold: a level it saw (almost) never among
# true pairs gets an m near zero, which would make one such error veto a link for ever. Every
# level keeps at least this m (the comparison's m values are then scaled back to sum to 1).
M_FLOOR = 0.002


def _floor_m(settings: dict) -> None:
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if "m_probability" in lv]
        for level in levels:
            level["m_probability"] = max(float(level["m_probability"]), M_FLOOR)
        total = sum(level["m_probability"] for level in levels)
        for level in levels:
            level["m_probability"] /= total


def train(
    register: list[MatchRecord],
    returns: list[MatchRecord],
    *,
    max_pairs: float = 1e6,
    seed: int = 1,
) -> tuple[dict, dict, list[str]]:
    """Train m and u on the LA's own data. u: Splink's random sampling on the register. m:
    expectation maximisation over pairs blocked on UPN, then on date of birth (each session
    estimates every comparison but the one it blocks on; the UPN's m stays fixed), linking recent
    returns to the register; with no returns, deduplicating the register. Blocks on surname or
    postcode are not used: their pairs are mostly households, and EM then learns the household
    rather than the child. Returns (Splink's
    settings as it saves them, the term frequencies, the blocking rules EM learnt m from)."""
    frequencies, size = term_frequencies(
        (record.forenames, record.surname, record.postcode) for record in register
    )
    settings = default_settings(register_size=size)
    api = DuckDBAPI()
    register_frame = _column_frame(register, Model(0, settings), "c")
    if returns:
        returns_frame = _column_frame(returns, Model(0, settings), "n")
        tables = [api.register(returns_frame), api.register(register_frame)]
    else:
        settings["link_type"] = "dedupe_only"
        tables = api.register(register_frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linker = Linker(tables, settings)
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        learnt = []
        for rule in TRAINING_BLOCKING_RULES:
            # A register with almost no pairs of the same child gives EM nothing to learn from
            # (no pairs, or m underflows): that session is skipped and the m before it stand.
            before = copy.deepcopy(linker.misc.save_model_to_json())
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True
                )
            except (ValueError, EMTrainingException):
                # A session with no pairs, or a failed one, can leave the linker's settings
                # half-changed: start again from the model as it stood before it.
                linker = Linker(tables, before)
                continue
            learnt.append(rule.get_blocking_rule("duckdb").blocking_rule_sql)
        trained = linker.misc.save_model_to_json()
    _floor_m(trained)
    trained["link_type"] = "link_only"
    trained["probability_two_random_records_match"] = 1 / max(size, 1000)
    trained["retain_intermediate_calculation_columns"] = True
    trained["retain_matching_columns"] = True
    return trained, _weaken_only(trained, frequencies), learnt


# --- Duplicates already in the register ----------------------------------------------------------


def _date_of_birth_initial_rules() -> list[CustomRule]:
    """The feed's date-of-birth block (``matching.date_of_birth_initial_blocks``) between two
    children on the register: born the same day, or with day and month swapped, and sharing the
    initial of a surname or forename, either way round. A county has about 150 children born on
    any day; pairing them all made the weekly check score some twenty million pairs."""
    initials = ("surname", "forename")
    return [
        CustomRule(
            f"l.dob = r.{born} AND substr(l.{left}, 1, 1) = substr(r.{right}, 1, 1)",
            sql_dialect="duckdb",
        )
        for born in ("dob", "dob_swapped")
        for left in initials
        for right in initials
    ]


DEDUPE_BLOCKING_RULES = (
    *_date_of_birth_initial_rules(),
    block_on("surname", "forename"),
    block_on("upn"),
    block_on("postcode", "forename"),
)


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    left: Hashable
    right: Hashable
    probability: float
    cluster: str
    score: PairScore


# DuckDB's working memory for the duplicate check: past it, DuckDB spills to disk rather than
# grow (a county's register gives DuckDB tens of millions of blocked pairs to score).
DUPLICATE_CHECK_MEMORY = "500MB"


def find_duplicates(
    parts: Iterable[list[MatchRecord]], model: Model, *, threshold: float
) -> list[DuplicatePair]:
    """Pairs of records Splink scores at ``threshold`` or above as the same child, with the
    cluster each belongs to (connected components at the same threshold), best first. Pairs are
    found by blocking on date of birth (and its day-month swap), names, UPN, and postcode with
    forename.

    The register comes in ``parts``: each part is made into Splink's columns in Arrow (about
    240 bytes a child) and let go, so memory grows with those columns rather than with records
    in Python, and DuckDB scores within ``DUPLICATE_CHECK_MEMORY``."""
    keys: list[Hashable] = []
    tables = []
    for part in parts:
        tables.append(_column_frame(part, model, "c", first=len(keys)))
        keys.extend(record.key for record in part)
    if len(keys) < 2:
        return []
    settings = dict(model.settings)
    settings["link_type"] = "dedupe_only"
    settings["blocking_rules_to_generate_predictions"] = [
        rule.get_blocking_rule("duckdb").as_dict() for rule in DEDUPE_BLOCKING_RULES
    ]
    with tempfile.TemporaryDirectory(prefix="ehe-duplicates-") as spill:
        connection = duckdb.connect(
            config={"memory_limit": DUPLICATE_CHECK_MEMORY, "temp_directory": spill}
        )
        try:
            pairs, cluster_of = _predict_and_cluster(
                DuckDBAPI(connection), pa.concat_tables(tables), settings, threshold
            )
        finally:
            connection.close()
    scores = _pair_scores(pairs, model.labels)
    found = [
        DuplicatePair(
            left=keys[int(left[1:])],
            right=keys[int(right[1:])],
            probability=scored.probability,
            cluster=str(cluster_of.get(left, "")),
            score=scored,
        )
        for left, right, scored in zip(
            pairs["unique_id_l"], pairs["unique_id_r"], scores, strict=True
        )
    ]
    found.sort(key=lambda pair: -pair.probability)
    return found


def _predict_and_cluster(api: DuckDBAPI, frame: pa.Table, settings: dict, threshold: float):
    """(Splink's pairs at ``threshold`` or above, {unique id: cluster id} for the records in
    them). Only the clusters of paired records are read: Splink's cluster table holds every
    record of the register with all its columns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linker = Linker(api.register(frame), settings)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        )
        paired = api.duckdb_con.sql(
            f"SELECT unique_id, cluster_id FROM {clusters.physical_name} WHERE unique_id IN ("
            f"SELECT unique_id_l FROM {predictions.physical_name} UNION "
            f"SELECT unique_id_r FROM {predictions.physical_name})"
        ).fetchall()
        pairs = predictions.as_pandas_dataframe()
    return pairs, dict(paired)
