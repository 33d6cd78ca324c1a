"""Casework on a child's file: contacts, actions and management decisions."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words
from registry.models.episodes import AT_MOST_ONE_EPISODE


class CaseworkRecord(models.Model):
    """A row on the child's file, tied to the child and, when it is about one, an episode."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT)
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode", null=True, blank=True, on_delete=models.PROTECT
    )
    cme_episode = models.ForeignKey(
        "registry.CMEEpisode", null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    @property
    def episode(self):
        return self.ehe_episode or self.cme_episode


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    HOME_VISIT = "home_visit", "Home visit"
    MEETING = "meeting", "Meeting"
    VIDEO = "video", "Video call"


class ContactOutcome(models.TextChoices):
    SPOKE = "spoke", "Spoke with family"
    SAW_CHILD = "saw_child", "Saw the child"
    EVIDENCE_RECEIVED = "evidence", "Evidence of education received"
    NO_RESPONSE = "no_response", "No response"
    REFUSED = "refused", "Family declined contact"
    MESSAGE_LEFT = "message_left", "Message left"
    OTHER = "other", "Other"


class Contact(CaseworkRecord):
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="contacts")
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    cme_episode = models.ForeignKey(
        "registry.CMEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    contact_date = models.DateField()
    method = models.CharField(max_length=20, choices=ContactMethod.choices)
    with_whom = models.CharField(max_length=200)
    summary = models.TextField()
    outcome = models.CharField(max_length=20, choices=ContactOutcome.choices)
    follow_up = models.TextField(blank=True)
    follow_up_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-contact_date", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=AT_MOST_ONE_EPISODE, name="contact_one_episode")
        ]

    def __str__(self) -> str:
        on = date_words(self.contact_date, short_month=True)
        return f"{self.get_method_display()} with {self.with_whom} on {on}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ActionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, on):
        return self.open().filter(due_date__lt=on)


class Action(CaseworkRecord):
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="actions")
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    cme_episode = models.ForeignKey(
        "registry.CMEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="actions"
    )
    due_date = models.DateField(db_index=True)
    status = models.CharField(
        max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    completed_on = models.DateField(null=True, blank=True)
    completion_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()
    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date"]
        indexes = [models.Index(fields=["owner", "status", "due_date"])]
        constraints = [
            models.CheckConstraint(condition=AT_MOST_ONE_EPISODE, name="action_one_episode"),
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(completed_on__isnull=False),
                name="action_finished_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class DecisionType(models.TextChoices):
    MANAGEMENT_OVERSIGHT = "oversight", "Management oversight"
    SUITABILITY = "suitability", "Suitability of education"
    ISSUE_S437_NOTICE = "s437", "Serve a s.437 notice"
    ISSUE_SAO = "sao", "Issue a school attendance order"
    CONSENT = "consent", "Consent to withdraw (s.434A)"
    CLOSE_CASE = "close_case", "Close the case"
    REFER_SOCIAL_CARE = "refer", "Refer to social care"
    OTHER = "other", "Other"


class Decision(CaseworkRecord):
    """A management decision, recorded on the child's file with who made it and why."""

    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="decisions")
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    cme_episode = models.ForeignKey(
        "registry.CMEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    decision_type = models.CharField(max_length=20, choices=DecisionType.choices)
    decision = models.TextField()
    reason = models.TextField()
    decided_on = models.DateField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_on", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=AT_MOST_ONE_EPISODE, name="decision_one_episode")
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_decision_type_display()} on {date_words(self.decided_on, short_month=True)}"
        )
