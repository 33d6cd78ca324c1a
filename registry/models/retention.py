"""Retention and disclosure: legal holds, the runs of the retention job, and the disclosure log
(docs/rules/data-protection.md §4 and §5; ADR 0011)."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words


class LegalHoldQuerySet(models.QuerySet):
    def in_force(self, on: date):
        """Holds not lifted, and either indefinite or running to ``on`` or later."""
        return self.filter(lifted_at__isnull=True).filter(
            models.Q(until__isnull=True) | models.Q(until__gte=on)
        )


class LegalHold(models.Model):
    """An administrator's hold on a child's records: while it is in force the retention job
    never anonymises them (a claim, a complaint, a subject access request, an inquiry)."""

    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    until = models.DateField(null=True, blank=True, help_text="Blank: until it is lifted.")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | models.Q(lifted_at__isnull=False, lifted_by__isnull=False),
                name="legal_hold_lifted_by_whom",
            )
        ]

    def __str__(self) -> str:
        when = date_words(self.placed_at, short_month=True)
        return f"Legal hold on {self.child_id} placed {when}"

    def in_force_on(self, on: date) -> bool:
        return self.lifted_at is None and (self.until is None or self.until >= on)


class RetentionRun(models.Model):
    """One run of the retention job: what it anonymised, by rule, and what it left and why.
    Counts only, never a name."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    as_at = models.DateField(help_text="The day the retention periods were counted to.")
    dry_run = models.BooleanField(default=False)
    triggered_by = models.CharField(max_length=100, help_text="The beat task or a command.")
    children_anonymised = models.PositiveIntegerField(default=0)
    # {"ehe_cme_case_records": n}: children anonymised under each rule.
    by_rule = models.JSONField(default=dict, blank=True)
    # {"addresses_deleted": n, "contacts_cleared": n, ...}: rows changed, by kind.
    records = models.JSONField(default=dict, blank=True)
    # {"legal_hold": n, "safeguarding_hold": n, "open_episode": n}: past the period but kept.
    kept = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        what = "Dry run" if self.dry_run else "Run"
        return f"{what} as at {self.as_at}: {self.children_anonymised} children anonymised"


class DisclosureKind(models.TextChoices):
    DFE_VALIDATION_CSV = "dfe_validation_csv", "DfE return: records to check (CSV download)"
    DFE_VALIDATION_FILE = "dfe_validation_file", "DfE return: validation_children.csv (command)"
    REJECTED_ROWS_CSV = "rejected_rows_csv", "A school's rejected rows (CSV download)"
    NOTIFICATIONS_EXPORT = "notifications_export", "Every notification (export command)"
    SENT_LETTER = "sent_letter", "A letter sent to a family or another LA (download)"


class DisclosureChannel(models.TextChoices):
    DOWNLOAD = "download", "Downloaded from a page"
    FILE = "file", "File written by a command"
    EMAIL = "email", "Sent by email"


class Disclosure(models.Model):
    """Append-only: one row each time children's data leaves the register (a download, a file a
    command writes, an email), with what, who, to whom or where, why and which children
    (docs/rules/data-protection.md §5). Written only by ``disclosure_record``."""

    kind = models.CharField(max_length=30, choices=DisclosureKind.choices)
    channel = models.CharField(max_length=10, choices=DisclosureChannel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank for a command run on the server without a named user.",
    )
    disclosed_at = models.DateTimeField(default=timezone.now, db_index=True)
    recipient = models.CharField(
        max_length=300, help_text="To whom or where: the person downloading, a file's path."
    )
    path = models.CharField(max_length=300, help_text="The page or command.")
    reason = models.CharField(max_length=300, blank=True)
    children_count = models.PositiveIntegerField(
        default=0, help_text="How many children's records (or a return's pupil rows) it held."
    )
    children = models.ManyToManyField("registry.Child", related_name="disclosures", blank=True)

    class Meta:
        ordering = ["-disclosed_at"]

    def __str__(self) -> str:
        when = date_words(self.disclosed_at, short_month=True, time=True)
        return f"{self.get_kind_display()}: {self.children_count} children on {when}"
