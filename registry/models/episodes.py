"""EHE and CME episodes, their status lifecycles and the domain events around them.

Status changes are recorded as rows (EpisodeStatusChange) with an effective date, so any count can
be reproduced "as at" a past date without reading history tables (style.md: audit meaning is never
inferred from history counts).
"""

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words


class EHEStatus(models.TextChoices):
    NOTIFIED = "notified", "Notified"
    FIRST_CONTACT = "first_contact", "First contact made"
    BEING_ASSESSED = "being_assessed", "Education being assessed"
    SUITABLE = "suitable", "Education suitable"
    CONCERNS = "concerns", "Concerns about education"
    UNSUITABLE = "unsuitable", "Education unsuitable"
    S437_NOTICE_SERVED = "s437_notice", "s.437 notice served"
    SAO_STEPS = "sao_steps", "School attendance order steps"
    RETURNED_TO_SCHOOL = "returned_to_school", "Returned to school"
    MOVED_AWAY = "moved_away", "Moved away"
    OVER_COMPULSORY_SCHOOL_AGE = "over_csa", "Over compulsory school age"
    BECAME_CME = "became_cme", "Became CME"
    CLOSED = "closed", "Closed"


EHE_CLOSED_STATUSES = frozenset(
    {
        EHEStatus.RETURNED_TO_SCHOOL,
        EHEStatus.MOVED_AWAY,
        EHEStatus.OVER_COMPULSORY_SCHOOL_AGE,
        EHEStatus.BECAME_CME,
        EHEStatus.CLOSED,
    }
)
EHE_OPEN_STATUSES = frozenset(EHEStatus) - EHE_CLOSED_STATUSES


class EHESource(models.TextChoices):
    SCHOOL_DELETION = "school_deletion", "School deletion return (ground 9(1)(f))"
    PARENT = "parent", "Parent told the LA"
    OTHER_LA = "other_la", "Another local authority"
    NEVER_ENROLLED = "never_enrolled", "Never enrolled at a school"
    CME_ENQUIRY = "cme_enquiry", "Found through CME enquiries"
    PROFESSIONAL = "professional", "Another professional"
    MIGRATION = "migration", "Data migration"


class EHEReason(models.TextChoices):
    """DfE primary reasons, in DfE order (docs/rules/statistics.md §4.1)."""

    MENTAL_HEALTH = "mental_health", "Mental health"
    PHYSICAL_HEALTH = "physical_health", "Physical health"
    COVID = "covid", "Health concerns related to COVID-19"
    DISSATISFACTION_GENERAL = "dissatisfaction_general", "School dissatisfaction: general"
    DISSATISFACTION_SEND = "dissatisfaction_send", "School dissatisfaction: SEND"
    DISSATISFACTION_BULLYING = "dissatisfaction_bullying", "School dissatisfaction: bullying"
    LIFESTYLE = "lifestyle", "Lifestyle"
    PHILOSOPHICAL = "philosophical", "Philosophical or preferential"
    RELIGIOUS = "religious", "Religious"
    RISK_OF_EXCLUSION = "risk_of_exclusion", "Risk of school exclusion"
    PERMANENT_EXCLUSION = "permanent_exclusion", "Permanent exclusion"
    NO_PREFERENCE = "no_preference", "Did not get school preference"
    NO_SUITABLE_PLACE = "no_suitable_place", "Difficulty accessing suitable school place"
    PLACE_NOT_ACCEPTED = "place_not_accepted", "Offered school place but not yet accepted"
    DID_NOT_APPLY = "did_not_apply", "Did not apply for school place at compulsory school age"
    SCHOOL_SUGGESTION = "school_suggestion", "School suggestion"
    OTHER = "other", "Other"
    NO_REASON_GIVEN = "no_reason_given", "No reason given"
    UNKNOWN = "unknown", "Unknown"


class Educator(models.TextChoices):
    PARENTS = "parents", "Parents only"
    PARENTS_AND_OTHERS = "parents_and_others", "Parents and other providers"
    OTHERS = "others", "Other providers only"
    NOT_KNOWN = "not_known", "Not known yet"


class CMEStatus(models.TextChoices):
    ENQUIRIES_OPEN = "enquiries_open", "Enquiries open"
    BELIEVED_ABROAD = "believed_abroad", "Believed moved abroad (unverified)"
    LOCATED_IN_SCHOOL = "located_school", "Located: on a school roll"
    LOCATED_IN_EHE = "located_ehe", "Located: home educated"
    LOCATED_OTHER_LA = "located_other_la", "Located: in another LA (confirmed)"
    CONFIRMED_ABROAD = "confirmed_abroad", "Confirmed abroad"
    # Past the last day of compulsory school age: s.436A no longer applies (docs/rules/cme.md §7).
    OVER_COMPULSORY_SCHOOL_AGE = "over_csa", "Over compulsory school age"
    CLOSED = "closed", "Closed"


# DfE counts "believed abroad" as still missing education (docs/rules/cme.md §7).
CME_OPEN_STATUSES = frozenset({CMEStatus.ENQUIRIES_OPEN, CMEStatus.BELIEVED_ABROAD})
CME_CLOSED_STATUSES = frozenset(CMEStatus) - CME_OPEN_STATUSES


class CMESource(models.TextChoices):
    SCHOOL_DELETION = "school_deletion", "School deletion return"
    SCHOOL_REFERRAL = "school_referral", "School CME referral"
    NON_ARRIVAL = "non_arrival", "Did not arrive at a school"
    OTHER_LA = "other_la", "Another local authority"
    HEALTH = "health", "Health"
    POLICE = "police", "Police"
    PUBLIC = "public", "Member of the public"
    UNSUITABLE_EHE = "unsuitable_ehe", "Home education found unsuitable"
    ADMISSIONS = "admissions", "Admissions"


class CMEReason:
    """The CME primary reason codes the register itself assigns (routing, the "became CME" move,
    the default). They are rows of ``CMEReasonCode``, seeded by migration 0015; the list of
    reasons, their labels and the DfE category each is counted under are that table's, which an
    administrator extends (docs/rules/statistics.md §4.2). Not an enumeration of the reasons."""

    BELIEVED_MOVED_ABROAD = "believed_abroad"
    APPLICATION_AWAITING_OUTCOME = "application_awaiting"
    OFFERED_PLACE_NOT_STARTED = "offered_not_started"
    EHE_UNSUITABLE = "ehe_unsuitable"
    WHEREABOUTS_UNKNOWN = "whereabouts_unknown"
    OTHER = "other"
    UNKNOWN = "unknown"


def validate_cme_reason_code(code: str) -> None:
    """A CME episode's primary reason is a code of the table (active or not, so an episode keeps
    a reason that has since been deactivated). An empty table, which only a flushed test database
    has, refuses nothing."""
    reasons = CMEReasonCode.objects.all()
    if not reasons.filter(code=code).exists() and reasons.exists():
        raise ValidationError(f"'{code}' is not a CME primary reason.", code="unknown_reason")


class CMEReasonCode(models.Model):
    """A CME primary reason as data (docs/rules/statistics.md §4.2): DfE adds reasons (five in
    autumn 2025) and an administrator adds them here, with the DfE category (the label of the row
    of the return) each is counted under. A reason with no category counts under "Other" and the
    return's validation report says so. Episodes keep the code, so a reason is deactivated, never
    deleted."""

    code = models.SlugField(max_length=30, unique=True, help_text="Stored on each CME episode.")
    label = models.CharField(max_length=150, help_text="What officers see and choose.")
    dfe_category = models.CharField(
        "DfE category",
        max_length=150,
        blank=True,
        help_text="The DfE's label of the row of the return this reason is counted in. Leave "
        "blank until known: the reason is then counted under 'Other' and the validation report "
        "lists it.",
    )
    order = models.PositiveSmallIntegerField(
        default=100, help_text="Position in lists and in the return (smallest first)."
    )
    active = models.BooleanField(
        default=True, help_text="Only active reasons can be chosen; episodes keep old ones."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "label"]
        verbose_name = "CME primary reason"

    def __str__(self) -> str:
        return self.label


class TimeMissingBand(models.TextChoices):
    """DfE length-of-time-missing bands (docs/rules/statistics.md §4.3)."""

    UP_TO_12_WEEKS = "le_12_weeks", "12 weeks or less"
    OVER_12_WEEKS = "gt_12_weeks", "More than 12 weeks"
    UNKNOWN = "unknown", "Unknown"


TWELVE_WEEKS_IN_DAYS = 12 * 7


def time_missing_band(missing_since: date | None, on: date) -> str:
    if missing_since is None or missing_since > on:
        return TimeMissingBand.UNKNOWN
    if (on - missing_since).days <= TWELVE_WEEKS_IN_DAYS:
        return TimeMissingBand.UP_TO_12_WEEKS
    return TimeMissingBand.OVER_12_WEEKS


# Casework rows may belong to at most one episode; a status change to exactly one.
ONE_EPISODE_ONLY = (models.Q(ehe_episode__isnull=False) & models.Q(cme_episode__isnull=True)) | (
    models.Q(ehe_episode__isnull=True) & models.Q(cme_episode__isnull=False)
)
AT_MOST_ONE_EPISODE = models.Q(ehe_episode__isnull=True) | models.Q(cme_episode__isnull=True)


def episode_constraints(kind: str, closed_statuses: frozenset) -> list:
    """What must never happen to an episode, whatever writes it (docs/rules/episode-lifecycle.md
    §3): a second open episode of the same register for a child, and an end date that does not
    match the status (an end date exactly when the status is a closing one)."""
    closed = sorted(closed_statuses)
    return [
        models.CheckConstraint(
            condition=models.Q(end_date__isnull=True)
            | models.Q(end_date__gte=models.F("start_date")),
            name=f"{kind}_end_after_start",
        ),
        models.UniqueConstraint(
            fields=["child"],
            condition=models.Q(end_date__isnull=True),
            name=f"{kind}_one_open_episode_per_child",
        ),
        models.CheckConstraint(
            condition=(models.Q(status__in=closed) & models.Q(end_date__isnull=False))
            | (~models.Q(status__in=closed) & models.Q(end_date__isnull=True)),
            name=f"{kind}_end_date_exactly_when_closed",
        ),
    ]


class Episode(models.Model):
    """What EHE and CME episodes share: a child, dates and an officer. The school return that
    opened an episode, if one did, is ``episode.opening_notification``: the schools feed records
    it on its notification (``Notification.opened_ehe_episode``), as the register sits below the
    feed (ADR 0010)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.end_date is None


class ConsentS434A(models.TextChoices):
    """Where an EHE episode stands on the LA's consent to withdraw (docs/rules/ehe.md §5)."""

    NOT_NEEDED = "", "Not needed"
    ADVISORY = "advisory", "Would be needed once s.434A commences"
    AWAITED = "awaited", "Awaited: withdrawal not lawful until the LA consents"
    GIVEN = "given", "Given"
    REFUSED = "refused", "Refused: withdrawal not lawful"


# Consent states in which the withdrawal to home education is not (yet) lawful.
CONSENT_S434A_OUTSTANDING = frozenset({ConsentS434A.AWAITED, ConsentS434A.REFUSED})


class EHEEpisode(Episode):
    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="ehe_episodes"
    )
    status = models.CharField(max_length=20, choices=EHEStatus.choices, default=EHEStatus.NOTIFIED)
    source = models.CharField(max_length=20, choices=EHESource.choices)
    previous_school = models.ForeignKey(
        "registry.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    primary_reason = models.CharField(
        max_length=30, choices=EHEReason.choices, default=EHEReason.UNKNOWN
    )
    secondary_reasons = models.JSONField(default=list, blank=True)
    parent_reason_text = models.TextField("the parent's own words", blank=True)
    educator = models.CharField(
        "who educates", max_length=20, choices=Educator.choices, default=Educator.NOT_KNOWN
    )
    estimated_hours_from_parents = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Estimated hours a week of education from parents (CNIS register item).",
    )
    estimated_hours_from_others = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Estimated hours a week of education from others (CNIS register item).",
    )
    first_contact_date = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True, db_index=True)
    # s.434A (docs/rules/ehe.md §5): whether the withdrawal needed the LA's consent, and where
    # that stands. "Awaited" or "refused" means the withdrawal is not lawful yet.
    consent_s434a = models.CharField(
        "LA consent to withdraw (s.434A)",
        max_length=10,
        choices=ConsentS434A.choices,
        blank=True,
        default=ConsentS434A.NOT_NEEDED,
    )
    consent_s434a_grounds = models.CharField(
        "why consent is needed (s.434A)", max_length=200, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = "EHE episode"
        indexes = [models.Index(fields=["status"]), models.Index(fields=["start_date", "end_date"])]
        constraints = episode_constraints("ehe", EHE_CLOSED_STATUSES)

    def __str__(self) -> str:
        start = date_words(self.start_date, short_month=True)
        return f"EHE from {start} ({self.get_status_display()})"

    kind = "ehe"

    @property
    def consent_s434a_outstanding(self) -> bool:
        """The withdrawal needed the LA's consent and has not got it (docs/rules/ehe.md §5)."""
        return self.consent_s434a in CONSENT_S434A_OUTSTANDING


class ProviderType(models.TextChoices):
    TUTOR = "tutor", "Tutor"
    ONLINE_SCHOOL = "online_school", "Online school"
    TUITION_CENTRE = "tuition_centre", "Tuition centre"
    SETTING = "setting", "Out-of-school setting"
    FLEXI = "flexi", "Flexi-school arrangement"
    OTHER = "other", "Other"


class EHEProvider(models.Model):
    """Someone other than a parent who educates the child (CNIS register, s.436C(1)(e)): on an
    EHE case, or on a CNIS registration of a child on a school's roll (Condition C(b), C(c))."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(
        EHEEpisode, null=True, blank=True, on_delete=models.CASCADE, related_name="providers"
    )
    registration = models.ForeignKey(
        "registry.CNISRegistration",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="providers",
    )
    name = models.CharField(max_length=200)
    provider_type = models.CharField(max_length=20, choices=ProviderType.choices)
    address = models.CharField(max_length=300, blank=True)
    website_or_email = models.CharField(max_length=200, blank=True)
    estimated_hours_per_week = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True
    )
    hours_without_parent_per_week = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(episode__isnull=False) | models.Q(registration__isnull=False),
                name="provider_belongs_to_a_case_or_registration",
            )
        ]

    def __str__(self) -> str:
        return self.name


class EnforcementStepType(models.TextChoices):
    S437_NOTICE = "s437_notice", "s.437(1) notice served"
    NOTICE_OF_INTENTION = "notice_of_intention", "Notice of intention to serve an SAO"
    # The 2026 Act's procedure (ss.436H-436Q), offered once it commences (docs/rules/ehe.md §4).
    PRELIMINARY_NOTICE = "preliminary_notice", "Preliminary notice served"
    SCHOOL_NOMINATION_NOTICE = "school_nomination", "School nomination notice served"
    SAO_ISSUED = "sao_issued", "School attendance order issued"
    SAO_REVOKED = "sao_revoked", "School attendance order revoked"
    PROSECUTION = "prosecution", "Prosecution (s.443)"


# Notices that give the parent time to satisfy the LA, and the steps that must wait for it.
NOTICES_TO_SATISFY = frozenset(
    {EnforcementStepType.S437_NOTICE, EnforcementStepType.PRELIMINARY_NOTICE}
)
NOTICES_NAMING_A_SCHOOL = frozenset(
    {EnforcementStepType.NOTICE_OF_INTENTION, EnforcementStepType.SCHOOL_NOMINATION_NOTICE}
)
STEPS_AFTER_THE_RESPONSE_DATE = NOTICES_NAMING_A_SCHOOL | {EnforcementStepType.SAO_ISSUED}


class EnforcementStep(models.Model):
    """One dated step of the s.437 / SAO pipeline (docs/rules/ehe.md §4); the DfE return counts
    these."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(
        EHEEpisode, on_delete=models.PROTECT, related_name="enforcement_steps"
    )
    step_type = models.CharField(max_length=20, choices=EnforcementStepType.choices)
    served_on = models.DateField()
    respond_by = models.DateField(null=True, blank=True)
    school_named = models.ForeignKey(
        "registry.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    # A notice of intention or an order before the parent's response date: the manager who
    # recorded it (recorded_by) says why (docs/rules/ehe.md §4).
    before_response_date_reason = models.TextField(
        "why this step comes before the parent's response date", blank=True
    )
    # The register of children not in school (ADR 0016): a refused visit or an unanswered request
    # the step follows from, as its grounds (docs/rules/ehe.md §6).
    grounds_request = models.ForeignKey(
        "registry.CNISRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enforcement_steps",
        verbose_name="the register's request not complied with",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["served_on"]

    def __str__(self) -> str:
        text = f"{self.get_step_type_display()} on {date_words(self.served_on, short_month=True)}"
        if self.respond_by and self.step_type in NOTICES_TO_SATISFY:
            text += f"; the parent has until {date_words(self.respond_by, short_month=True)}"
        elif self.respond_by and self.step_type in NOTICES_NAMING_A_SCHOOL:
            by = date_words(self.respond_by, short_month=True)
            text += f"; the parent may choose another school until {by}"
        if self.grounds_request_id:
            text += f"; following the {self.grounds_request.get_kind_display().lower()}"
        return text


class CMEEpisode(Episode):
    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="cme_episodes"
    )
    status = models.CharField(
        max_length=20, choices=CMEStatus.choices, default=CMEStatus.ENQUIRIES_OPEN
    )
    source = models.CharField(max_length=20, choices=CMESource.choices)
    # A CMEReasonCode code (a code, not a key: the table is the LA's list of reasons).
    primary_reason = models.CharField(
        max_length=30, default=CMEReason.UNKNOWN, validators=[validate_cme_reason_code]
    )
    last_seen_date = models.DateField(null=True, blank=True)
    missing_since = models.DateField(null=True, blank=True)
    safeguarding_concerns = models.TextField(blank=True)
    # Moving to another LA: the case stays open until that LA confirms it knows the child.
    other_la_name = models.CharField("other LA", max_length=100, blank=True)
    other_la_notified_on = models.DateField(null=True, blank=True)
    other_la_confirmed_on = models.DateField(null=True, blank=True)
    abroad_evidence = models.TextField(blank=True)
    located_school = models.ForeignKey(
        "registry.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = "CME episode"
        indexes = [models.Index(fields=["status"]), models.Index(fields=["start_date", "end_date"])]
        constraints = episode_constraints("cme", CME_CLOSED_STATUSES)

    def __str__(self) -> str:
        start = date_words(self.start_date, short_month=True)
        return f"CME from {start} ({self.get_status_display()})"

    kind = "cme"

    def time_missing_band(self, on: date | None = None) -> str:
        return time_missing_band(self.missing_since, on or timezone.localdate())


class EnquiryType(models.TextChoices):
    PHONE = "phone", "Phone call"
    LETTER = "letter", "Letter"
    EMAIL = "email", "Email"
    HOME_VISIT = "home_visit", "Home visit"
    PREVIOUS_SCHOOL = "previous_school", "Previous school"
    SIBLINGS_SCHOOL = "siblings_school", "Siblings' schools"
    OTHER_LA = "other_la", "Another local authority"
    LOST_PUPIL_DATABASE = "lost_pupil_db", "School to School / Lost Pupil Database"
    HEALTH = "health", "Health services"
    POLICE = "police", "Police"
    HOUSING = "housing", "Housing"
    SOCIAL_CARE = "social_care", "Children's social care"
    BORDER_FORCE = "home_office", "Home Office"
    OTHER = "other", "Other"


class CMEEnquiry(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(CMEEpisode, on_delete=models.CASCADE, related_name="enquiries")
    enquiry_type = models.CharField(max_length=20, choices=EnquiryType.choices)
    made_on = models.DateField()
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.TextField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-made_on"]
        verbose_name_plural = "CME enquiries"

    def __str__(self) -> str:
        return f"{self.get_enquiry_type_display()} on {date_words(self.made_on, short_month=True)}"


class ReferralTarget(models.TextChoices):
    MASH = "mash", "MASH"
    SOCIAL_CARE = "social_care", "Children's social care"
    EARLY_HELP = "early_help", "Early help"
    POLICE = "police", "Police"


class ReferralOutcome(models.TextChoices):
    AWAITING = "awaiting", "Awaiting outcome"
    ACCEPTED = "accepted", "Accepted for assessment"
    STRATEGY_DISCUSSION = "strategy", "Strategy discussion / s.47 enquiry"
    NO_FURTHER_ACTION = "nfa", "No further action"
    SIGNPOSTED = "signposted", "Signposted to early help"


class SocialCareReferral(models.Model):
    """A referral to MASH or children's social care: CP procedures take precedence over CME ones."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(CMEEpisode, on_delete=models.CASCADE, related_name="referrals")
    referred_to = models.CharField(max_length=20, choices=ReferralTarget.choices)
    referred_on = models.DateField()
    reason = models.TextField()
    outcome = models.CharField(
        max_length=20, choices=ReferralOutcome.choices, default=ReferralOutcome.AWAITING
    )
    outcome_on = models.DateField(null=True, blank=True)
    outcome_note = models.TextField(blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-referred_on"]

    def __str__(self) -> str:
        on = date_words(self.referred_on, short_month=True)
        return f"Referral to {self.get_referred_to_display()} on {on}"


class EpisodeStatusChange(models.Model):
    """A domain event: an episode moved from one status to another on an effective date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="status_changes"
    )
    ehe_episode = models.ForeignKey(
        EHEEpisode, null=True, blank=True, on_delete=models.PROTECT, related_name="status_changes"
    )
    cme_episode = models.ForeignKey(
        CMEEpisode, null=True, blank=True, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    effective_date = models.DateField()
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["effective_date", "changed_at"]
        constraints = [
            models.CheckConstraint(
                condition=ONE_EPISODE_ONLY,
                name="status_change_has_one_episode",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status} on {self.effective_date}"
