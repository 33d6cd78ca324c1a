"""The children-not-in-school (CNIS) register of the Children's Wellbeing and Schools Act 2026
(new ss.436B-436G of the Education Act 1996; docs/rules/ehe.md §6, ADR 0016).

The register is kept only from ``cnis_register_commenced_on`` in the statutory rulebook. Most of
what s.436C asks for is already on the child's record (name, date of birth, addresses with their
dates, each parent with their address and whether they educate, the flags the optional
information reads): a registration adds what only the register holds, namely why the child is
eligible (Condition C), the parents' estimates of time, and the requests the LA sends about it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words


class CNISCondition(models.TextChoices):
    """s.436B Condition C: why a child of compulsory school age living in the area is eligible."""

    NOT_ON_A_ROLL = "a", "C(a): not a registered pupil at a relevant school"
    EDUCATED_ELSEWHERE = (
        "b",
        (
            "C(b): on a school's roll, but the school has arranged or agreed education elsewhere "
            "for some of the time (flexi-schooling, off-site provision, a part-time timetable)"
        ),
    )
    PART_TIME_STUDENT = "c", "C(c): a part-time student at a further education institution"


class CNISEndReason(models.TextChoices):
    EPISODE_CLOSED = "episode_closed", "Home education ended"
    FULL_TIME_AT_SCHOOL = "full_time_at_school", "Now educated full time at a school"
    MOVED_AWAY = "moved_away", "No longer lives in the area"
    OVER_COMPULSORY_SCHOOL_AGE = "over_csa", "Past compulsory school age"
    DIED = "died", "Died"
    RECORDED_IN_ERROR = "error", "Registered in error"


class CNISRegistration(models.Model):
    """One period on the CNIS register. At most one open registration per child."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="cnis_registrations"
    )
    condition = models.CharField(
        "why the child is eligible (Condition C)", max_length=1, choices=CNISCondition.choices
    )
    # Condition C(a) through home education: the EHE case the registration follows.
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cnis_registrations",
    )
    # Conditions C(b) and C(c): the school or institution on whose roll the child is.
    school = models.ForeignKey(
        "registry.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    arrangement = models.CharField(
        "the arrangement (C(b) and C(c))",
        max_length=300,
        blank=True,
        help_text="For example 'flexi-schooling: at school Monday to Wednesday'.",
    )
    registered_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=CNISEndReason.choices, blank=True)
    # s.436C(1)(d) and (da), as amended in the Lords: estimates of the overall time a week.
    hours_from_parents = models.DecimalField(
        "estimated hours a week of education from parents",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
    )
    hours_from_others = models.DecimalField(
        "estimated hours a week of education from others",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
    )
    # Optional information (s.436C(2)): given by parents voluntarily, or from the LA's records.
    reason_for_eligibility = models.TextField("the reason the child is eligible", blank=True)
    # The last day the parents gave or confirmed the register information: the update schedule
    # counts from it (docs/rules/ehe.md §6).
    information_confirmed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-registered_on"]
        verbose_name = "CNIS registration"
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(ended_on__isnull=True),
                name="cnis_one_open_registration_per_child",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("registered_on")),
                name="cnis_ended_after_registered",
            ),
            models.CheckConstraint(
                condition=(models.Q(ended_on__isnull=True) & models.Q(end_reason=""))
                | (models.Q(ended_on__isnull=False) & ~models.Q(end_reason="")),
                name="cnis_end_reason_exactly_when_ended",
            ),
            # On a roll (C(b), C(c)) means a school is named; not on one (C(a)) means none is.
            models.CheckConstraint(
                condition=(models.Q(condition="a") & models.Q(school__isnull=True))
                | (models.Q(condition__in=["b", "c"]) & models.Q(school__isnull=False)),
                name="cnis_school_exactly_when_on_a_roll",
            ),
            models.CheckConstraint(
                condition=models.Q(ehe_episode__isnull=True) | models.Q(condition="a"),
                name="cnis_home_education_is_condition_a",
            ),
        ]

    def __str__(self) -> str:
        since = date_words(self.registered_on, short_month=True)
        text = f"On the CNIS register from {since} (Condition C({self.condition}))"
        if self.ended_on:
            text += f" to {date_words(self.ended_on, short_month=True)}"
        return text

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


class CNISRequestKind(models.TextChoices):
    UPDATE = "update", "Request to update the register information"
    HOME_VISIT = "home_visit", "Request for a home visit"
    PROVIDER_INFORMATION = "provider", "Request to a provider for information"


class CNISRequestStatus(models.TextChoices):
    OPEN = "open", "Awaiting an answer"
    ANSWERED = "answered", "Answered"
    VISITED = "visited", "Visit took place"
    NOT_COMPLIED = "not_complied", "Not complied with by the date"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn by the LA"


# Outcomes that are non-compliance: the parent may then be given notice to satisfy the LA (the
# preliminary notice of the 2026 procedure, or s.437(1) before it; docs/rules/ehe.md §6).
CNIS_NON_COMPLIANCE = frozenset({CNISRequestStatus.NOT_COMPLIED, CNISRequestStatus.REFUSED})


class CNISRequest(models.Model):
    """A request the LA sends about a registration, with its date to answer and its outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    registration = models.ForeignKey(
        CNISRegistration, on_delete=models.PROTECT, related_name="requests"
    )
    kind = models.CharField(max_length=10, choices=CNISRequestKind.choices)
    # A provider information request (s.436E) names the provider asked.
    provider = models.ForeignKey(
        "registry.EHEProvider", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_on = models.DateField()
    respond_by = models.DateField("answer or visit by")
    # Blank: sent by the nightly schedule.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=15, choices=CNISRequestStatus.choices, default=CNISRequestStatus.OPEN
    )
    closed_on = models.DateField(null=True, blank=True)
    visit_on = models.DateField("the day of the visit", null=True, blank=True)
    outcome = models.TextField(blank=True)
    # The parent's answer through the portal, where it came that way.
    parent_submission = models.ForeignKey(
        "registry.ParentSubmission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-sent_on"]
        verbose_name = "CNIS request"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(respond_by__gte=models.F("sent_on")),
                name="cnis_request_answer_after_sent",
            ),
            models.CheckConstraint(
                condition=(models.Q(status="open") & models.Q(closed_on__isnull=True))
                | (~models.Q(status="open") & models.Q(closed_on__isnull=False)),
                name="cnis_request_closed_on_exactly_when_closed",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="provider") & models.Q(provider__isnull=False))
                | (~models.Q(kind="provider") & models.Q(provider__isnull=True)),
                name="cnis_request_provider_exactly_when_asked",
            ),
            models.UniqueConstraint(
                fields=["registration", "kind"],
                condition=models.Q(status="open") & ~models.Q(kind="provider"),
                name="cnis_one_open_request_of_a_kind",
            ),
        ]

    def __str__(self) -> str:
        sent = date_words(self.sent_on, short_month=True)
        by = date_words(self.respond_by, short_month=True)
        return f"{self.get_kind_display()}, sent {sent}, by {by}: {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == CNISRequestStatus.OPEN
