"""Statistics the LA produces from the register: the DfE termly EHE/CME return and the DCS
quarterly pack (docs/rules/statistics.md §3, §6), the reference figures they need, and the
frozen snapshots of what was produced (ADR 0008).

A produced return or pack is a ``ReportSnapshot``: its tables and its files, with who produced it,
when and with which method version. Snapshots are written once and never changed; re-opening one
shows exactly what was produced, whatever has happened to the register since.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words
from registry.models.episodes import ONE_EPISODE_ONLY


class EpisodeReasonChange(models.Model):
    """A domain event: an episode's DfE primary reason changed from an effective date.

    With the episode's current reason these rows give the reason on any past date: the reason on
    day D is the ``from_reason`` of the first change effective after D, or the current one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="reason_changes"
    )
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reason_changes",
    )
    cme_episode = models.ForeignKey(
        "registry.CMEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reason_changes",
    )
    from_reason = models.CharField(max_length=30)
    to_reason = models.CharField(max_length=30)
    effective_date = models.DateField()
    why = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["effective_date", "changed_at"]
        constraints = [
            models.CheckConstraint(condition=ONE_EPISODE_ONLY, name="reason_change_has_one_episode")
        ]

    def __str__(self) -> str:
        return f"{self.from_reason} → {self.to_reason} from {self.effective_date}"


class ReportKind(models.TextChoices):
    DFE_RETURN = "dfe_return", "DfE termly EHE and CME return"
    QUARTERLY_PACK = "quarterly_pack", "DCS quarterly pack"


class ReportSnapshot(models.Model):
    """A return or pack as produced: immutable (no service updates one; the admin is read-only)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    period = models.CharField(max_length=20, help_text="Census date or quarter, e.g. 2025-Q3.")
    as_at = models.DateField(help_text="The date the figures describe.")
    method_version = models.CharField(max_length=20)
    parameters = models.JSONField(default=dict, blank=True)
    tables = models.JSONField(help_text="Every figure, as produced.")
    tables_sha256 = models.CharField(max_length=64)
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    produced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-produced_at"]
        indexes = [models.Index(fields=["kind", "period", "-produced_at"])]

    def __str__(self) -> str:
        when = date_words(self.produced_at, short_month=True, time=True)
        return f"{self.get_kind_display()} {self.period} ({when})"


class SnapshotFile(models.Model):
    """One file of a snapshot (a CSV, the PDF, the XLSX), kept byte for byte."""

    snapshot = models.ForeignKey(ReportSnapshot, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "name"], name="one_file_name_per_snapshot")
        ]

    def __str__(self) -> str:
        return self.name


class ReportRequestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ReportRequest(models.Model):
    """Someone (or the quarter-end schedule) asked for a pack: the worker's progress is shown here
    and the snapshot it produced is linked when it is done."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    period = models.CharField(max_length=20)
    status = models.CharField(
        max_length=10, choices=ReportRequestStatus.choices, default=ReportRequestStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    stage = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.ForeignKey(
        ReportSnapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # The double-run guard lives in the database: one request per period in the works.
            models.UniqueConstraint(
                fields=["kind", "period"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_unfinished_request_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period}: {self.get_status_display()}"


class Geography(models.TextChoices):
    ENGLAND = "england", "England"
    REGION = "region", "Region"


class ComparatorFigure(models.Model):
    """A published England or regional figure an analyst enters for a census day, so the pack can
    set the LA beside it (docs/rules/statistics.md §7)."""

    census_date = models.DateField()
    geography = models.CharField(max_length=10, choices=Geography.choices)
    ehe_count = models.PositiveIntegerField("children in EHE", null=True, blank=True)
    ehe_rate_per_100 = models.DecimalField(
        "EHE rate per 100", max_digits=5, decimal_places=2, null=True, blank=True
    )
    cme_count = models.PositiveIntegerField("children missing education", null=True, blank=True)
    cme_rate_per_100 = models.DecimalField(
        "CME rate per 100", max_digits=5, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(max_length=300, blank=True, help_text="Where the figures come from.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-census_date", "geography"]
        constraints = [
            models.UniqueConstraint(
                fields=["census_date", "geography"], name="one_comparator_per_census_geography"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_geography_display()} on {self.census_date}"


class PopulationEstimate(models.Model):
    """The LA's mid-year population aged 5 to 16 (ONS), the denominator of rates per 100."""

    mid_year = models.PositiveSmallIntegerField(unique=True, help_text="The year of the estimate.")
    aged_5_to_16 = models.PositiveIntegerField("population aged 5 to 16")
    source = models.CharField(max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-mid_year"]

    def __str__(self) -> str:
        return f"Mid-{self.mid_year}: {self.aged_5_to_16:,} aged 5 to 16"


__all__ = [
    "ComparatorFigure",
    "EpisodeReasonChange",
    "Geography",
    "PopulationEstimate",
    "ReportKind",
    "ReportRequest",
    "ReportRequestStatus",
    "ReportSnapshot",
    "SnapshotFile",
]
