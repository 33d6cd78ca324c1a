"""The parent portal (ADR 0014): parents' accounts linked to their children's carer records, and
what parents send the LA: home-education notices, evidence, replies and complaints.

A parent is a ``User`` with the parent role (registry/access.py gives it only the portal's
capabilities); ``ParentLink`` ties the account to the ``Carer`` rows of their children, so a
parent reaches exactly the children they are recorded as a carer of.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words


class ParentLink(models.Model):
    """A parent's account is linked to a child through the child's carer record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="parent_links"
    )
    carer = models.ForeignKey("registry.Carer", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "carer"], name="parent_link_unique")]

    def __str__(self) -> str:
        return f"{self.user} is {self.carer}"


class PortalLinkRequest(models.Model):
    """Append-only: one row each time someone asks for a sign-in link, known address or not.
    The rate limits count these rows (docs/rules/data-protection.md §7). The address is kept
    only as a keyed hash, so an unknown address typed in is never stored."""

    address_hash = models.CharField(max_length=64, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent = models.BooleanField(default=False, help_text="A link was emailed (the account exists).")
    refused = models.BooleanField(default=False, help_text="Over a rate limit: nothing sent.")

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Sign-in link asked for {date_words(self.requested_at, short_month=True)}"


class SubmissionKind(models.TextChoices):
    HOME_EDUCATION_NOTICE = "notice", "Told the LA they are home educating"
    EVIDENCE = "evidence", "Sent evidence of education"
    REPLY = "reply", "Replied to the LA"
    # The children-not-in-school register's information, given or updated (s.436D).
    REGISTER_INFORMATION = "cnis_info", "Gave the register information"


class SubmissionStatus(models.TextChoices):
    # A notice about a child the portal could not place on the register waits for an officer.
    TO_MATCH = "to_match", "Waiting to be matched to a child"
    NEW = "new", "New"
    SEEN = "seen", "Seen by an officer"


class EvidenceMethod(models.TextChoices):
    """How a parent chooses to show the education they provide (docs/rules/ehe.md §11)."""

    WRITTEN_REPORT = "written_report", "A written report"
    SAMPLES = "samples", "Samples of work"
    MEETING = "meeting", "A meeting away from home"
    VISIT = "visit", "A visit to our home"
    CALL = "call", "A phone or video call"


class ParentSubmission(models.Model):
    """Something a parent sent through the portal. ``details`` holds a home-education notice's
    answers in the shape of the s.436C register content (docs/rules/ehe.md §11), so it can later
    fill the CNIS register without asking again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=SubmissionKind.choices)
    status = models.CharField(
        max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.NEW
    )
    # Blank only for a notice about a child the parent is not yet linked to (status TO_MATCH).
    child = models.ForeignKey(
        "registry.Child",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parent_submissions",
    )
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parent_submissions",
    )
    # A reply to a notice (s.437(1), a notice of intention, ...) names it.
    enforcement_step = models.ForeignKey(
        "registry.EnforcementStep",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parent_replies",
    )
    evidence_method = models.CharField(max_length=20, choices=EvidenceMethod.choices, blank=True)
    text = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="parent_submissions"
    )
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seen_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(child__isnull=False) | models.Q(status="to_match"),
                name="parent_submission_child_unless_to_match",
            )
        ]

    def __str__(self) -> str:
        on = date_words(self.submitted_at, short_month=True)
        return f"{self.get_kind_display()} on {on}"


class ScanResult(models.TextChoices):
    NOT_SCANNED = "not_scanned", "Not scanned (no scanner configured)"
    CLEAN = "clean", "Scanned: no threat found"
    INFECTED = "infected", "Scanned: threat found"
    ERROR = "error", "Scanner failed"


class EvidenceFile(models.Model):
    """A file a parent uploaded, held in private storage (never served directly: only the gated
    download views read it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(ParentSubmission, on_delete=models.PROTECT, related_name="files")
    # The path inside the private storage (registry/portal/files.py), not under any URL.
    stored_name = models.CharField(max_length=200, editable=False)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    scan_result = models.CharField(max_length=20, choices=ScanResult.choices)
    scan_detail = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESPONDED = "responded", "Responded to"


class Complaint(models.Model):
    """A parent's complaint. It goes to a handler who is neither the officer complained about nor
    one holding the child's case (docs/rules/ehe.md §11), with its own clocks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="complaints")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints_made"
    )
    about_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_about",
    )
    about_text = models.CharField("who or what it is about", max_length=300, blank=True)
    text = models.TextField()
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints_handled",
    )
    status = models.CharField(
        max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    received_at = models.DateTimeField(default=timezone.now)
    acknowledge_by = models.DateField()
    respond_by = models.DateField()
    acknowledged_on = models.DateField(null=True, blank=True)
    responded_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(handler__isnull=True)
                | models.Q(about_officer__isnull=True)
                | ~models.Q(handler=models.F("about_officer")),
                name="complaint_handler_not_the_officer_complained_about",
            )
        ]

    def __str__(self) -> str:
        return f"Complaint received {date_words(self.received_at, short_month=True)}"


class ComplaintEvent(models.Model):
    """Append-only log of a complaint: received, handler chosen, acknowledged, responded."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(max_length=100)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.event
