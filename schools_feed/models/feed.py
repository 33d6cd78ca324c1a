"""Schools (GIAS), their rolls, and what schools send: submissions and notifications."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words
from registry.models import School
from schools_feed.grounds import LegalBasis, ground_label


class SchoolRoll(models.Model):
    """Number on roll by NC year at a census date: the denominators for off-rolling rates."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="rolls")
    census_date = models.DateField()
    nc_year = models.CharField("NC year", max_length=3)
    number_on_roll = models.PositiveIntegerField()
    fsm_count = models.PositiveIntegerField(default=0)
    sen_support_count = models.PositiveIntegerField(default=0)
    ehcp_count = models.PositiveIntegerField(default=0)
    # Looked after, in need or on a child protection plan: the social-care stratum of the
    # off-rolling standardisation (docs/rules/offrolling.md §7).
    social_care_count = models.PositiveIntegerField(
        "looked after, in need or on a CP plan", default=0
    )

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


class SubmissionStatus(models.TextChoices):
    PREVIEW = "preview", "Checked, waiting for confirmation"
    QUEUED = "queued", "Waiting to be processed"
    PROCESSING = "processing", "Being processed"
    IMPORTED = "imported", "Imported"
    REJECTED = "rejected", "Rejected: nothing imported"
    CANCELLED = "cancelled", "Cancelled by the sender"


# A file counts as received once it is confirmed; a file only previewed may be sent again.
RECEIVED_SUBMISSION_STATUSES = (
    SubmissionStatus.QUEUED,
    SubmissionStatus.PROCESSING,
    SubmissionStatus.IMPORTED,
)


class Submission(models.Model):
    """One file, form or API call: the import record (style.md layer 6). The original file is kept
    and identified by its sha256, so the same file is never imported twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Blank for an administrator's file that holds several schools' returns.
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="submissions"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    return_type = models.CharField(max_length=20, blank=True)
    status = models.CharField(
        max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.PREVIEW
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to="submissions/%Y/%m/", blank=True)
    # When the file's content was removed (FEED_FILE_RETENTION_DAYS, or a cancelled preview); the
    # record, its sha256, counts, problems and notifications stay.
    file_removed_at = models.DateTimeField(null=True, blank=True)
    # The sender's own key for an API call: a retried call with the same key changes nothing.
    idempotency_key = models.CharField(max_length=100, blank=True)
    # A joiner CTF does not carry the pupils' starting day at the new school: the sender gives it.
    starting_date = models.DateField("starting day (joiner CTF)", null=True, blank=True)
    # Whether the sender chose to import the valid rows of a file that also had rejected rows.
    accept_valid_rows = models.BooleanField(default=False)
    rows_read = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    # Every error and warning: {"row", "column", "field", "message", "level"}.
    problems = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When the file was last sent to a worker: the sweeper queues it again only once this is old
    # enough that the task must have been lost (ADR 0009).
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            # Per school: the same bytes from another school are that school's own file, and
            # refusing them would tell it that someone else sent them.
            models.UniqueConstraint(
                fields=["school", "file_sha256"],
                condition=~models.Q(file_sha256="")
                & models.Q(status__in=RECEIVED_SUBMISSION_STATUSES)
                & models.Q(school__isnull=False),
                name="one_submission_per_school_file",
            ),
            # An administrator's file of several schools has no school (and NULLs never clash).
            models.UniqueConstraint(
                fields=["file_sha256"],
                condition=~models.Q(file_sha256="")
                & models.Q(status__in=RECEIVED_SUBMISSION_STATUSES)
                & models.Q(school__isnull=True),
                name="one_several_schools_submission_per_file",
            ),
            models.UniqueConstraint(
                fields=["school", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_submission_per_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        sender = self.school or "several schools"
        when = date_words(self.received_at, short_month=True, time=True)
        return f"{self.get_channel_display()} from {sender} on {when}"

    @property
    def progress_percent(self) -> int:
        return round(100 * self.rows_processed / self.rows_read) if self.rows_read else 100

    @property
    def is_finished(self) -> bool:
        return self.status not in (SubmissionStatus.QUEUED, SubmissionStatus.PROCESSING)


class NotificationKind(models.TextChoices):
    DELETION = "deletion", "Deletion return"
    NEW_PUPIL = "new_pupil", "New pupil return"
    CME_REFERRAL = "cme_referral", "CME referral"
    TEN_DAY_ABSENCE = "absence", "Ten-day absence return"
    EXCLUSION = "exclusion", "Suspension or permanent exclusion"


class NotificationStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    REVIEW = "review", "Waiting for an officer to confirm the child"
    MATCHED = "matched", "Matched to a child"
    ROUTED = "routed", "Routed"
    QUERIED = "queried", "Queried by the LA"


class ExclusionType(models.TextChoices):
    SUSPENSION = "suspension", "Suspension"
    PERMANENT = "permanent", "Permanent exclusion"


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
    # The natural key that makes a re-sent notification a duplicate (ADR 0004).
    natural_key = models.CharField(max_length=64, unique=True)
    row_number = models.PositiveIntegerField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    upn = models.CharField("UPN", max_length=13, blank=True, db_index=True)
    uln = models.CharField("ULN", max_length=10, blank=True)
    legal_forenames = models.CharField(max_length=100)
    middle_names = models.CharField(max_length=100, blank=True)
    legal_surname = models.CharField(max_length=100)
    preferred_forename = models.CharField(max_length=100, blank=True)
    preferred_surname = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, blank=True)
    address = models.CharField(max_length=300, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    # Each parent the pupil normally lives with: {"name", "relationship", "address", "phone"}.
    parents = models.JSONField(default=list, blank=True)
    nc_year = models.CharField("NC year", max_length=3, blank=True)
    sen_provision = models.CharField("SEN provision", max_length=1, blank=True)
    fsm_eligible = models.BooleanField(null=True, blank=True)

    legal_basis = models.CharField(max_length=4, choices=LegalBasis.choices, blank=True)
    ground = models.CharField(max_length=1, blank=True)
    deletion_date = models.DateField(null=True, blank=True, db_index=True)
    parent_notice_date = models.DateField(null=True, blank=True)
    destination_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The destination as the school sent it, kept when it is not a school in GIAS.
    destination_reference = models.CharField(max_length=20, blank=True)
    destination_start_date = models.DateField(null=True, blank=True)
    # The school does not know where the pupil went: the "Lost pupil" column, or a CTF or
    # destination of X's (docs/rules/registration.md §6.1).
    lost_pupil = models.BooleanField("lost pupil (destination unknown)", default=False)
    new_address = models.CharField(max_length=300, blank=True)
    new_postcode = models.CharField(max_length=10, blank=True)
    starting_date = models.DateField("starting day", null=True, blank=True)
    previous_school = models.CharField(max_length=200, blank=True)
    last_attended_date = models.DateField(null=True, blank=True)
    enquiries_made = models.TextField(blank=True)
    safeguarding_concerns = models.TextField(blank=True)
    referrer_name = models.CharField(max_length=100, blank=True)
    referrer_role = models.CharField(max_length=100, blank=True)
    absence_start_date = models.DateField(null=True, blank=True)
    consecutive_days_absent = models.PositiveSmallIntegerField(null=True, blank=True)
    exclusion_type = models.CharField(max_length=20, choices=ExclusionType.choices, blank=True)
    exclusion_start_date = models.DateField(null=True, blank=True)
    exclusion_days = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    exclusion_reason = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    # Received after the deletion date (schools cannot delete retrospectively) or, for a new pupil
    # return, more than 5 days after the starting day.
    is_late = models.BooleanField(default=False)
    warnings = models.JSONField(default=list, blank=True)
    # Routing waits until this date (the home-education grace period); null routes at once.
    route_after = models.DateField(null=True, blank=True, db_index=True)
    # Ground I gate (docs/rules/registration.md §5): the joint enquiry a deletion on an absence
    # ground rests on, and, when a check failed, what failed in words citing the rule. The
    # deletion stands either way (the school has already deleted); a breach is counted per school.
    joint_enquiry = models.ForeignKey(
        "schools_feed.JointEnquiry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deletions",
    )
    ground_i_breach = models.TextField("Ground I breach", blank=True)

    child = models.ForeignKey(
        "registry.Child",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    match_score = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    match_explanation = models.TextField(blank=True)
    # For the review queue: [{"child": id, "score": 0.8, "evidence": [...]}], best first.
    match_candidates = models.JSONField(default=list, blank=True)
    # The matching model version and thresholds the decision was made with (ADR 0012):
    # {"auto_link": 0.92, "review": 0.55, "scale": "match probability"}.
    match_model_version = models.PositiveIntegerField(null=True, blank=True)
    match_thresholds = models.JSONField(default=dict, blank=True)
    # The case this return opened, if routing opened one. The feed holds the key, not the
    # episode, because the register sits below the feed (ADR 0010); the register reads it back
    # as ``episode.opening_notification``, a name both apps rely on.
    opened_ehe_episode = models.OneToOneField(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opening_notification",
    )
    opened_cme_episode = models.OneToOneField(
        "registry.CMEEpisode",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opening_notification",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["school", "kind", "deletion_date"]),
            models.Index(fields=["status", "received_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(exclusion_type="") | ~models.Q(kind="exclusion"),
                name="exclusion_has_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.legal_forenames} {self.legal_surname}"

    @property
    def ground_label(self) -> str:
        return ground_label(self.legal_basis, self.ground) if self.ground else ""

    @property
    def match_evidence_lines(self) -> list[str]:
        """The automatic link's evidence, one line per comparison (ADR 0012), without the model
        version the explanation starts with (shown on its own)."""
        text = self.match_explanation
        if text.startswith("Matching model version "):
            text = text.partition(": ")[2]
        return [line for line in text.split("; ") if line]

    @property
    def event_date(self):
        return (
            self.deletion_date
            or self.starting_date
            or self.exclusion_start_date
            or self.absence_start_date
            or self.last_attended_date
        )


class NotificationEventType(models.TextChoices):
    RECEIVED = "received", "Received"
    LINKED_AUTOMATICALLY = "linked_auto", "Linked to the child automatically"
    QUEUED_FOR_REVIEW = "review_queued", "Queued for an officer to confirm the child"
    LINK_CONFIRMED = "link_confirmed", "Child confirmed by an officer"
    NEW_CHILD_CREATED = "new_child", "New child added to the register"
    LINK_UNDONE = "link_undone", "Link to the child undone"
    EHE_EPISODE_OPENED = "ehe_opened", "EHE episode opened"
    EHE_EPISODE_UPDATED = "ehe_updated", "Open EHE episode updated"
    EHE_ENDED_RETURNED = "ehe_returned", "EHE ended: returned to school"
    CME_EPISODE_OPENED = "cme_opened", "CME episode opened"
    CME_EPISODE_UPDATED = "cme_updated", "Open CME episode updated"
    CME_CLOSED_IN_SCHOOL = "cme_located", "CME closed: located on a school roll"
    DESTINATION_EXPECTED = "destination_expected", "Waiting for the destination school's return"
    DESTINATION_CONFIRMED = "destination_confirmed", "Destination school confirmed the pupil"
    DESTINATION_UNCONFIRMED = "destination_unconfirmed", "Destination unconfirmed: CME enquiry"
    EXCLUSION_RECORDED = "exclusion", "Exclusion recorded"
    SIXTH_DAY_ACTION = "sixth_day", "Action: education from the sixth day (permanent exclusion)"
    AT_RISK_FLAGGED = "at_risk", "Flagged at risk of missing education"
    CONSENT_CASE = "consent_case", "s.434A consent case raised"
    CONSENT_ADVISORY = "consent_advisory", "Advisory: LA consent would be needed (s.434A)"
    SAFEGUARDING_ALERT = "safeguarding", "Safeguarding alert to the CME officer"
    GROUND_I_MET = "ground_i_met", "Twenty school days and joint enquiries shown"
    GROUND_I_BREACH = "ground_i_breach", "Ground I breach: flagged to the CME officer"
    NO_ACTION = "no_action", "Recorded: no case needed"
    ROUTING_DEFERRED = "deferred", "Routing waits for the grace period"
    QUERIED = "queried", "Queried with the school"


class NotificationEvent(models.Model):
    """A routing decision, as a row: shown on the child's timeline and on the submission."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="events")
    child = models.ForeignKey(
        "registry.Child",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feed_events",
    )
    event_type = models.CharField(max_length=30, choices=NotificationEventType.choices)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["child", "at"])]

    def __str__(self) -> str:
        return self.get_event_type_display()

    @classmethod
    def about(cls, notification, event_type: str, detail: str = "", *, by=None):
        """An unsaved event for a notification and the child it is linked to now."""
        return cls(
            notification=notification,
            child_id=notification.child_id,
            event_type=event_type,
            detail=detail,
            by=by,
        )


class DestinationCheckStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the new pupil return"
    CONFIRMED = "confirmed", "Confirmed by the destination school"
    UNCONFIRMED = "unconfirmed", "Not confirmed: CME enquiry opened"
    # A destination outside the LA or not in GIAS sends no new pupil return to this LA: the check
    # stays open until an officer confirms the arrival (docs/rules/registration.md §6.2).
    AWAITING_OFFICER = "awaiting_officer", "Not confirmed: an officer must confirm the arrival"


# Checks that do not (yet) show the pupil arrived, beyond the in-LA wait for a return: such a
# deletion is not a normal transfer (docs/rules/offrolling.md §3).
NOT_ARRIVED_STATUSES = (DestinationCheckStatus.UNCONFIRMED, DestinationCheckStatus.AWAITING_OFFICER)


class DestinationCheck(models.Model):
    """A deletion naming a destination. For a school in this LA the register expects that
    school's new pupil return, and opens a CME enquiry when none arrives in time (the closed
    loop); for a school elsewhere, or one not in GIAS, an officer confirms the arrival."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    deletion = models.OneToOneField(
        Notification, on_delete=models.PROTECT, related_name="destination_check"
    )
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="+")
    # Blank when the destination the school sent is not in GIAS (the deletion keeps it as sent).
    destination_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expected_start = models.DateField()
    due_by = models.DateField(db_index=True)
    status = models.CharField(
        max_length=20,
        choices=DestinationCheckStatus.choices,
        default=DestinationCheckStatus.PENDING,
    )
    new_pupil_return = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_by"]
        indexes = [models.Index(fields=["status", "due_by"])]

    def __str__(self) -> str:
        return f"Expected at {self.destination} by {date_words(self.due_by, short_month=True)}"

    @property
    def destination(self) -> str:
        if self.destination_school_id:
            return str(self.destination_school)
        return f"{self.deletion.destination_reference} (not in GIAS)"
