"""Reads for the schools feed, with the access gates for schools and notifications."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import StrIndex, Substr

from registry.access import Capability, user_can
from registry.models import Address, Child, User
from registry.names import address_key, name_key, sound_key
from registry.school_age import academic_year_start
from registry.selectors import child_queryset_for_user
from schools_feed import matching
from schools_feed.grounds import CME_RISK_GROUNDS, HOME_EDUCATION_GROUNDS
from schools_feed.matching import POSTCODE_BLOCK_LIMIT
from schools_feed.models import (
    JointEnquiry,
    MatchingModel,
    Notification,
    NotificationEvent,
    NotificationEventType,
    NotificationKind,
    NotificationStatus,
    NotTheSameChild,
    PossibleDuplicate,
    School,
    Submission,
)

# Which schools, notifications and submissions a role reaches is read from the capability table
# (registry/access.py): every school's (SEE_EVERY_NOTIFICATION), or only the schools the user is
# linked to (SEE_OWN_SCHOOLS).


def school_queryset_for_user(*, user: User) -> QuerySet[School]:
    if not user.is_authenticated:
        return School.objects.none()
    if user_can(user, Capability.SEE_OWN_SCHOOLS):
        return user.schools.all()
    if user_can(user, Capability.SEE_EVERY_SCHOOL):
        return School.objects.all()
    return School.objects.none()


def notification_queryset_for_user(*, user: User) -> QuerySet[Notification]:
    """The one gate for notifications: a school user sees only their own schools' returns."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    if user_can(user, Capability.SEE_OWN_SCHOOLS):
        return Notification.objects.filter(school__in=user.schools.all())
    if user_can(user, Capability.SEE_EVERY_NOTIFICATION):
        return Notification.objects.all()
    return Notification.objects.none()


# What a school may see of what the LA did with its return, on its pages and through the API
# alike: that it arrived, and the LA's questions about it. Every routing decision (a safeguarding
# alert, an at-risk flag, a consent case, a CME enquiry opened, whether the child was already on
# the register or added as new) is the LA's own and never reaches a school.
SCHOOL_VISIBLE_EVENT_TYPES = frozenset(
    {NotificationEventType.RECEIVED, NotificationEventType.QUERIED}
)


def notification_event_queryset_for_user(*, user: User) -> QuerySet[NotificationEvent]:
    """The one rule for which notification events a user sees: every page and the API read it."""
    if not user.is_authenticated or not user.is_active:
        return NotificationEvent.objects.none()
    if user_can(user, Capability.SEE_EVERY_NOTIFICATION):
        return NotificationEvent.objects.all()
    if user_can(user, Capability.SEE_OWN_SCHOOLS):
        return NotificationEvent.objects.filter(
            event_type__in=SCHOOL_VISIBLE_EVENT_TYPES,
            notification__school__in=user.schools.all(),
        )
    return NotificationEvent.objects.none()


def notification_status_for_user(*, user: User, status: str) -> str:
    """The status a user sees. "Waiting for an officer to confirm the child" would tell a school
    that a child much like its pupil is already on the register, so a school sees "received"
    until the officer decides."""
    la_wide = user_can(user, Capability.SEE_EVERY_NOTIFICATION)
    if status == NotificationStatus.REVIEW and not la_wide:
        return NotificationStatus.RECEIVED
    return status


def notification_statuses_for_user(*, user: User) -> list[tuple[str, str]]:
    """The statuses a user can filter by: those ``notification_status_for_user`` can show them."""
    shown = {notification_status_for_user(user=user, status=s) for s in NotificationStatus.values}
    return [(value, label) for value, label in NotificationStatus.choices if value in shown]


def notifications_with_status(
    notifications: QuerySet[Notification], *, user: User, status: str
) -> QuerySet[Notification]:
    """The notifications this user sees with ``status``, as ``notification_status_for_user``
    shows it (a school's "received" holds the returns waiting for review too)."""
    stored = [
        s
        for s in NotificationStatus.values
        if notification_status_for_user(user=user, status=s) == status
    ]
    return notifications.filter(status__in=stored)


def submission_queryset_for_user(*, user: User) -> QuerySet[Submission]:
    if not user.is_authenticated or not user.is_active:
        return Submission.objects.none()
    if user_can(user, Capability.SEE_OWN_SCHOOLS):
        return Submission.objects.filter(school__in=user.schools.all())
    if user_can(user, Capability.SEE_EVERY_NOTIFICATION):
        return Submission.objects.all()
    return Submission.objects.none()


def notifications_awaiting_triage(*, user: User) -> QuerySet[Notification]:
    """Returns received or matched but not yet routed to a case, oldest first."""
    return (
        notification_queryset_for_user(user=user)
        .filter(status__in=[NotificationStatus.RECEIVED, NotificationStatus.MATCHED])
        .select_related("school", "child")
        .order_by("received_at")
    )


def notifications_awaiting_review(*, user: User) -> QuerySet[Notification]:
    """Returns the matcher could not tie to one child: they wait in "Returns to match" for an
    officer to say which child each is. Those carrying safeguarding information (the school's
    concerns) come first whatever their age, as child protection comes first
    (docs/rules/cme.md §6); then oldest first."""
    return (
        notification_queryset_for_user(user=user)
        .filter(status=NotificationStatus.REVIEW)
        .select_related("school")
        .annotate(
            carries_safeguarding=ExpressionWrapper(
                ~Q(safeguarding_concerns=""), output_field=BooleanField()
            )
        )
        .order_by("-carries_safeguarding", "received_at", "pk")
    )


def deletions_by_school(*, user: User, on):
    """Deletion returns per school this academic year, by route, for the inclusion lead's home."""

    def grounds_q(pairs):
        query = Q(pk__in=[])
        for basis, letter in pairs:
            query |= Q(notifications__legal_basis=basis, notifications__ground=letter)
        return query

    year_start = date(academic_year_start(on), 9, 1)
    in_year = Q(
        notifications__kind=NotificationKind.DELETION,
        notifications__deletion_date__range=(year_start, on),
        notifications__in=notification_queryset_for_user(user=user),
    )
    return (
        school_queryset_for_user(user=user)
        .annotate(
            deletions=Count("notifications", filter=in_year),
            to_home_education=Count(
                "notifications", filter=in_year & grounds_q(HOME_EDUCATION_GROUNDS)
            ),
            to_cme_risk=Count("notifications", filter=in_year & grounds_q(CME_RISK_GROUNDS)),
        )
        .filter(deletions__gt=0)
        .order_by("-to_home_education", "-deletions")[:50]
    )


class CandidateIndex:
    """The children a return could be, found by blocking (ADR 0005, ADR 0012): the same UPN; the
    same date of birth (or day and month swapped) sharing an initial; the same normalised names
    whatever the date of birth; names that sound the same (``Child.sound_key``); the children
    living at the return's postcode, or at its first line of address (``Address.line_key``).
    Blocks already loaded are kept for the rest of the file, so a large file
    reads each part of the register once and cost grows about linearly with the file. Past
    ``MAX_CHILDREN`` children the index forgets what it read from the register (it reads it again
    when needed) and keeps the children its caller added (new children not yet written), so
    memory stays bounded whatever the file's length. Register children are indexed from their
    stored ``name_key``, so loading needs no text processing."""

    # About 1 KB a child in memory (the record, its index entries and its comparison columns).
    # Measured at county scale: 150,000 let a 20,000-row file reach 1.1 GB once the sound and
    # address blocks were added; 80,000 kept it under 1 GB at the same speed (docs/benchmarks.md).
    MAX_CHILDREN = 80_000

    def __init__(self):
        self._added: list[matching.MatchRecord] = []
        self._forget()

    def _forget(self) -> None:
        self._by_block: dict[tuple, list] = defaultdict(list)
        self._by_upn: dict[str, list] = defaultdict(list)
        self._loaded_date_initials: set[tuple[date, str]] = set()
        self._loaded_upns: set[str] = set()
        self._loaded_names: set[str] = set()
        self._loaded_postcodes: set[str] = set()
        self._loaded_sounds: set[str] = set()
        self._loaded_addresses: set[str] = set()
        self._crowded: set[tuple[str, str]] = set()  # ("postcode" or "address", key)
        self._indexed: set = set()

    def __len__(self) -> int:
        return len(self._indexed)

    def add(self, record: matching.MatchRecord) -> None:
        """A child the caller made (a new child from the file): kept until the index is dropped."""
        self._added.append(record)
        self._index(record)

    def _index(self, record: matching.MatchRecord, stored: "StoredKeys | None" = None) -> None:
        """Index a child under every block it is in, from the keys stored with it when it came
        from the register (no text to work out), or from its names when the caller made it."""
        self._indexed.add(record.key)
        if stored is None:
            stored = StoredKeys.of(record)
        for initial in matching.stored_key_initials(stored.name):
            self._by_block[(record.date_of_birth, initial)].append(record)
        self._by_block[stored.name].append(record)
        if record.postcode:
            self._by_block[("postcode", matching.postcode_block(record.postcode))].append(record)
        for block in (("sound", stored.sound), ("address", stored.line)):
            if block[1]:
                self._by_block[block].append(record)
        if record.upn:
            self._by_upn[record.upn].append(record)

    def holders_of_upn(self, upn: str) -> list[matching.MatchRecord]:
        return self._by_upn.get(upn, []) if upn else []

    def candidates(
        self, record: matching.MatchRecord, *, reach: str = matching.REACH_ALL
    ) -> list[matching.MatchRecord]:
        """The children in the record's blocks as far as ``reach`` goes
        (``matching.rank_widening``): the holders of its UPN; the near blocks too; every block."""
        found = {}
        for block in self._lookups_for(record, reach):
            children = self._by_block.get(block, ())
            if block[0] in ("postcode", "address") and (
                len(children) > POSTCODE_BLOCK_LIMIT or block in self._crowded
            ):
                continue  # a placeholder or institution postcode, a common first line
            for candidate in children:
                found[candidate.key] = candidate
        for candidate in self.holders_of_upn(record.upn):
            found[candidate.key] = candidate
        return list(found.values())

    def load_for(
        self, records: list[matching.MatchRecord], *, reach: str = matching.REACH_ALL
    ) -> None:
        """Read from the register the children in the records' blocks, as far as ``reach`` goes,
        not read yet. The date-of-birth blocks (``REACH_ALL`` only) hold most of the candidates
        at county scale and settle few returns (``matching.rank_widening``)."""
        if len(self._indexed) > self.MAX_CHILDREN:
            self._forget()
            for record in self._added:
                self._index(record)
        near = reach != matching.REACH_UPN
        date_initials = (
            {pair for r in records for pair in matching.date_of_birth_initial_blocks(r)}
            if reach == matching.REACH_ALL
            else set()
        )
        date_initials -= self._loaded_date_initials
        upns = {r.upn for r in records if r.upn} - self._loaded_upns
        names = {key for r in records if near for key in self._name_keys(r)} - self._loaded_names
        postcodes = {
            matching.postcode_block(r.postcode) for r in records if near and r.postcode
        } - self._loaded_postcodes
        blocks = {block for r in records if near for block in matching.sound_and_address_blocks(r)}
        sounds = {key for kind, key in blocks if kind == "sound"} - self._loaded_sounds
        addresses = {key for kind, key in blocks if kind == "address"} - self._loaded_addresses
        self._loaded_date_initials |= date_initials
        self._loaded_upns |= upns
        self._loaded_names |= names
        self._loaded_postcodes |= postcodes
        self._loaded_sounds |= sounds
        self._loaded_addresses |= addresses
        if not (date_initials or upns or names or postcodes or sounds or addresses):
            return
        query = (
            date_of_birth_initial_query(date_initials)
            | Q(upn__in=upns)
            | Q(name_key__in=names)
            | Q(sound_key__in=sounds)
            | Q(pk__in=self._children_at("postcode", postcodes))
            | Q(pk__in=self._children_at("address", addresses))
        )
        for record, stored in _child_match_records(query):
            if record.key not in self._indexed:  # found again by another block
                self._index(record, stored)

    def _children_at(self, kind: str, keys: set[str]) -> list:
        """The children whose current address has one of ``keys`` as its postcode or its first
        line (``kind``: "postcode" or "address"; ADR 0012), found whatever names and date of
        birth a return carries; a key held by more than ``POSTCODE_BLOCK_LIMIT`` children is
        noted as crowded and its children are not read. Read apart from the children so the
        database can serve every block from an index."""
        if not keys:
            return []
        column = {"postcode": "postcode", "address": "line_key"}[kind]
        by_key: dict[str, list] = defaultdict(list)
        for key, child_id in Address.objects.filter(
            valid_to__isnull=True, **{f"{column}__in": keys}
        ).values_list(column, "child_id"):
            by_key[key].append(child_id)
        found = []
        for key, children in by_key.items():
            if len(children) > POSTCODE_BLOCK_LIMIT:
                self._crowded.add((kind, key))
            else:
                found += children
        return found

    @staticmethod
    def _name_keys(record) -> set[str]:
        """Each surname part with the forename, its preferred, short and full forms, and the two
        names swapped (``matching.name_block_keys``, the same rule as ``Child.name_key``)."""
        return matching.name_block_keys(record)

    def _lookups_for(self, record, reach: str) -> set:
        if reach == matching.REACH_UPN:
            return set()
        lookups = (
            matching.date_of_birth_initial_blocks(record) if reach == matching.REACH_ALL else set()
        )
        lookups |= matching.sound_and_address_blocks(record)
        if record.postcode:
            lookups.add(("postcode", matching.postcode_block(record.postcode)))
        return lookups | self._name_keys(record)


def date_of_birth_initial_query(blocks: set[tuple[date, str]]) -> Q:
    """The children in any of ``blocks``, (date of birth, initial) pairs, as one filter the
    database applies: born on the date with the initial of their surname or forename (the two
    initials of the stored ``name_key``). Filtering by initial in SQL rather than after loading
    reads about a tenth of the children a date of birth alone would (a county has about 150
    children born on any day). One branch per initial, each with its dates, on every database."""
    dates_by_initial: dict[str, set[date]] = defaultdict(set)
    for dob, initial in blocks:
        dates_by_initial[initial].add(dob)
    query = Q(pk__in=[])
    for initial, dates in sorted(dates_by_initial.items()):
        query |= Q(date_of_birth__in=sorted(dates)) & (
            Q(_surname_initial=initial) | Q(_forename_initial=initial)
        )
    return query


def _with_key_initials(children: QuerySet[Child]) -> QuerySet[Child]:
    """The surname and forename initials of each child's stored ``name_key`` ("smith|tom")."""
    return children.alias(
        _surname_initial=Substr("name_key", 1, 1),
        _forename_initial=Substr("name_key", StrIndex("name_key", Value("|")) + 1, 1),
    )


@dataclass(frozen=True, slots=True)
class StoredKeys:
    """A child's block keys as the register stores them: ``Child.name_key``, ``Child.sound_key``
    and its current address's ``Address.line_key`` (``registry.names`` makes all three)."""

    name: str
    sound: str
    line: str

    @classmethod
    def of(cls, record: matching.MatchRecord) -> "StoredKeys":
        """The keys a record would be stored under: for a child not yet written."""
        return cls(
            name=name_key(record.surname, record.forenames),
            sound=sound_key(record.surname, record.forenames, record.date_of_birth),
            line=address_key(record.address),
        )


def child_match_records(query: Q):
    """The register's children as the matcher sees them, with the keys each is stored under."""
    return _child_match_records(query)


def child_match_records_in_parts(size: int = 20_000):
    """Every child the matcher can see, as lists of at most ``size`` records, in order of id:
    each part is read by a range of ids and can be let go before the next is read, so the whole
    register is never held as records (the weekly duplicate check reads all of it)."""
    matchable = _matchable_children().order_by("pk")
    after = None
    while True:
        remaining = matchable if after is None else matchable.filter(pk__gt=after)
        ids = list(remaining.values_list("pk", flat=True)[:size])
        if not ids:
            return
        in_range = Q(pk__lte=ids[-1]) if after is None else Q(pk__gt=after, pk__lte=ids[-1])
        yield [record for record, _stored in _child_match_records(in_range)]
        after = ids[-1]


def matching_model_adopted() -> QuerySet[MatchingModel]:
    """The versions adopted for matching, the one in use (the highest) first."""
    return MatchingModel.objects.filter(adopted_at__isnull=False).order_by("-version")


@dataclass(frozen=True)
class DecidedReturn:
    """A return whose child has been decided: ``child_id`` the child it is about, or None when
    it is none of ``candidate_ids`` (the children matching listed for it, and the child it was
    linked to; some may have been merged away or anonymised since)."""

    notification: Notification
    child_id: uuid.UUID | None
    candidate_ids: tuple[uuid.UUID, ...]
    by_officer: bool


_DECISIONS = (
    NotificationEventType.LINKED_AUTOMATICALLY,
    NotificationEventType.LINK_CONFIRMED,
    NotificationEventType.NEW_CHILD_CREATED,
)
_PUT_TO_AN_OFFICER = (NotificationEventType.QUEUED_FOR_REVIEW, NotificationEventType.LINK_UNDONE)


def returns_decided(since, *, automatic: int = 20_000) -> list[DecidedReturn]:
    """The returns received since ``since`` that matching listed candidates for and whose child
    is now decided: every one an officer decided (a child confirmed, or a new child added after
    review or after an automatic link was undone), and the latest ``automatic`` decided
    automatically and not put to an officer since. For judging a matching model (ADR 0012)."""
    decided = Notification.objects.filter(received_at__gte=since, child__isnull=False).exclude(
        status=NotificationStatus.REVIEW
    )
    # Subqueries, not lists of ids: a year of returns is more ids than a query may carry.
    put_to_an_officer = NotificationEvent.objects.filter(
        notification__in=decided, event_type__in=_PUT_TO_AN_OFFICER
    ).values("notification_id")
    latest_automatic = (
        decided.exclude(pk__in=put_to_an_officer)
        .order_by("-received_at", "-pk")
        .values("pk")[:automatic]
    )
    chosen = decided.filter(Q(pk__in=put_to_an_officer) | Q(pk__in=latest_automatic))
    notifications = list(chosen)
    by_officer = set(put_to_an_officer.values_list("notification_id", flat=True))
    last_decision = dict(
        NotificationEvent.objects.filter(notification__in=chosen, event_type__in=_DECISIONS)
        .order_by("at")
        .values_list("notification_id", "event_type")
    )
    found = []
    for notification in notifications:
        decision = last_decision.get(notification.pk)
        if decision is None:
            continue  # no decision on record
        candidates = _listed_ids(notification.match_candidates)
        child = notification.child_id
        if decision != NotificationEventType.NEW_CHILD_CREATED:
            candidates.append(child)
        elif child not in candidates:  # a new child, unless merged since into one listed
            child = None
        found.append(
            DecidedReturn(
                notification,
                child,
                tuple(dict.fromkeys(candidates)),
                notification.pk in by_officer,
            )
        )
    return found


def child_match_records_of(ids: set) -> dict:
    """{child id: its record as the matcher sees it} for those of ``ids`` still matchable."""
    return {
        record.key: record
        for part in _in_parts(ids)
        for record, _stored in _child_match_records(Q(pk__in=part))
    }


# A child's identity as the matcher reads it, in the order ``_match_record`` takes it; from the
# child (``_child_match_records``) or from its history (``child_match_records_as_of``).
_IDENTITY_FIELDS = (
    "upn",
    "legal_forenames",
    "legal_surname",
    "former_surnames",
    "preferred_surname",
    "preferred_forename",
    "date_of_birth",
    "sex",
)


def child_match_records_as_of(wanted: set[tuple]) -> dict[tuple, matching.MatchRecord]:
    """{(child id, moment): the child's record as the register held it at that moment}, from
    the child's history and its addresses' (the current address then), for the ``wanted``
    pairs whose child existed then and is still matchable (not merged away, not anonymised).
    Judging a model on today's records would compare a return with the address it brought."""
    ids = set(
        _matchable_children().filter(pk__in={pk for pk, _ in wanted}).values_list("pk", flat=True)
    )
    latest = max((moment for _, moment in wanted), default=None)
    children, addresses = defaultdict(list), defaultdict(list)
    for part in _in_parts(ids):
        for row in (
            Child.history.filter(id__in=part, history_date__lte=latest)
            .order_by("history_date")
            .values_list("id", "history_date", "history_type", "middle_names", *_IDENTITY_FIELDS)
        ):
            children[row[0]].append(row[1:])
        for row in (
            Address.history.filter(child_id__in=part, history_date__lte=latest)
            .order_by("history_date")
            .values_list(
                "child_id",
                "id",
                "history_date",
                "history_type",
                "valid_to",
                "valid_from",
                "postcode",
                "line_1",
            )
        ):
            addresses[row[0]].append(row[1:])
    found = {}
    for pk, moment in wanted:
        then = [row for row in children.get(pk, ()) if row[0] <= moment]
        if then and then[-1][1] != "-":
            found[(pk, moment)] = _record_then(
                pk, then[-1], _address_then(addresses.get(pk, ()), moment)
            )
    return found


def _address_then(history: list, moment) -> tuple[str, str]:
    """(postcode, first line) of the current address at ``moment`` (the latest begun, of those
    then current), or blanks."""
    state = {}
    for address_id, at, kind, valid_to, valid_from, postcode, line in history:
        if at <= moment:
            state[address_id] = None if kind == "-" or valid_to else (valid_from, postcode, line)
    current = sorted((row for row in state.values() if row), key=lambda row: row[0] or date.min)
    return (current[-1][1], current[-1][2]) if current else ("", "")


def _record_then(pk, row: tuple, address: tuple[str, str]) -> matching.MatchRecord:
    _at, _kind, middle_names, *identity = row  # identity: the ``_IDENTITY_FIELDS``
    postcode, line = address
    return _match_record((pk, *identity, postcode, "", middle_names, line, None, "", ""))


def _in_parts(ids: set, size: int = 10_000):
    """``ids`` a part at a time: a query carries only so many (SQLite's limit is 32,766)."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _listed_ids(candidates: list) -> list[uuid.UUID]:
    ids = []
    for candidate in candidates or ():
        try:
            ids.append(uuid.UUID(str(candidate["child"])))
        except (KeyError, TypeError, ValueError):
            continue  # not a child's id: nothing to compare with
    return ids


def register_terms():
    """(forenames, surname, current postcode) of every child the matcher can see, once each, for
    counting how common each name and postcode is (``linkage.term_frequencies``). A child with
    two current addresses (two homes, or a move not yet closed) counts once, at one of them."""
    rows = (
        _matchable_children()
        .order_by("pk")
        .annotate(
            current=FilteredRelation("addresses", condition=Q(addresses__valid_to__isnull=True))
        )
        .values_list("pk", "legal_forenames", "legal_surname", "current__postcode")
        .iterator(chunk_size=10_000)
    )
    last = None
    for pk, *terms in rows:
        if pk != last:
            yield tuple(terms)
        last = pk


def _matchable_children() -> QuerySet[Child]:
    # An anonymised child has no name or identifiers left (docs/rules/data-protection.md §4):
    # never a candidate, and never half of a "recorded twice" pair with another anonymised child.
    return Child.objects.active().filter(anonymised_at__isnull=True)


def _child_match_records(query: Q):
    # The current address by a join, not a subquery for each child. A child with more than one
    # current address is read once, with the latest (the rows are not sorted: sorting costs more
    # than the rare duplicate).
    children = (
        _with_key_initials(_matchable_children())
        .filter(query)
        .order_by()
        .annotate(
            current=FilteredRelation("addresses", condition=Q(addresses__valid_to__isnull=True))
        )
        .values_list(
            "pk",
            *_IDENTITY_FIELDS,
            "current__postcode",
            "name_key",
            "middle_names",
            "current__line_1",
            "current__valid_from",
            "sound_key",
            "current__line_key",
        )
    )
    found: dict = {}
    for row in children.iterator(chunk_size=5000):
        valid_from, earlier = row[13], found.get(row[0])
        if earlier is not None and not (
            valid_from and (earlier[0] is None or valid_from > earlier[0])
        ):
            continue
        stored = StoredKeys(name=row[10], sound=row[14], line=row[15] or "")
        found[row[0]] = (valid_from, _match_record(row), stored)
    for _valid_from, record, stored in found.values():
        yield record, stored


def _match_record(row: tuple) -> matching.MatchRecord:
    (
        pk,
        upn,
        forenames,
        surname,
        former,
        preferred_surname,
        preferred,
        dob,
        sex,
        postcode,
        _stored_key,
        middle_names,
        address_line,
        _valid_from,
        _sound_key,
        _line_key,
    ) = row
    others = (preferred_surname,) if preferred_surname else ()
    if former:
        others += tuple(n.strip() for n in former.split(",") if n.strip())
    return matching.MatchRecord(
        key=pk,
        upn=upn,
        forenames=forenames,
        surname=surname,
        other_surnames=others,
        preferred_forename=preferred,
        date_of_birth=dob,
        sex=sex,
        postcode=postcode or "",
        middle_names=middle_names or "",
        address=address_line or "",
    )


@dataclass
class ReviewCandidate:
    child: Child
    score: float
    evidence: list[str]
    postcode: str


def review_candidates(*, notification: Notification, user: User) -> list[ReviewCandidate]:
    """The children the matcher proposed, best first, that this officer may see."""
    proposed = {item["child"]: item for item in notification.match_candidates}
    current = Address.objects.filter(child=OuterRef("pk"), valid_to__isnull=True).order_by(
        "-valid_from"
    )
    children = {
        str(child.pk): child
        for child in child_queryset_for_user(user=user)
        .filter(pk__in=list(proposed))
        .annotate(current_postcode=Subquery(current.values("postcode")[:1]))
    }
    return [
        ReviewCandidate(
            child=children[key],
            score=item["score"],
            evidence=item["evidence"],
            postcode=children[key].current_postcode or "",
        )
        for key, item in proposed.items()
        if key in children
    ]


def review_child_choice(*, user: User, child_id, upn: str) -> Child | None:
    """The child an officer chose in the review queue (a candidate by id, or any child by UPN),
    among the children they may see."""
    children = child_queryset_for_user(user=user).active()
    if child_id:
        return children.filter(pk=child_id).first()
    return children.filter(upn=upn.strip().upper()).first()


def joint_enquiry_queryset_for_user(*, user: User) -> QuerySet[JointEnquiry]:
    """The one gate for joint enquiries (docs/rules/registration.md §5): a school's own staff see
    their schools' only; the CME officers every school's."""
    if not user_can(user, Capability.VIEW_JOINT_ENQUIRIES):
        return JointEnquiry.objects.none()
    if user_can(user, Capability.SEE_OWN_SCHOOLS):
        return JointEnquiry.objects.filter(school__in=user.schools.all())
    if user_can(user, Capability.SEE_EVERY_NOTIFICATION):
        return JointEnquiry.objects.all()
    return JointEnquiry.objects.none()


def possible_duplicates_for_user(*, user: User) -> QuerySet[PossibleDuplicate]:
    """The listed pairs of children who may be recorded twice, both inside the user's gate, the
    most likely first."""
    visible = child_queryset_for_user(user=user).active()
    return (
        PossibleDuplicate.objects.filter(child__in=visible, other__in=visible)
        # A merge from the child's record the other way round leaves a pair of one record.
        .exclude(child=F("other"))
        .select_related("child", "other")
        .order_by("-probability", "pk")
    )


def children_decided_distinct() -> set[tuple]:
    """The pairs of children officers decided are two children (``NotTheSameChild``), as
    (lower id, higher id)."""
    return set(NotTheSameChild.objects.values_list("first_child_id", "second_child_id"))


def duplicate_group_sizes(pairs: QuerySet[PossibleDuplicate], clusters) -> dict[str, int]:
    """How many children each of ``clusters`` joins among ``pairs``: a group of three or more
    may all be one child, merged two at a time."""
    members: dict[str, set] = defaultdict(set)
    rows = pairs.filter(cluster__in=[c for c in clusters if c]).values_list(
        "cluster", "child_id", "other_id"
    )
    for cluster, child, other in rows.order_by():
        members[cluster] |= {child, other}
    return {cluster: len(children) for cluster, children in members.items()}


def duplicates_checked_at():
    """When the listed possible duplicates were found (each check replaces the list), or None
    when none are listed."""
    return PossibleDuplicate.objects.aggregate(checked=Max("found_at"))["checked"]
