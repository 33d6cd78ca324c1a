"""People who sign in, and the role that decides what they may see (product.md, "Who uses it")."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    SCHOOL_USER = "school_user", "School user"
    EHE_OFFICER = "ehe_officer", "EHE officer"
    CME_OFFICER = "cme_officer", "CME officer"
    INCLUSION_LEAD = "inclusion_lead", "Inclusion lead"
    DCS = "dcs", "DCS and performance analyst"
    ADMINISTRATOR = "administrator", "Data manager / administrator"
    # A parent or carer using the parent portal (ADR 0014): sees only their own children.
    PARENT = "parent", "Parent or carer"


# What each role may do is the capability table in registry/access.py, not properties here.
class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    # A school user may act for several schools (a trust's data manager, say).
    schools = models.ManyToManyField("registry.School", blank=True, related_name="users")
    team = models.CharField(max_length=100, blank=True, help_text="Team, for caseload reports.")

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
