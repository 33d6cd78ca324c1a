"""Reads for the schools feed, with the access gates for schools and notifications."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from registry.models import Address, Child, Role, User
from registry.names import name_key, normalise_name
from registry.school_age import academic_year_start
from registry.selectors import child_queryset_for_user
from schools_feed import matching
from schools_feed.grounds import CME_RISK_GROUNDS, HOME_EDUCATION_GROUNDS
from schools_feed.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    School,
    Submission,
)

# Roles that triage notifications across every school.
LA_WIDE_ROLES = frozenset(
    {Role.ADMINISTRATOR, Role.EHE_OFFICER, Role.CME_OFFICER, Role.INCLUSION_LEAD}
)


def school_queryset_for_user(*, user: User) -> QuerySet[School]:
    if not user.is_authenticated:
        return School.objects.none()
    if user.role == Role.SCHOOL_USER:
        return user.schools.all()
    if user.role in LA_WIDE_ROLES or user.role == Role.DCS:
        return School.objects.all()
    return School.objects.none()


def notification_queryset_for_user(*, user: User) -> QuerySet[Notification]:
    """The one gate for notifications: a school user sees only their own schools' returns."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    if user.role == Role.SCHOOL_USER:
        return Notification.objects.filter(school__in=user.schools.all())
    if user.role in LA_WIDE_ROLES:
        return Notification.objects.all()
    return Notification.objects.none()


def submission_queryset_for_user(*, user: User) -> QuerySet[Submission]:
    if not user.is_authenticated or not user.is_active:
        return Submission.objects.none()
    if user.role == Role.SCHOOL_USER:
        return Submission.objects.filter(school__in=user.schools.all())
    if user.role in LA_WIDE_ROLES:
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


def _initials(*names: str) -> set[str]:
    return {word[0] for name in names for word in normalise_name(name).split()[:2]}


def _key_initials(key: str) -> set[str]:
    """The surname and forename initials inside a stored ``Child.name_key`` ("smith|tom")."""
    bar = key.find("|")
    return {key[:1], key[bar + 1 : bar + 2]} - {"", "|"}


class CandidateIndex:
    """The children a return could be, found by blocking (ADR 0005): the same UPN; the same date
    of birth (or day and month swapped) sharing an initial; or the same normalised names whatever
    the date of birth. Blocks already loaded are kept for the rest of the file, so a large file
    reads each part of the register once and cost grows about linearly with the file. Register
    children are indexed from their stored ``name_key``, so loading needs no text processing."""

    def __init__(self):
        self._by_block: dict[tuple, list] = defaultdict(list)
        self._by_upn: dict[str, list] = defaultdict(list)
        self._loaded_dates: set[date] = set()
        self._loaded_upns: set[str] = set()
        self._loaded_names: set[str] = set()
        self._indexed: set = set()

    def add(self, record: matching.MatchRecord, stored_key: str = "") -> None:
        self._indexed.add(record.key)
        key = stored_key or name_key(record.surname, record.forenames)
        for initial in _key_initials(key):
            self._by_block[(record.date_of_birth, initial)].append(record)
        self._by_block[key].append(record)
        if record.upn:
            self._by_upn[record.upn].append(record)

    def holders_of_upn(self, upn: str) -> list[matching.MatchRecord]:
        return self._by_upn.get(upn, []) if upn else []

    def candidates(self, record: matching.MatchRecord) -> list[matching.MatchRecord]:
        found = {}
        for block in self._lookups_for(record):
            for candidate in self._by_block.get(block, ()):
                found[candidate.key] = candidate
        for candidate in self.holders_of_upn(record.upn):
            found[candidate.key] = candidate
        return list(found.values())

    def load_for(self, records: list[matching.MatchRecord]) -> None:
        dates = {d for r in records for d in matching.date_of_birth_block(r.date_of_birth)}
        dates -= self._loaded_dates
        upns = {r.upn for r in records if r.upn} - self._loaded_upns
        names = {key for r in records for key in self._name_keys(r)} - self._loaded_names
        self._loaded_dates |= dates
        self._loaded_upns |= upns
        self._loaded_names |= names
        if not (dates or upns or names):
            return
        query = Q(date_of_birth__in=dates) | Q(upn__in=upns) | Q(name_key__in=names)
        for record, stored_key in _child_match_records(query):
            if record.key not in self._indexed:  # found again by another block
                self.add(record, stored_key)

    @staticmethod
    def _name_keys(record) -> set[str]:
        """Each surname part with the forename, its preferred, short and full forms, and the two
        names swapped (``matching.name_block_keys``, the same rule as ``Child.name_key``)."""
        return matching.name_block_keys(record)

    def _lookups_for(self, record) -> set:
        initials = _initials(record.surname, record.forenames, *record.other_surnames)
        lookups = {
            (d, i) for d in matching.date_of_birth_block(record.date_of_birth) for i in initials
        }
        return lookups | self._name_keys(record)


def _child_match_records(query: Q):
    current_postcode = Address.objects.filter(child=OuterRef("pk"), valid_to__isnull=True).order_by(
        "-valid_from"
    )
    children = (
        Child.objects.active()
        .filter(query)
        .annotate(postcode=Subquery(current_postcode.values("postcode")[:1]))
        .values_list(
            "pk",
            "upn",
            "legal_forenames",
            "legal_surname",
            "former_surnames",
            "preferred_surname",
            "preferred_forename",
            "date_of_birth",
            "sex",
            "postcode",
            "name_key",
        )
    )
    for (
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
        stored_key,
    ) in children.iterator(chunk_size=5000):
        others = (preferred_surname,) if preferred_surname else ()
        if former:
            others += tuple(n.strip() for n in former.split(",") if n.strip())
        record = matching.MatchRecord(
            key=pk,
            upn=upn,
            forenames=forenames,
            surname=surname,
            other_surnames=others,
            preferred_forename=preferred,
            date_of_birth=dob,
            sex=sex,
            postcode=postcode or "",
        )
        yield record, stored_key


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


NO_CHILD_WITH_UPN = "No child on the register has that UPN"


def review_child_choice(*, user: User, child_id, upn: str) -> Child | None:
    """The child an officer chose in the review queue (a candidate by id, or any child by UPN),
    among the children they may see."""
    children = child_queryset_for_user(user=user).active()
    if child_id:
        return children.filter(pk=child_id).first()
    return children.filter(upn=upn.strip().upper()).first()
