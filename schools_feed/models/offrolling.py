"""The off-rolling monitor (docs/rules/offrolling.md §5, ADR 0007): indicators per school and
period, the LA reference they are compared with, the alerts raised for inclusion leads and their
review.

Indicators and the LA reference are derived figures, replaced by each recompute: they hold no
child's data and keep no history. An alert is a decision record: it is never rewritten by a
recompute, keeps the evidence, parameters and method version that raised it, and keeps full
history of its review.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words
from schools_feed.models.feed import School


class Indicator(models.TextChoices):
    N1 = "N1", "Non-standard exits"
    N2 = "N2", "Exits to home education"
    N3 = "N3", "Exits to an unknown destination or missing education"
    N4 = "N4", "Exits from Years 10 and 11"
    N5 = "N5", "Exits before the Year 11 January census"
    N6 = "N6", "Exits of vulnerable pupils"


class PeriodType(models.TextChoices):
    YEAR = "year", "Academic year"
    TERM = "term", "Term"
    ROLLING = "rolling", "Rolling 12 months"


class Rule(models.TextChoices):
    R1 = "R1", "Above the 99.8% limit"
    R2 = "R2", "Above the 95% limit two years running"
    R3 = "R3", "Exits to home education or to an unknown destination above the 95% limit"
    R4 = "R4", "Exits cluster before the Year 11 January census"
    R5 = "R5", "Vulnerable pupils leave disproportionately"
    R6 = "R6", "Home education exits with case-level prompts"


class FunnelBand(models.TextChoices):
    INSUFFICIENT = "insufficient", "Insufficient data"
    BELOW = "below", "Below the 95% limits"
    WITHIN = "within", "Within the 95% limits"
    ABOVE_WARNING = "above_95", "Above the 95% limit"
    ABOVE_ALERT = "above_998", "Above the 99.8% limit"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped: another run was in progress"


class OffRollingRun(models.Model):
    """One recompute, the record of the run slot. At most one runs at a time: on PostgreSQL the
    running process holds an advisory lock, so a run left "running" by a killed process is marked
    abandoned by the next (ADR 0009); on SQLite the partial unique constraint is the guard and a
    crashed run is timed out."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField()
    method_version = models.CharField(max_length=20)
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    triggered_by = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    indicators = models.PositiveIntegerField(default=0)
    alerts_raised = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="one_offrolling_run_at_a_time",
            )
        ]

    def __str__(self) -> str:
        scope = self.school or "all schools"
        when = date_words(self.started_at, short_month=True, time=True)
        return f"Off-rolling recompute for {scope} on {when}"


class Period(models.Model):
    """The period an indicator, reference or alert is about."""

    period_type = models.CharField(max_length=10, choices=PeriodType.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    period_label = models.CharField(max_length=40)

    class Meta:
        abstract = True


class IndicatorReference(Period):
    """The LA figures for one indicator and period: pooled rate, stratum rates for indirect
    standardisation, and the overdispersion of the schools around them."""

    # UUIDs, so a recompute writes its rows with COPY (registry.bulk).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(OffRollingRun, on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(max_length=2, choices=Indicator.choices)
    observed = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField()
    rate = models.FloatField(null=True)
    schools = models.PositiveIntegerField()
    phi = models.FloatField(default=1.0)
    phi_applied = models.BooleanField(default=False)
    # {"stratum key": [exits, number on roll]}: the LA's exits and roll in each stratum.
    strata = models.JSONField(default=dict)
    # The LA share of N4 exits that fell in the N5 window, for the timing test (N5 only).
    extra = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period_type", "period_start"], name="one_reference_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"LA {self.indicator} {self.period_label}"


class SchoolIndicator(Period):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(OffRollingRun, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="offrolling_indicators"
    )
    indicator = models.CharField(max_length=2, choices=Indicator.choices)
    observed = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField()
    expected = models.FloatField()
    rate = models.FloatField(null=True)
    la_rate = models.FloatField(null=True)
    ratio = models.FloatField("observed / expected", null=True)
    # Limits on the count, around the expected count (case-mix adjusted), with overdispersion.
    warning_lower = models.FloatField(null=True)
    warning_upper = models.FloatField(null=True)
    alert_upper = models.FloatField(null=True)
    exact_limits = models.BooleanField(default=False)
    band = models.CharField(max_length=12, choices=FunnelBand.choices)
    # Rule codes met, with the group for R5: ["R1", "R5:fsm"].
    rules_met = models.JSONField(default=list)
    # The exits' characteristics against the roll's, for explanations: see offrolling.method.
    breakdown = models.JSONField(default=dict)

    class Meta:
        ordering = ["school__name", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "indicator", "period_type", "period_start"],
                name="one_indicator_per_school_period",
            )
        ]
        indexes = [models.Index(fields=["indicator", "period_type", "period_start"])]

    def __str__(self) -> str:
        return f"{self.school} {self.indicator} {self.period_label}: {self.observed}"

    @property
    def is_insufficient(self) -> bool:
        return self.band == FunnelBand.INSUFFICIENT


class AlertStatus(models.TextChoices):
    NEW = "new", "New"
    UNDER_REVIEW = "under_review", "Under review"
    RAISED_WITH_SCHOOL = "raised_with_school", "Raised with the school"
    SCHOOL_RESPONDED = "school_responded", "School responded"
    CLOSED = "closed", "Closed"


class AlertOutcome(models.TextChoices):
    EXPLAINED = "explained", "Explained"
    CONCERN_SUBSTANTIATED = "substantiated", "Concern substantiated"
    NO_FURTHER_ACTION = "nfa", "No further action"


class OffRollingAlert(Period):
    """A prompt for a conversation with a school, not a finding (docs/rules/offrolling.md §1)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # school|rule|indicator|group|period: a recompute that meets the same rule again raises
    # nothing new.
    key = models.CharField(max_length=100, unique=True)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="offrolling_alerts")
    rule = models.CharField(max_length=2, choices=Rule.choices)
    indicator = models.CharField(max_length=2, choices=Indicator.choices)
    group = models.CharField(max_length=20, blank=True)
    explanation = models.TextField()
    # The figures the explanation was written from, as they were when the alert was raised.
    evidence = models.JSONField(default=dict)
    parameters = models.JSONField(default=dict)
    method_version = models.CharField(max_length=20)
    run = models.ForeignKey(OffRollingRun, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.NEW)
    outcome = models.CharField(max_length=20, choices=AlertOutcome.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["school", "period_start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="closed") | models.Q(outcome=""),
                name="alert_outcome_only_when_closed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(outcome=""),
                name="closed_alert_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.rule} {self.get_indicator_display()} at {self.school.name}, {self.period_label}"
        )

    @property
    def is_open(self) -> bool:
        return self.status != AlertStatus.CLOSED


class AlertEventType(models.TextChoices):
    RAISED = "raised", "Alert raised"
    STATUS_CHANGED = "status", "Status changed"
    ASSIGNED = "assigned", "Owner changed"
    DUE_DATE = "due_date", "Due date changed"
    NOTE = "note", "Note"


class AlertEvent(models.Model):
    """The review of an alert, as rows: who did what and when, in words people can query."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alert = models.ForeignKey(OffRollingAlert, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=10, choices=AlertEventType.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    # Notes about the conversation with the school go in the briefing; internal notes do not.
    in_briefing = models.BooleanField("include in the school briefing", default=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return (
            f"{self.get_event_type_display()} on {date_words(self.at, short_month=True, time=True)}"
        )


class OffRollingRecomputeRequest(models.Model):
    """The latest request to recompute a school after new returns: the debounce. A queued task
    runs only if no later request has arrived since it was queued (a later task will)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()

    def __str__(self) -> str:
        when = date_words(self.requested_at, short_month=True, time=True)
        return f"Recompute {self.school} (requested {when})"
