"""Who looked at a child's record, and merges of duplicate records (reversible)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from registry.dates import date_words


class AccessPurpose(models.TextChoices):
    CASEWORK = "casework", "Casework"
    OFFROLLING_REVIEW = "offrolling_review", "Off-rolling review of a school"
    DATA_QUALITY = "data_quality", "Data quality"
    SAFEGUARDING = "safeguarding", "Safeguarding concern"
    SENSITIVE_FIELDS = "sensitive_fields", "Viewed sensitive information"
    SEARCH = "search", "Register search"
    MATCH_REVIEW = "match_review", "Matching a school's return"
    CASELOAD = "caseload", "Own caseload and actions"
    RETURNS = "returns", "Schools' returns"
    EXPORT = "export", "Export"
    # A parent reading their own child's record in the parent portal (ADR 0014).
    PARENT_PORTAL = "parent_portal", "Parent portal (the child's own parent)"


class ChildAccessLog(models.Model):
    """Append-only: one row each time someone opens a child's record."""

    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="access_log")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accessed_at = models.DateTimeField(default=timezone.now, db_index=True)
    purpose = models.CharField(max_length=20, choices=AccessPurpose.choices)
    reason = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300)

    class Meta:
        ordering = ["-accessed_at"]
        indexes = [models.Index(fields=["child", "-accessed_at"])]

    def __str__(self) -> str:
        when = date_words(self.accessed_at, short_month=True, time=True)
        return f"{self.user} opened {self.child_id} on {when}"


class ChildListAccessLog(models.Model):
    """Append-only: one row for each page, export or API response that listed children (search
    results, a queue, the DfE validation list, a caseload), naming every child it showed. A record
    opened is a ``ChildAccessLog`` row; a list is this, so "who saw this child" covers both."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accessed_at = models.DateTimeField(default=timezone.now, db_index=True)
    purpose = models.CharField(max_length=20, choices=AccessPurpose.choices)
    reason = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300)
    children = models.ManyToManyField("registry.Child", related_name="list_accesses", blank=True)
    shown = models.PositiveIntegerField(default=0, help_text="How many children were listed.")

    class Meta:
        ordering = ["-accessed_at"]

    def __str__(self) -> str:
        when = date_words(self.accessed_at, short_month=True, time=True)
        return f"{self.user} listed {self.shown} children on {when}"


class ChildMerge(models.Model):
    """Two records found to be the same child. The merged record is kept (pointing at the one kept)
    and every row moved is listed, so the merge can be undone exactly."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kept = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="merges_merged"
    )
    reason = models.TextField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)
    moved_rows = models.JSONField(
        default=dict, help_text="Model label → ids moved to the kept record."
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_id} merged into {self.kept_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None
