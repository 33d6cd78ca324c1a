"""Matching a school's pupil return to a child on the register. No database, no models.

A wrong automatic link mixes two children's records, which is far worse than a duplicate (a
duplicate can be merged later, see ADR 0003). Splink scores each candidate (``schools_feed.
linkage``, ADR 0012); this module ranks the candidates and decides, with safety rules the model
cannot overrule, and says why in words a caseworker reads.

1. **Blocking** (done by the caller, with these helpers): children with the same UPN, children whose
   date of birth is in ``date_of_birth_block(dob)``, and children whose stored
   ``name_block_key(surname, forename)`` is in ``name_block_keys(incoming)``.
2. **Scoring**: Splink's match probability for each pair (``linkage.score_pair_arrays``), one
   call for all the pairs of a batch (``rank_many``), with every comparison's match weight in
   words.
3. **Decision**: ``decide`` links only a clear winner above the auto-link threshold; two valid,
   different UPNs and a wholly different forename with everything else agreeing ("twin or the
   same child?") are never linked automatically.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from registry.names import address_key, first_name_word, name_key, normalise_name, sound_key
from schools_feed import linkage
from schools_feed.linkage import MatchRecord, Model, PairScore, day_month_swapped, name_variants

__all__ = [
    "REACH_ALL",
    "REACH_NEAR",
    "REACH_UPN",
    "MatchDecision",
    "MatchRecord",
    "MatchScore",
    "best_candidates",
    "date_of_birth_block",
    "date_of_birth_initial_blocks",
    "decide",
    "name_block_key",
    "name_block_keys",
    "normalise_name",
    "postcode_block",
    "rank_many",
    "rank_widening",
    "score",
    "sound_and_address_blocks",
    "stored_key_initials",
    "surely_two_children",
]

DECISION_NEAR_TIE = "Another candidate scored {runner_up:.2f}: too close to link automatically"
DECISION_UPN_CONFLICT = "UPN identical but other details disagree: check before linking or adding"
DECISION_UPN_ELSEWHERE = "Another candidate has the same UPN: check before linking"
DECISION_UPNS_DIFFER = "The two UPNs differ: check which is right before linking"
DECISION_NAME_DIFFERS = "A name differs outright and the UPN does not confirm it: a person decides"
DECISION_BORN_ANOTHER_DAY = (
    "The date of birth differs outright, the forename is not the same and the UPN does not "
    "confirm it: a brother or sister looks like this, so a person decides"
)
DECISION_FAMILY_MIDDLE_NAME = (
    "The forenames read as two children's, a middle name is shared and the UPN does not confirm "
    "it: brothers and sisters given a family's middle name look like this, so a person decides"
)
DECISION_DEATH = (
    "This return says the child has died: it is linked automatically only on the same UPN, "
    "so a person confirms which child it is"
)
DECISION_TWIN = (
    "Twin or the same child? Everything agrees but a wholly different forename: a person decides"
)
DECISION_INITIAL = (
    "The forename is given only as an initial and the UPN does not confirm it: an initial "
    "cannot tell brothers and sisters apart, so a person decides"
)
DECISION_BETWEEN = (
    "The best candidate's score is between the thresholds: too low to link automatically, too "
    "high to add a new child without a person looking"
)

LINK, REVIEW, NEW = "link", "review", "new"
# How far ``rank_widening`` reads the register, step by step.
REACH_UPN, REACH_NEAR, REACH_ALL = "upn", "near", "all"
REACHES = (REACH_UPN, REACH_NEAR, REACH_ALL)
DEFAULT_MARGIN = 0.10
# What the thresholds in settings are: Splink's match probability (ADR 0012).
THRESHOLD_SCALE = "match probability"
FORENAME_AGREES = {"exact", "known_form", "swapped"}
SURNAME_AGREES = {"exact", "any_form", "swapped"}


@dataclass(frozen=True, slots=True)
class MatchScore:
    score: float
    evidence: tuple[str, ...]
    upn_identical: bool = False
    upn_conflict: bool = False  # both have valid permanent UPNs, and they differ
    # A surname that disagrees outright (not a typo, short form or former name): a changed name
    # may be the same child, but only a person should decide that.
    name_differs: bool = False
    # The surname differs outright, but the forename and the date of birth agree and the return
    # is placed at the child's home (``_at_the_same_home``): a child whose surname changed (a
    # parent's marriage, say). Two children alike in all of that are not known to happen.
    renamed_at_home: bool = False
    # Everything agrees but a wholly different forename: a twin, or the same child. So too for
    # forenames that read as two children's (``_forenames_could_be_twins``).
    twin_or_same: bool = False
    # The forenames read as two children's (``_forenames_could_be_twins``) but a middle name is
    # shared: families hand middle names down, so among brothers and sisters one in common says
    # far less than between strangers, as the model (taking comparisons as independent) counts it.
    family_middle_name: bool = False
    another_child: bool = False  # ``surely_two_children``
    forename_agrees: bool = False
    # The forename differs outright, and the surname or the date of birth does too: the same
    # UPN alone does not say it is this child (a school can key a brother's or sister's UPN).
    unlike_the_upns_holder: bool = False
    # The date of birth differs outright (not a slip, a swap or a near date) and the forename
    # is not the same (a short form, a slip): that is how a brother or sister at the same home
    # looks ("Ricky" for "Frederick", born four years apart).
    born_another_day: bool = False
    weight: float = 0.0
    weights: tuple[tuple[str, str, float | None], ...] = ()  # (comparison, level, match weight)
    model_version: int = 0
    # The same UPN, forename, surname and date of birth, each exactly (``rank_widening``).
    identical: bool = False
    forename_initial: bool = False  # one record gives the forename only as its initial

    @property
    def held_back_as_a_sibling(self) -> bool:
        """Born another day with no same UPN to say otherwise: safety rule 5 never links it
        automatically."""
        return self.born_another_day and not self.upn_identical


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """``candidate`` is the top-ranked child whatever the outcome; only "link" means use it."""

    outcome: str
    candidate: MatchRecord | None = None
    score: float = 0.0
    evidence: tuple[str, ...] = ()
    model_version: int = 0
    reason: str = ""  # why a person decides (one of the DECISION_ sentences), for a review


# --- Blocking helpers ---------------------------------------------------------------------------

name_block_key = name_key  # the key stored on each child (registry.names)


def name_block_keys(record: MatchRecord) -> set[str]:
    """Keys to look up for an incoming record: every surname part (double-barrelled, former) with
    the forename, its preferred form and known short forms, plus the names the other way round."""
    surname_parts = set(normalise_name(record.surname).split())
    for other in record.other_surnames:
        surname_parts.update(normalise_name(other).split())
    forename = first_name_word(record.forenames)
    forename_forms = {forename, first_name_word(record.preferred_forename)} | name_variants(
        forename
    )
    forename_forms.discard("")
    keys = {f"{part}|{form}" for part in surname_parts for form in forename_forms}
    keys.update(f"{forename}|{part}" for part in surname_parts)  # swapped: forename is the surname
    return keys


def postcode_block(postcode: str) -> str:
    """The postcode as the register stores it, for the postcode block: upper case, one space."""
    compact = "".join((postcode or "").upper().split())
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) >= 5 else compact


# A postcode holding more children than a street does (a placeholder a school keys for every
# pupil, a care home) is not used as a block: it would make every child there a candidate. The
# same holds for a first line of an address that many homes share ("1 High Street" in several
# towns, "Flat 1").
POSTCODE_BLOCK_LIMIT = 60


def sound_and_address_blocks(record: MatchRecord) -> set[tuple[str, str]]:
    """("sound", the names' Soundex key with the year of birth) and ("address", the first line's
    key), where known: a return whose surname is mistyped and whose day or month of birth is
    wrong, or whose postcode is wrong, is still found (ADR 0012)."""
    sound = sound_key(record.surname, record.forenames, record.date_of_birth)
    line = address_key(record.address)
    return {block for block in (("sound", sound), ("address", line)) if block[1]}


def date_of_birth_block(dob: date | None) -> set[date]:
    """The date of birth and, when it is a real date, the same date with day and month swapped."""
    if dob is None:
        return set()
    swapped = day_month_swapped(dob)
    return {dob, swapped} if swapped else {dob}


def _initials(*names: str) -> set[str]:
    return {word[0] for name in names for word in normalise_name(name).split()[:2]}


def stored_key_initials(key: str) -> set[str]:
    """The surname and forename initials inside a stored ``Child.name_key`` ("smith|tom"): a
    child is in the date-of-birth block of each (``date_of_birth_initial_blocks``)."""
    bar = key.find("|")
    return {key[:1], key[bar + 1 : bar + 2]} - {"", "|"}


def date_of_birth_initial_blocks(record: MatchRecord) -> set[tuple[date, str]]:
    """The date-of-birth blocks of a return: its date of birth (and the day-month swap) with each
    initial of its names. A child born that day is a candidate when its surname or forename has
    one of these initials: about a tenth of the children a date of birth alone would give."""
    initials = _initials(record.surname, record.forenames, *record.other_surnames)
    return {(d, i) for d in date_of_birth_block(record.date_of_birth) for i in initials}


# --- Scoring --------------------------------------------------------------------------------------


def _forename_words(record: MatchRecord) -> set[str]:
    return set(normalise_name(f"{record.forenames} {record.middle_names}").split())


def _forenames_could_be_twins(level: str, sex_level: str, pair) -> bool:
    """Whether two forenames read as two children born together rather than one child's slip:
    wholly different; spelt quite differently (twins' names often rhyme: "Ivy" and "Lily"); one
    child's forename among the other's middle names while each has a name the other lacks
    ("Rosie Ava" and "Ava Jane", not "Ava Jane" and "Jane"); or not agreeing with the sex
    different too ("Alfie" and "Abbie")."""
    if level in ("else", "related"):
        return True
    if level == "middle_name":
        mine, theirs = (_forename_words(record) for record in pair)
        return not (mine <= theirs or theirs <= mine)
    return level not in FORENAME_AGREES and sex_level == "else"


def surely_two_children(scored: PairScore) -> bool:
    """Two children, whatever else they share: two valid, different UPNs and a wholly
    different forename (a twin with their own UPN); or a wholly different forename and a date
    of birth that differs outright without the same UPN (a brother or sister: two such slips in
    one return are far rarer, and a shared home and surname would otherwise lift a sister to a
    near tie with the child herself, or into review when she is new). Neither a match for a
    return nor a duplicate on the register."""
    if scored.level("forename") != "else":
        return False
    upn = scored.level("upn")
    return upn == "both_valid_differ" or (upn != "exact" and scored.level("dob") == "else")


POSTCODE_SLIPS = {"exact", "sector", "one_character"}  # the same postcode, or one slip from it


def _at_the_same_home(levels: dict) -> bool:
    """The first line of the address agrees and the postcode is the same or one slip from it;
    or, when a record has no first line (most returns give a postcode alone), the postcode is
    exactly the same."""
    if levels["address_line"] == "null":
        return levels["postcode"] == "exact"
    return levels["address_line"] in ("exact", "similar") and levels["postcode"] in POSTCODE_SLIPS


def _match_score(pair: tuple[MatchRecord, MatchRecord], scored: PairScore, model: Model):
    comparisons = scored.comparisons
    levels = {c.column: c.level for c in comparisons}
    rest_agrees = (
        levels["surname"] in SURNAME_AGREES
        and levels["dob"] == "exact"
        and levels["postcode"] in ("exact", "sector", "null")
    )
    forename_differs = levels["forename"] == "else"
    upns_differ = levels["upn"] == "both_valid_differ"
    two_forenames = _forenames_could_be_twins(levels["forename"], levels["sex"], pair)
    return MatchScore(
        score=scored.probability,
        evidence=linkage.explanations(pair, scored, comparisons),
        upn_identical=levels["upn"] == "exact",
        upn_conflict=upns_differ,
        name_differs=levels["surname"] == "else",
        renamed_at_home=levels["forename"] in FORENAME_AGREES | {"similar"}
        and levels["dob"] == "exact"
        and _at_the_same_home(levels),
        # Two valid, different UPNs already say "two children" (a twin with their own UPN).
        twin_or_same=rest_agrees and not upns_differ and two_forenames,
        family_middle_name=two_forenames and levels["middle_names"] == "shared",
        another_child=surely_two_children(scored),
        forename_agrees=levels["forename"] in FORENAME_AGREES,
        unlike_the_upns_holder=forename_differs
        and (levels["surname"] == "else" or levels["dob"] == "else"),
        born_another_day=levels["dob"] == "else" and levels["forename"] != "exact",
        weight=scored.weight,
        weights=tuple((c.column, c.level, c.weight) for c in comparisons),
        model_version=model.version,
        identical=all(levels[c] == "exact" for c in ("upn", "forename", "surname", "dob")),
        forename_initial=levels["forename"] == "initial",
    )


def rank_many(
    jobs: list[tuple[MatchRecord, list[MatchRecord]]],
    *,
    model: Model | None = None,
    limit: int = 3,
) -> list[list[tuple[MatchRecord, MatchScore]]]:
    """``best_candidates`` for many returns with one Splink call for all their pairs. Ranking
    reads Splink's arrays; only the candidates kept are turned into scores with evidence."""
    model = model or linkage.default_model()
    pairs = [(record, candidate) for record, candidates in jobs for candidate in candidates]
    if not pairs:
        return [[] for _job in jobs]
    scored = linkage.score_pair_arrays(pairs, model)
    upn_column = linkage.COLUMN_INDEX["upn"]
    same_upn = scored.gammas[:, upn_column] == model.gamma_of("upn", "exact")
    ranked_all = []
    start = 0
    for record, candidates in jobs:
        end = start + len(candidates)
        # Stable, best first: candidates that score alike keep the order they were found in.
        order = np.argsort(-scored.weight[start:end], kind="stable")
        top = [int(i) for i in order[:limit]]
        holders = [int(i) for i in order if same_upn[start + i]]
        if holders and not any(i in top for i in holders):
            top[-1] = holders[0]  # a child with the same UPN is always shown
        ranked_all.append(
            [
                (candidates[i], _match_score((record, candidates[i]), s, model))
                for i in top
                for s in [scored.score(start + i)]
            ]
        )
        start = end
    return ranked_all


def rank_widening(
    records: list[MatchRecord],
    find: Callable[[list[MatchRecord], str], list[list[MatchRecord]]],
    links: Callable[[int, list[tuple[MatchRecord, MatchScore]]], bool],
    *,
    model: Model | None = None,
) -> list[list[tuple[MatchRecord, MatchScore]]]:
    """``rank_many`` in up to three steps, each reading more of the register
    (``find(records, reach)``) for the returns the steps before did not settle; ``links(position,
    ranked)`` says whether a return links automatically (ADR 0012).

    1. ``REACH_UPN``: for a return with a valid UPN, the children holding it. The return is
       settled when it links to a child agreeing exactly on the UPN, the forename, the surname
       and the date of birth (``MatchScore.identical``), as most returns from a school's MIS do.
       Another block could add only children without that UPN (one with another valid UPN scores
       far lower): a second record of the same child, which the duplicates check finds, or a
       brother or sister with no UPN on the register and much the same details. The UPN,
       agreeing with everything else, says which child the return is about.
    2. ``REACH_NEAR``: the near blocks (the same UPN, names, names that sound alike, postcode,
       first line of the address).
    3. ``REACH_ALL``: every block, adding the children born the same day with an initial in
       common. At county scale that block reads about four in five of the candidates but
       changes few outcomes: a child it alone finds has other names, another postcode and
       another address, so it scores below the near candidate a link needs, and comes nowhere
       near its margin.

    What a later step finds is ranked with what the earlier ones found (each reach holds the
    one before it)."""
    model = model or linkage.default_model()
    ranked: list[list[tuple[MatchRecord, MatchScore]]] = [[] for _record in records]
    pending = list(range(len(records)))
    for reach in REACHES:
        asked = [i for i in pending if reach != REACH_UPN or linkage.valid_upn(records[i].upn)]
        if asked:
            some = [records[i] for i in asked]
            jobs = list(zip(some, find(some, reach), strict=True))
            for i, found in zip(asked, rank_many(jobs, model=model), strict=True):
                ranked[i] = found
        pending = [i for i in pending if not _settled(reach, links, i, ranked[i])]
        if not pending:
            break
    return ranked


def _settled(reach: str, links: Callable, position: int, ranked: list) -> bool:
    if reach == REACH_UPN and not (ranked and ranked[0][1].identical):
        return False
    return links(position, ranked)


def best_candidates(
    incoming: MatchRecord,
    candidates: Iterable[MatchRecord],
    *,
    limit: int = 3,
    model: Model | None = None,
) -> list[tuple[MatchRecord, MatchScore]]:
    """The ``limit`` best candidates, best first. A candidate with the same UPN is always kept,
    so ``decide`` can send it to review rather than create a second child with that UPN."""
    return rank_many([(incoming, list(candidates))], model=model, limit=limit)[0]


def score(incoming: MatchRecord, candidate: MatchRecord, *, model: Model | None = None):
    """How likely ``candidate`` is the child ``incoming`` describes, with the reasons."""
    return best_candidates(incoming, [candidate], model=model)[0][1]


# --- Deciding -------------------------------------------------------------------------------------


def decide(
    ranked: list[tuple[MatchRecord, MatchScore]],
    *,
    auto_link: float,
    review: float,
    margin: float = DEFAULT_MARGIN,
    only_on_the_same_upn: bool = False,
) -> MatchDecision:
    """Link only a clear winner; send near-ties, middling scores, UPN conflicts and possible twins
    to review. The thresholds are match probabilities (settings ``MATCH_AUTO_LINK_THRESHOLD`` and
    ``MATCH_REVIEW_THRESHOLD``).

    Safety rules the model cannot overrule: two valid, different UPNs never link automatically;
    a return agreeing with a child on everything but a wholly different forename never links
    automatically and goes to review as "twin or the same child?"; a child on the register with
    the same UPN is never passed over silently; the same UPN does not link a return whose
    forename differs outright and its surname or date of birth too; a candidate with its own
    valid UPN and a wholly different forename, or with a wholly different forename and date of
    birth and not the same UPN, is another child and is set aside; forenames that read as two
    children's with a middle name in common (a family's, handed down) do not link without the
    same UPN, nor does a forename given only as an initial. ``only_on_the_same_upn``: a return
    whose effect cannot be undone by unlinking (a death) links automatically only on the same
    valid UPN."""
    # A candidate that is surely another child (``surely_two_children``) is no match and no
    # rival: it is not shown as one.
    ranked = [(child, scored) for child, scored in ranked if not scored.another_child]
    if not ranked:
        return MatchDecision(outcome=NEW)
    candidate, top = ranked[0]
    version = top.model_version
    holder = next((i for i, (_, scored) in enumerate(ranked) if scored.upn_identical), None)
    if top.twin_or_same:
        return _review(candidate, top, DECISION_TWIN)
    # A runner-up that differs only by a wholly different forename is a twin of the top one,
    # which agrees on the forename: it is no tie; nor is a brother or sister sharing the family's
    # middle name. Nor is one whose surname differs outright when the top one's agrees (a sibling
    # or a namesake at the same address), nor one born another day when the top one was not (a
    # brother or sister, safety rule 5). None could be linked automatically itself, and its
    # probability saturates on the shared birth date, home or middle name.
    rivals = [
        scored.score
        for _, scored in ranked[1:]
        if not ((scored.twin_or_same or scored.family_middle_name) and top.forename_agrees)
        and not (scored.name_differs and not top.name_differs)
        and not (scored.held_back_as_a_sibling and not top.born_another_day)
    ]
    runner_up = max(rivals, default=0.0)
    if top.score >= auto_link:
        note = _reason_not_to_link(top, runner_up, holder, margin)
        if note is None and only_on_the_same_upn and not top.upn_identical:
            note = DECISION_DEATH
        if note is None:
            return MatchDecision(LINK, candidate, top.score, top.evidence, version)
        return _review(candidate, top, note)
    if top.score >= review:
        if top.upn_conflict:
            return _review(candidate, top, DECISION_UPNS_DIFFER)
        return _review(candidate, top, DECISION_BETWEEN, listed=False)
    if holder is not None:
        return _review(*ranked[holder], DECISION_UPN_CONFLICT)
    return MatchDecision(NEW, candidate, top.score, top.evidence, version)


def _review(candidate: MatchRecord, scored: MatchScore, reason: str, listed: bool = True):
    """A review, with the reason a person decides (``listed``: also the last evidence line)."""
    evidence = (*scored.evidence, reason) if listed else scored.evidence
    return MatchDecision(
        REVIEW, candidate, scored.score, evidence, scored.model_version, reason=reason
    )


def _reason_not_to_link(
    top: MatchScore, runner_up: float, holder: int | None, margin: float
) -> str | None:
    """Why a top score above the auto-link threshold must still be seen by a person, if it must."""
    if top.upn_conflict:
        return DECISION_UPNS_DIFFER
    if top.upn_identical and top.unlike_the_upns_holder:
        return DECISION_UPN_CONFLICT
    if top.name_differs and not (top.upn_identical or top.renamed_at_home):
        return DECISION_NAME_DIFFERS
    if top.held_back_as_a_sibling:
        return DECISION_BORN_ANOTHER_DAY
    if top.family_middle_name and not top.upn_identical:
        return DECISION_FAMILY_MIDDLE_NAME
    if top.forename_initial and not top.upn_identical:
        return DECISION_INITIAL
    if holder not in (None, 0):
        return DECISION_UPN_ELSEWHERE
    if top.score - runner_up < margin:
        return DECISION_NEAR_TIE.format(runner_up=runner_up)
    return None
