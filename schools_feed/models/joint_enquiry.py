"""Joint reasonable enquiries before a deletion on the absence grounds (Ground I, 9(1)(i), and
the leave-of-absence ground; docs/rules/registration.md §5).

A school opens a joint enquiry from its portal before it deletes a pupil whose whereabouts it does
not know. It reaches the LA as a CME referral (``referral``), matched and routed like any other
return; the school's enquiries are rows here, the LA's are the CME enquiries its officer records
on the child's CME episode (``registry.CMEEnquiry``). A deletion return on these grounds links to
the joint enquiry it rests on (``Notification.joint_enquiry``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.dates import date_words
from registry.models import EnquiryType, School

# The school's enquiries: the register's CME enquiry types a school makes itself, and the
# admissions check (has another school offered a place?) from LA procedures (Ealing's).
ADMISSIONS = "admissions"
SCHOOL_ENQUIRY_CHOICES = [
    (EnquiryType.PHONE.value, "Phoned every number held, including emergency contacts"),
    (EnquiryType.EMAIL.value, "Emailed every address held"),
    (EnquiryType.LETTER.value, "Letter to the home address"),
    (EnquiryType.HOME_VISIT.value, EnquiryType.HOME_VISIT.label),
    (EnquiryType.SIBLINGS_SCHOOL.value, "Asked siblings' schools"),
    (ADMISSIONS, "Asked admissions whether another school has offered a place"),
    (EnquiryType.PREVIOUS_SCHOOL.value, EnquiryType.PREVIOUS_SCHOOL.label),
    (EnquiryType.LOST_PUPIL_DATABASE.value, EnquiryType.LOST_PUPIL_DATABASE.label),
    (EnquiryType.OTHER.value, EnquiryType.OTHER.label),
]


class JointEnquiry(models.Model):
    """A school's joint enquiry about one pupil it cannot find, opened before deleting them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="joint_enquiries")
    # The CME referral that carries it to the LA (matched and routed like any return).
    referral = models.OneToOneField(
        "schools_feed.Notification",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joint_enquiry_opened",
    )
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The pupil as the one-pupil return form asks; the referral holds the rest (parents, phone).
    upn = models.CharField("UPN", max_length=13, blank=True, db_index=True)
    legal_forenames = models.CharField(max_length=100)
    legal_surname = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    last_attended_date = models.DateField("last attended")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name_plural = "joint enquiries"
        indexes = [models.Index(fields=["school", "opened_at"])]

    def __str__(self) -> str:
        opened = date_words(self.opened_on, short_month=True)
        return f"Joint enquiry: {self.legal_forenames} {self.legal_surname}, opened {opened}"

    @property
    def opened_on(self):
        return timezone.localdate(self.opened_at)

    @property
    def child_id(self):
        return self.referral.child_id if self.referral_id else None


class SchoolEnquiry(models.Model):
    """One enquiry the school made to find the pupil."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    joint_enquiry = models.ForeignKey(
        JointEnquiry, on_delete=models.CASCADE, related_name="school_enquiries"
    )
    enquiry_type = models.CharField(max_length=20, choices=SCHOOL_ENQUIRY_CHOICES)
    made_on = models.DateField()
    outcome = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["made_on"]
        verbose_name_plural = "school enquiries"

    def __str__(self) -> str:
        return f"{self.get_enquiry_type_display()} on {date_words(self.made_on, short_month=True)}"
