"""Who a new case goes to: officer assignment rules, kept by the data manager in the admin."""

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class AssignmentRegister(models.TextChoices):
    EHE = "ehe", "EHE"
    CME = "cme", "CME"


class OfficerAssignmentRule(models.Model):
    """A new episode opened by the register (from a school's return) goes to this officer when
    the return's school is this school, or else when the child lives in this postcode district
    ("RH10"). A school rule wins over an area rule: the school's link officer knows the family's
    history with it. With no rule, the episode waits unassigned for a manager to assign."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    register = models.CharField(max_length=3, choices=AssignmentRegister.choices)
    school_urn = models.CharField(
        "school URN",
        max_length=6,
        blank=True,
        help_text="Returns from this school. Leave blank for an area rule.",
    )
    postcode_district = models.CharField(
        max_length=4,
        blank=True,
        help_text='The first half of the postcode, for example "RH10". Leave blank for a school '
        "rule.",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignment_rules"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["register", "school_urn", "postcode_district"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(school_urn="") & ~models.Q(postcode_district=""))
                | (~models.Q(school_urn="") & models.Q(postcode_district="")),
                name="assignment_rule_school_or_area",
            ),
            models.UniqueConstraint(
                fields=["register", "school_urn", "postcode_district"],
                name="assignment_rule_unique",
            ),
        ]

    def __str__(self) -> str:
        where = f"school {self.school_urn}" if self.school_urn else self.postcode_district
        return f"{self.get_register_display()} cases for {where}: {self.officer}"

    @property
    def basis(self) -> str:
        """How the page says why the case went to this officer."""
        if self.school_urn:
            return f"the return's school (URN {self.school_urn})"
        return f"the family's postcode district ({self.postcode_district})"
