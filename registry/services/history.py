"""How services tell django-simple-history who changed a record and why."""

from django.db import models


class ChangeReason(models.TextChoices):
    MANUAL_EDIT = "manual_edit", "Edited by an officer"
    STATUS_CHANGE = "status_change", "Status changed"
    SCHOOL_FEED = "school_feed", "From a school return"
    CSV_IMPORT = "csv_import", "Imported from a file"
    CTF_IMPORT = "ctf_import", "From a common transfer file"
    API = "api", "From a school system through the API"
    MIGRATION = "migration", "Migrated from a legacy register"
    MATCH_REVIEW = "match_review", "Match reviewed by an officer"
    ROUTING = "routing", "Routed from a school return"
    SEED_DEMO = "seed_demo", "Demo data"
    OFFROLLING = "offrolling", "Raised by the off-rolling recompute"
    OFFROLLING_REVIEW = "offrolling_review", "Off-rolling alert reviewed"
    MERGE = "merge", "Records merged"
    MERGE_UNDONE = "merge_undone", "Merge undone"
    RETENTION = "retention", "Anonymised under the retention schedule"
    LEGAL_HOLD = "legal_hold", "Legal hold placed or lifted"


def save_with_history(instance: models.Model, *, by, reason: str, detail: str = "") -> None:
    """Validate and save, stamping the history row with the user and the change reason.

    ``detail`` is the person's own words, kept after the fixed reason so both can be read.
    """
    instance.full_clean()
    instance._history_user = by
    instance._change_reason = f"{reason}: {detail}" if detail else reason
    instance.save()
