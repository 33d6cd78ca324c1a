"""Schools (GIAS), their rolls, and what schools send: submissions and notifications."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from schools_feed.grounds import LegalBasis, ground_label


class EstablishmentTypeGroup(models.TextChoices):
    # GIAS "EstablishmentTypeGroup (name)" values (formats.md §3.3).
    LA_MAINTAINED = "la_maintained", "Local authority maintained schools"
    ACADEMY = "academy", "Academies"
    FREE_SCHOOL = "free_school", "Free schools"
    INDEPENDENT = "independent", "Independent schools"
    SPECIAL = "special", "Special schools"
    PRU_AP = "pru_ap", "Pupil referral units and alternative provision"
    COLLEGE = "college", "Colleges"
    OTHER = "other", "Other types"


class School(models.Model):
    """An establishment from the GIAS extract, keyed by URN."""

    urn = models.CharField("URN", max_length=8, unique=True)
    la_code = models.CharField("LA code", max_length=3)
    la_name = models.CharField("LA name", max_length=100, blank=True)
    establishment_number = models.CharField(max_length=4, blank=True)
    laestab = models.CharField("LAESTAB", max_length=7, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    type_code = models.CharField(max_length=4, blank=True)
    type_name = models.CharField(max_length=100, blank=True)
    type_group = models.CharField(
        max_length=20, choices=EstablishmentTypeGroup.choices, default=EstablishmentTypeGroup.OTHER
    )
    phase = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=50, blank=True)
    open_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    statutory_low_age = models.PositiveSmallIntegerField(null=True, blank=True)
    statutory_high_age = models.PositiveSmallIntegerField(null=True, blank=True)
    trust_name = models.CharField(max_length=200, blank=True)
    number_on_roll = models.PositiveIntegerField(null=True, blank=True)
    percentage_fsm = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    sen_ehcp_count = models.PositiveIntegerField("pupils with an EHC plan", null=True, blank=True)
    sen_support_count = models.PositiveIntegerField("pupils on SEN support", null=True, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    town = models.CharField(max_length=100, blank=True)
    is_local = models.BooleanField(
        default=True, help_text="In this LA's area (the LA codes this deployment serves)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"


class SchoolRoll(models.Model):
    """Number on roll by NC year at a census date: the denominators for off-rolling rates."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="rolls")
    census_date = models.DateField()
    nc_year = models.CharField("NC year", max_length=3)
    number_on_roll = models.PositiveIntegerField()
    fsm_count = models.PositiveIntegerField(default=0)
    sen_support_count = models.PositiveIntegerField(default=0)
    ehcp_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["school", "census_date", "nc_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "census_date", "nc_year"], name="one_roll_per_school_census_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.census_date} year {self.nc_year}: {self.number_on_roll}"


class Channel(models.TextChoices):
    CSV = "csv", "CSV upload"
    XLSX = "xlsx", "Spreadsheet upload"
    CTF = "ctf", "Common transfer file"
    WEB_FORM = "web_form", "Web form"
    API = "api", "API"
    MIGRATION = "migration", "Data migration"


class Submission(models.Model):
    """One file, form or API call from a school. The original file is identified by its sha256."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="submissions")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "file_sha256"],
                condition=~models.Q(file_sha256=""),
                name="one_submission_per_file",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} from {self.school} at {self.received_at:%d %b %Y %H:%M}"
        )


class NotificationKind(models.TextChoices):
    DELETION = "deletion", "Deletion return"
    NEW_PUPIL = "new_pupil", "New pupil return"
    CME_REFERRAL = "cme_referral", "CME referral"


class NotificationStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    MATCHED = "matched", "Matched to a child"
    ROUTED = "routed", "Routed"
    QUERIED = "queried", "Queried by the LA"


class Notification(models.Model):
    """One pupil in a return from a school. What the school sent is kept as sent (``raw``); the
    typed fields are the validated reading of it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="notifications"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    status = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.RECEIVED
    )
    # The natural key that makes a re-sent notification a duplicate (ADR in docs/adr/).
    natural_key = models.CharField(max_length=64, unique=True)
    row_number = models.PositiveIntegerField(null=True, blank=True)
    raw = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    upn = models.CharField("UPN", max_length=13, blank=True, db_index=True)
    legal_forenames = models.CharField(max_length=100)
    legal_surname = models.CharField(max_length=100)
    preferred_forename = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    parents = models.JSONField(default=list, blank=True)
    nc_year = models.CharField("NC year", max_length=3, blank=True)
    sen_provision = models.CharField("SEN provision", max_length=1, blank=True)
    fsm_eligible = models.BooleanField(null=True)

    legal_basis = models.CharField(max_length=4, choices=LegalBasis.choices, blank=True)
    ground = models.CharField(max_length=1, blank=True)
    deletion_date = models.DateField(null=True, blank=True, db_index=True)
    parent_notice_date = models.DateField(null=True, blank=True)
    destination_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination_start_date = models.DateField(null=True, blank=True)
    new_address = models.CharField(max_length=300, blank=True)
    starting_date = models.DateField("starting day", null=True, blank=True)
    last_attended_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    child = models.ForeignKey(
        "registry.Child",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    match_score = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    match_explanation = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["school", "kind", "deletion_date"]),
            models.Index(fields=["status", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.legal_forenames} {self.legal_surname}"

    @property
    def ground_label(self) -> str:
        return ground_label(self.legal_basis, self.ground) if self.ground else ""

    @property
    def event_date(self):
        return self.deletion_date or self.starting_date or self.last_attended_date
