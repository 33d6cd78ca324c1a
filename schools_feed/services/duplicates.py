"""Children recorded twice on the register, found by the matching model (ADR 0012)."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from schools_feed import linkage, matching
from schools_feed.models import PossibleDuplicate
from schools_feed.selectors import child_match_records
from schools_feed.services.matching_model import model_current


def duplicate_children_find() -> int:
    """Score the register against itself with the current model and replace the list of
    possible duplicates with the pairs at or above the review threshold (a probability), each
    with its cluster and its evidence in words, leaving out pairs that are surely two children
    (``matching.surely_two_children``). Returns how many pairs were found."""
    records = [record for record, _key in child_match_records(Q())]
    by_key = {record.key: record for record in records}
    model = model_current()
    pairs = linkage.find_duplicates(records, model, threshold=settings.MATCH_REVIEW_THRESHOLD)
    found_at = timezone.now()
    rows = []
    for pair in pairs:
        if matching.surely_two_children(pair.score):
            continue  # twins with their own UPNs: a person need not look
        left, right = by_key[pair.left], by_key[pair.right]
        rows.append(
            PossibleDuplicate(
                child_id=pair.left,
                other_id=pair.right,
                probability=pair.probability,
                cluster=pair.cluster,
                evidence=list(linkage.explanations((left, right), pair.score)),
                model_version=model.version,
                found_at=found_at,
            )
        )
    with transaction.atomic():
        PossibleDuplicate.objects.all().delete()
        PossibleDuplicate.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
