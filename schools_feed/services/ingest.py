"""Layer 5, the write: checked rows become notifications, each matched to a child (or a new one),
then routed. Batch-shaped so a 100,000-row file and a single web form take the same path; every
tracked row is written with history (``registry.bulk``: COPY on PostgreSQL), never behind its back.
"""

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from registry.bulk import bulk_insert, bulk_insert_with_history
from registry.models import Address, Carer, Child, InformationSource, Relationship, User
from registry.names import address_key
from registry.services.children import child_build
from schools_feed import matching
from schools_feed.intake.validation import CheckedRow
from schools_feed.linkage import Model
from schools_feed.models import (
    Notification,
    NotificationEvent,
    NotificationEventType,
    NotificationStatus,
    Submission,
)
from schools_feed.selectors import CandidateIndex
from schools_feed.services.match_decision import match_decide, match_record
from schools_feed.services.matching_model import model_current
from schools_feed.services.offrolling import offrolling_recompute_request
from schools_feed.services.routing import plan_apply, routing_plan

BATCH_SIZE = 1000
MODEL_VERSION_PREFIX = "Matching model version {}: "
NOTIFICATION_FIELDS = {
    f.name for f in Notification._meta.concrete_fields if not f.is_relation and not f.primary_key
}


@dataclass
class IngestCounts:
    imported: int = 0
    linked: int = 0
    review: int = 0
    new_children: int = 0
    routed: int = 0

    def add(self, other: "IngestCounts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def notification_from_row(row: CheckedRow, *, submission: Submission) -> Notification:
    values = {k: v for k, v in row.parsed.values.items() if k in NOTIFICATION_FIELDS}
    values["warnings"] = [p.message for p in row.parsed.problems if p.level == "warning"]
    if values.get("exclusion_days") is not None:
        values["exclusion_days"] = Decimal(str(values["exclusion_days"]))
    return Notification(
        submission=submission,
        school=row.school,
        kind=row.parsed.kind,
        natural_key=row.natural_key,
        row_number=row.parsed.row,
        raw=row.parsed.raw,
        received_at=submission.received_at,
        destination_school=row.destination_school,
        **values,
    )


@dataclass
class IngestBatch:
    by: User | None
    reason: str
    notifications: list[Notification]
    new_children: list[Child] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    carers: list[Carer] = field(default_factory=list)
    events: list[NotificationEvent] = field(default_factory=list)

    def event(self, notification, event_type, detail=""):
        self.events.append(NotificationEvent.about(notification, event_type, detail, by=self.by))


def notifications_ingest(
    *,
    rows: list[CheckedRow],
    submission: Submission,
    by: User | None,
    reason: str,
    index: CandidateIndex | None = None,
    request_recompute: bool = True,
) -> IngestCounts:
    """Write, match and route importable rows, in transactions of ``BATCH_SIZE``. Pass the same
    ``index`` for every part of one file, so the register is read once. A caller writing a file
    part by part passes ``request_recompute=False`` and asks for the off-rolling recompute once,
    after the last part (``offrolling_recompute_request``)."""
    counts = IngestCounts()
    index = index or CandidateIndex()
    importable = [row for row in rows if row.importable]
    for start in range(0, len(importable), BATCH_SIZE):
        chunk = importable[start : start + BATCH_SIZE]
        with transaction.atomic():
            counts.add(
                _ingest_batch(chunk, submission=submission, by=by, reason=reason, index=index)
            )
    if counts.imported and request_recompute:
        offrolling_recompute_request(school_ids={row.school.pk for row in importable if row.school})
    return counts


def _ingest_batch(rows, *, submission, by, reason, index: CandidateIndex) -> IngestCounts:
    batch = IngestBatch(by=by, reason=reason, notifications=[])
    # A re-sent row that raced another upload is skipped here, not failed: the key is unique.
    existing = set(
        Notification.objects.filter(natural_key__in=[r.natural_key for r in rows]).values_list(
            "natural_key", flat=True
        )
    )
    batch.notifications = [
        notification_from_row(row, submission=submission)
        for row in rows
        if row.natural_key not in existing
    ]
    counts = IngestCounts(imported=len(batch.notifications))
    _match(batch, counts, index)
    matched = [n for n in batch.notifications if n.status == NotificationStatus.MATCHED]
    plan = routing_plan(notifications=matched, by=by, reason=reason)
    # The notifications go in carrying the keys of the cases the plan opens, which plan_apply
    # inserts next, in the same transaction: foreign keys are checked when it commits.
    _write(batch)
    plan_apply(plan, save_notifications=False)
    counts.routed = sum(1 for n in matched if n.status == NotificationStatus.ROUTED)
    return counts


@dataclass(frozen=True)
class RowMatch:
    """How one row of a batch matched (``rows_match``): its candidates on the register, ranked,
    and the decision on them; for a row no child on the register matched, the decision on the
    earlier such rows of the batch (``earlier``), and the position of the one it is about."""

    record: matching.MatchRecord
    ranked: list
    decision: matching.MatchDecision
    earlier: matching.MatchDecision | None = None
    earlier_position: int | None = None

    @property
    def same_as(self) -> int | None:
        """The earlier row this one links to (the same new child), or None."""
        linked = self.earlier is not None and self.earlier.outcome == matching.LINK
        return self.earlier_position if linked else None


def rows_match(
    notifications: list[Notification], index: CandidateIndex, model: Model
) -> list[RowMatch]:
    """Match a batch with a Splink call for the children holding the rows' UPNs, one more for
    the rows that step does not settle, on the near blocks, and one more for those still unlinked,
    on every block (``matching.rank_widening``, ADR 0012); then decide each row. The rows that
    found no child are matched among themselves, so two rows about one new child make one
    child. Shared by the schools feed and the legacy register load; writes nothing."""
    records = [match_record(n) for n in notifications]

    def candidates(some: list[matching.MatchRecord], reach: str) -> list[list]:
        index.load_for(some, reach=reach)
        return [index.candidates(record, reach=reach) for record in some]

    ranked_all = matching.rank_widening(
        records,
        candidates,
        lambda position, ranked: (
            match_decide(notifications[position], ranked).outcome == matching.LINK
        ),
        model=model,
    )
    matches = [
        RowMatch(record, ranked, match_decide(notification, ranked))
        for notification, record, ranked in zip(notifications, records, ranked_all, strict=True)
    ]
    unmatched = [i for i, m in enumerate(matches) if m.decision.outcome == matching.NEW]
    within = matching.rank_many(
        _earlier_rows([matches[i].record for i in unmatched]), model=model, limit=1
    )
    for position, ranked in zip(unmatched, within, strict=True):
        decision = matching.decide(
            ranked,
            auto_link=settings.MATCH_AUTO_LINK_THRESHOLD,
            review=settings.MATCH_REVIEW_THRESHOLD,
        )
        if decision.candidate is not None:  # its key is the earlier row's place among these
            matches[position] = dataclasses.replace(
                matches[position],
                earlier=decision,
                earlier_position=unmatched[decision.candidate.key],
            )
    return matches


def _match(batch: IngestBatch, counts: IngestCounts, index: CandidateIndex) -> None:
    """Match the batch (``rows_match``) and record each outcome on its return: a link, a review,
    the same new child as an earlier row, or a new child."""
    model = model_current()
    thresholds = {
        "auto_link": settings.MATCH_AUTO_LINK_THRESHOLD,
        "review": settings.MATCH_REVIEW_THRESHOLD,
        "scale": matching.THRESHOLD_SCALE,
    }
    made: list[matching.MatchRecord] = []  # the new children, as records keyed by child id
    for notification, match in zip(
        batch.notifications, rows_match(batch.notifications, index, model), strict=True
    ):
        decision = match.decision
        notification.match_model_version = model.version
        notification.match_thresholds = thresholds
        notification.match_candidates = [
            {"child": str(c.key), "score": round(s.score, 3), "evidence": list(s.evidence)}
            for c, s in match.ranked
        ]
        if match.same_as is not None:
            child_id = batch.notifications[match.same_as].child_id
            _link(batch, notification, replace_key(match.earlier, child_id), counts)
        elif decision.outcome == matching.LINK:
            _link(batch, notification, decision, counts)
        elif decision.outcome == matching.REVIEW:
            notification.status = NotificationStatus.REVIEW
            notification.match_score = Decimal(f"{decision.score:.3f}")
            notification.match_explanation = (
                MODEL_VERSION_PREFIX.format(decision.model_version) + decision.reason
            )
            batch.event(notification, NotificationEventType.QUEUED_FOR_REVIEW)
            counts.review += 1
        else:  # a new child, even one that may be an earlier row's: the duplicates check asks
            child = child_from_notification(batch, notification)
            made.append(dataclasses.replace(match.record, key=child.pk))
            counts.new_children += 1
    for record in made:
        # Later batches of the same file can be this child (a deletion and a referral, say).
        index.add(record)


def _earlier_rows(rows: list[matching.MatchRecord]) -> list[tuple]:
    """(row, the rows before it sharing a block with it, keyed by their position), for each row:
    the same UPN, date of birth (or day and month swapped) or names. The rows seen so far are
    indexed by block as the file is read, so a part of 1,000 new children costs no more than
    reading it."""
    seen: dict[tuple, list[int]] = defaultdict(list)
    jobs = []
    for position, record in enumerate(rows):
        lookups = {("dob", born) for born in matching.date_of_birth_block(record.date_of_birth)}
        lookups |= {("name", key) for key in matching.name_block_keys(record)}
        if record.upn:
            lookups.add(("upn", record.upn))
        earlier = sorted({i for block in lookups for i in seen.get(block, ())})
        jobs.append((record, [dataclasses.replace(rows[i], key=i) for i in earlier]))
        seen[("dob", record.date_of_birth)].append(position)
        seen[("name", matching.name_block_key(record.surname, record.forenames))].append(position)
        if record.upn:
            seen[("upn", record.upn)].append(position)
    return jobs


def replace_key(decision: matching.MatchDecision, child_id) -> matching.MatchDecision:
    candidate = dataclasses.replace(decision.candidate, key=child_id)
    return dataclasses.replace(decision, candidate=candidate)


def _link(batch: IngestBatch, notification, decision, counts: IngestCounts) -> None:
    notification.child_id = decision.candidate.key
    notification.status = NotificationStatus.MATCHED
    notification.match_score = Decimal(f"{decision.score:.3f}")
    # The version first, then the evidence strongest first: a timeline that shortens the text
    # keeps what matters.
    notification.match_explanation = MODEL_VERSION_PREFIX.format(decision.model_version) + (
        "; ".join(decision.evidence)
    )
    batch.event(
        notification, NotificationEventType.LINKED_AUTOMATICALLY, notification.match_explanation
    )
    counts.linked += 1


def child_from_notification(batch: IngestBatch, notification: Notification) -> Child:
    """A child the register did not know: identity, address and the parents from the return.
    Built by ``child_build``, which validates the identifiers as on every other path (the intake
    has already refused a row whose identifiers fail, so this raises only on a bug)."""
    child = child_build(
        legal_forenames=notification.legal_forenames,
        middle_names=notification.middle_names,
        legal_surname=notification.legal_surname,
        preferred_forename=notification.preferred_forename,
        preferred_surname=notification.preferred_surname,
        date_of_birth=notification.date_of_birth,
        sex=notification.sex or "U",
        upn=notification.upn,
        uln=notification.uln,
        created_at=timezone.now(),
    )
    batch.new_children.append(child)
    notification.child_id = child.pk
    notification.status = NotificationStatus.MATCHED
    notification.match_explanation = "No child on the register matched: a new record was created"
    batch.event(notification, NotificationEventType.NEW_CHILD_CREATED)
    _child_details(batch, child, notification)
    return child


def _child_details(batch: IngestBatch, child: Child, notification: Notification) -> None:
    source = InformationSource.SCHOOL_RETURN
    on = notification.event_date or timezone.localdate()
    if notification.address:
        line_1, _, line_2 = notification.address.partition(", ")
        batch.addresses.append(
            Address(
                child=child,
                line_1=line_1[:200],
                line_key=address_key(line_1[:200]),  # written by COPY, not save()
                line_2=line_2[:200],
                town=notification.town,
                postcode=notification.postcode,
                valid_from=min(on, timezone.localdate()),
                source=source,
            )
        )
    for parent in notification.parents:
        batch.carers.append(
            Carer(
                child=child,
                full_name=parent["name"][:200],
                relationship=_relationship(parent.get("relationship", "")),
                emergency_phone=parent.get("phone", "")[:30],
                address=parent.get("address", "")[:300],
                lives_with_child=True,
            )
        )


RELATIONSHIP_WORDS = {
    "mother": Relationship.MOTHER,
    "mum": Relationship.MOTHER,
    "pam": Relationship.MOTHER,
    "father": Relationship.FATHER,
    "dad": Relationship.FATHER,
    "paf": Relationship.FATHER,
    "step": Relationship.STEP_PARENT,
    "grand": Relationship.GRANDPARENT,
    "foster": Relationship.FOSTER_CARER,
    "carer": Relationship.KINSHIP_CARER,
}


def _relationship(text: str) -> str:
    lowered = text.lower()
    for word, relationship in RELATIONSHIP_WORDS.items():
        if word in lowered:
            return relationship
    return Relationship.OTHER


def new_children_write(batch: IngestBatch) -> None:
    """The children a batch added, with their addresses and parents, each with history."""
    history = {"user": batch.by, "reason": batch.reason}
    bulk_insert_with_history(batch.new_children, Child, **history)
    bulk_insert_with_history(batch.addresses, Address, **history)
    bulk_insert_with_history(batch.carers, Carer, **history)


def _write(batch: IngestBatch) -> None:
    new_children_write(batch)
    bulk_insert_with_history(batch.notifications, Notification, user=batch.by, reason=batch.reason)
    received = [_received_event(notification, batch.by) for notification in batch.notifications]
    bulk_insert([*received, *batch.events], NotificationEvent)


def _received_event(notification, by) -> NotificationEvent:
    event = NotificationEvent.about(
        notification,
        NotificationEventType.RECEIVED,
        notification.submission.get_channel_display(),
        by=by,
    )
    event.at = notification.received_at
    return event
