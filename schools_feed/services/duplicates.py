"""Children recorded twice on the register, found by the matching model (ADR 0012)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from registry.models import User
from schools_feed import linkage, matching
from schools_feed.models import NotTheSameChild, PossibleDuplicate
from schools_feed.selectors import (
    child_match_records_in_parts,
    child_match_records_of,
    children_decided_distinct,
)
from schools_feed.services.matching_model import model_current

NO_REASON = "Enter why these are two children"


def duplicate_children_find() -> int:
    """Score the register against itself with the current model and replace the list of
    possible duplicates with the pairs at or above the review threshold (a probability), each
    with its cluster and its evidence in words, leaving out pairs that are surely two children
    (``matching.surely_two_children``) and pairs an officer decided are two children
    (``duplicate_pair_not_the_same``). The register is read in parts, and only the children in
    a pair are read again for the evidence. Returns how many pairs were found."""
    model = model_current()
    distinct = children_decided_distinct()
    pairs = [
        pair
        for pair in linkage.find_duplicates(
            child_match_records_in_parts(), model, threshold=settings.MATCH_REVIEW_THRESHOLD
        )
        if not matching.surely_two_children(pair.score)  # twins with their own UPNs
        and _ordered(pair.left, pair.right) not in distinct
    ]
    records = child_match_records_of({key for pair in pairs for key in (pair.left, pair.right)})
    found_at = timezone.now()
    rows = [
        PossibleDuplicate(
            child_id=pair.left,
            other_id=pair.right,
            probability=pair.probability,
            cluster=pair.cluster,
            evidence=list(
                linkage.explanations((records[pair.left], records[pair.right]), pair.score)
            ),
            model_version=model.version,
            found_at=found_at,
        )
        for pair in pairs
        # A child merged or anonymised while the register was being read is no longer listed.
        if pair.left in records and pair.right in records
    ]
    with transaction.atomic():
        PossibleDuplicate.objects.all().delete()
        PossibleDuplicate.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _ordered(one, another) -> tuple:
    """A pair of child ids the way ``NotTheSameChild`` stores it: the lower id first (UUIDs
    compare the same as text and in either database)."""
    return tuple(sorted((one, another), key=str))


@transaction.atomic
def duplicate_pair_not_the_same(*, pair: PossibleDuplicate, by: User, why: str) -> NotTheSameChild:
    """Record that the two children of a listed pair are two children, with the officer's
    reason: the pair leaves the list now, and the weekly check does not list it again. Saying it
    twice records it once."""
    if not why.strip():
        raise ValidationError({"why": [NO_REASON]})
    first, second = _ordered(pair.child_id, pair.other_id)
    decision, _made = NotTheSameChild.objects.get_or_create(
        first_child_id=first,
        second_child_id=second,
        defaults={"reason": why.strip(), "decided_by": by},
    )
    PossibleDuplicate.objects.filter(
        Q(child_id=first, other_id=second) | Q(child_id=second, other_id=first)
    ).delete()
    return decision
