"""Children recorded twice on the register, found by the matching model (ADR 0012)."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from schools_feed import linkage, matching
from schools_feed.models import PossibleDuplicate
from schools_feed.selectors import child_match_records, child_match_records_in_parts
from schools_feed.services.matching_model import model_current


def duplicate_children_find() -> int:
    """Score the register against itself with the current model and replace the list of
    possible duplicates with the pairs at or above the review threshold (a probability), each
    with its cluster and its evidence in words, leaving out pairs that are surely two children
    (``matching.surely_two_children``). The register is read in parts, and only the children in
    a pair are read again for the evidence. Returns how many pairs were found."""
    model = model_current()
    pairs = [
        pair
        for pair in linkage.find_duplicates(
            child_match_records_in_parts(), model, threshold=settings.MATCH_REVIEW_THRESHOLD
        )
        if not matching.surely_two_children(pair.score)  # twins with their own UPNs
    ]
    records = _records_of({key for pair in pairs for key in (pair.left, pair.right)})
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


def _records_of(keys: set, part: int = 5_000) -> dict:
    """The matcher's records of the children ``keys``, read a part at a time."""
    keys = sorted(keys)
    return {
        record.key: record
        for start in range(0, len(keys), part)
        for record, _stored in child_match_records(Q(pk__in=keys[start : start + part]))
    }
