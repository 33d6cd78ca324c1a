"""The child and what the register knows about them: identity, addresses, carers and flags.

Every model here holds a child's data, so every one keeps full history (style.md, "Audit").
"""

import uuid
from datetime import date

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry import school_age
from registry.names import address_key


class Sex(models.TextChoices):
    # DfE census codes (docs/rules/formats.md §6.2); "U" keeps a child whose sex is not known
    # countable.
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class ChildQuerySet(models.QuerySet):
    def active(self):
        """Children that have not been merged into another record."""
        return self.filter(merged_into__isnull=True)


class Child(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    legal_forenames = models.CharField(max_length=100)
    middle_names = models.CharField(max_length=100, blank=True)
    legal_surname = models.CharField(max_length=100)
    preferred_forename = models.CharField(max_length=100, blank=True)
    preferred_surname = models.CharField(max_length=100, blank=True)
    former_surnames = models.CharField(
        max_length=200, blank=True, help_text="Earlier surnames, separated by commas."
    )
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    ethnicity = models.CharField(max_length=4, blank=True, help_text="DfE ethnicity code.")
    upn = models.CharField("UPN", max_length=13, blank=True, db_index=True)
    former_upn = models.CharField("former UPN", max_length=13, blank=True)
    uln = models.CharField("ULN", max_length=10, blank=True)
    nhs_number = models.CharField("NHS number", max_length=10, blank=True, db_index=True)
    consistent_child_identifier = models.CharField(
        max_length=50,
        blank=True,
        null=True,
        unique=True,
        help_text="The consistent child identifier (s.16LC Children Act 2004), once prescribed.",
    )
    consistent_child_identifier_source = models.CharField(max_length=100, blank=True)
    # Lower-case, accent-free names (legal, preferred and former), kept for partial search.
    search_name = models.CharField(max_length=500, editable=False, db_index=True)
    # "surname|forename", normalised: finds a child by name when a return's date of birth is wrong.
    name_key = models.CharField(max_length=120, editable=False, db_index=True, default="")
    # "S530|T520|2015": the names as they sound, with the year of birth (``registry.names.
    # sound_key``), for matching a return whose surname and day or month of birth are both wrong.
    sound_key = models.CharField(max_length=20, editable=False, db_index=True, default="")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    # A death, recorded by ``child_death_record`` (from a deletion return on the "has died"
    # ground, or by an officer). A school's return gives the day the name was deleted, so the
    # death was on or before it: ``death_recorded_from`` says where the date came from.
    date_of_death = models.DateField(null=True, blank=True)
    death_recorded_from = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set by the retention job (registry/services/retention.py): the identifying details are gone
    # and only what the statistics count remains.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "children"
        ordering = ["legal_surname", "legal_forenames", "date_of_birth"]
        # No index on the name columns: search starts from the trigram index on search_name
        # (migration 0003), and a name index tempts PostgreSQL to walk every child in name order.
        indexes = [
            models.Index(fields=["date_of_birth"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.legal_forenames, self.legal_surname) if part)

    @property
    def preferred_name(self) -> str:
        """The name the child uses, where it differs from the legal one; blank otherwise."""
        parts = (self.preferred_forename, self.preferred_surname)
        return " ".join(part for part in parts if part)

    @property
    def display_name(self) -> str:
        """The legal name, with the name the child uses when it differs."""
        preferred = " ".join(
            part
            for part in (
                self.preferred_forename or self.legal_forenames,
                self.preferred_surname or self.legal_surname,
            )
            if part
        )
        return self.full_name if preferred == self.full_name else f"{self.full_name} ({preferred})"

    @property
    def has_died(self) -> bool:
        return self.date_of_death is not None

    def expected_nc_year(self, on: date | None = None) -> str:
        return school_age.expected_nc_year(self.date_of_birth, on or timezone.localdate())

    def is_compulsory_school_age(self, on: date | None = None) -> bool:
        return school_age.is_compulsory_school_age(self.date_of_birth, on or timezone.localdate())


class EffectiveDatedQuerySet(models.QuerySet):
    def current_on(self, on: date):
        return self.filter(valid_from__lte=on).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on)
        )


class EffectiveDated(models.Model):
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Blank while it still applies.")

    objects = EffectiveDatedQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = []

    def applies_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or self.valid_to >= on)


class InformationSource(models.TextChoices):
    SCHOOL_RETURN = "school_return", "School return"
    CTF = "ctf", "Common transfer file"
    PARENT = "parent", "Parent or carer"
    OFFICER = "officer", "LA officer"
    SOCIAL_CARE = "social_care", "Children's social care"
    HEALTH = "health", "Health"
    POLICE = "police", "Police"
    OTHER_LA = "other_la", "Another local authority"
    ADMISSIONS = "admissions", "Admissions"
    SEN_TEAM = "sen_team", "SEN team"
    MIGRATION = "migration", "Data migration"


class Address(EffectiveDated):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="addresses")
    line_1 = models.CharField(max_length=200)
    line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True, db_index=True)
    source = models.CharField(max_length=20, choices=InformationSource.choices, blank=True)
    # The first line as ``registry.names.address_key`` writes it, for matching a return whose
    # postcode is wrong by the address it gives. Set on every save, and by bulk writers.
    line_key = models.CharField(max_length=200, editable=False, db_index=True, default="")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_from"]
        verbose_name_plural = "addresses"
        indexes = [
            # Search by a postcode district or sector ("RH10", "RH10 6") is a prefix match; on
            # PostgreSQL only a pattern index serves LIKE 'RH10%' under the LA's collation.
            models.Index(
                fields=["postcode"],
                name="address_postcode_prefix",
                opclasses=["varchar_pattern_ops"],
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="address_valid_to_after_valid_from",
            )
        ]

    def __str__(self) -> str:
        return ", ".join(
            part for part in (self.line_1, self.line_2, self.town, self.postcode) if part
        )

    def save(self, *args, **kwargs):
        self.line_key = address_key(self.line_1)
        if kwargs.get("update_fields") is not None and "line_1" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "line_key"}
        super().save(*args, **kwargs)


class Relationship(models.TextChoices):
    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    STEP_PARENT = "step_parent", "Step-parent"
    GRANDPARENT = "grandparent", "Grandparent"
    FOSTER_CARER = "foster_carer", "Foster carer"
    KINSHIP_CARER = "kinship_carer", "Kinship carer"
    CORPORATE_PARENT = "corporate_parent", "Local authority (corporate parent)"
    OTHER = "other", "Other"


class Carer(models.Model):
    """A parent or carer (s.576 Education Act 1996 'parent' is wider than birth parent)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="carers")
    full_name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    has_parental_responsibility = models.BooleanField(default=True)
    lives_with_child = models.BooleanField(default=True)
    phone = models.CharField(max_length=30, blank=True)
    emergency_phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    is_educating = models.BooleanField(
        default=False, help_text="Provides the child's home education (CNIS register item)."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-lives_with_child", "full_name"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_relationship_display()})"


class FlagType(models.TextChoices):
    # Needs and social care status.
    SEN_SUPPORT = "sen_support", "SEN support"
    EHCP = "ehcp", "EHC plan"
    FSM = "fsm", "Free school meals"
    LOOKED_AFTER = "looked_after", "Looked after"
    CHILD_IN_NEED = "child_in_need", "Child in need"
    CHILD_PROTECTION_PLAN = "cp_plan", "Child protection plan"
    SECTION_47_ENQUIRY = "s47_enquiry", "Section 47 enquiry"
    YOUNG_CARER = "young_carer", "Young carer"
    GYPSY_ROMA_TRAVELLER = "grt", "Gypsy, Roma or Traveller"
    EAL = "eal", "English as an additional language"
    # Children at particular risk of missing education (docs/rules/cme.md §5).
    REFUGE = "refuge", "Living in a domestic abuse refuge"
    HOMELESS = "homeless", "Homeless or in temporary accommodation"
    MEDICAL_OR_EMOTIONAL = "medical_emotional", "Long-term medical or emotional needs"
    TRANSIENT_FAMILY = "transient", "Transient family"
    PERMANENTLY_EXCLUDED = "pex", "Permanently excluded"
    MIGRANT = "migrant", "Migrant or seeking asylum"
    ARMED_FORCES = "armed_forces", "Armed Forces family"
    YOUNG_OFFENDER = "young_offender", "Young offender"
    RUNAWAY = "runaway", "Young runaway"
    TEENAGE_PARENT = "teenage_parent", "Teenage mother or parent"
    AWAITING_PLACE = "awaiting_place", "Awaiting a school place (admissions, Fair Access or SEND)"
    PRIVATE_FOSTERING = "private_fostering", "Privately fostered"
    EXPLOITATION_RISK = "exploitation", "At risk of sexual or criminal exploitation"
    TRAFFICKING_RISK = "trafficking", "At risk of trafficking"
    RADICALISATION_RISK = "radicalisation", "At risk of radicalisation"
    AT_RISK_OF_CME = "at_risk_cme", "At risk of missing education (ten-day absence)"


# Flags that call for child protection procedures ahead of CME procedures (docs/rules/cme.md §6).
SAFEGUARDING_FLAGS = frozenset(
    {
        FlagType.LOOKED_AFTER,
        FlagType.CHILD_IN_NEED,
        FlagType.CHILD_PROTECTION_PLAN,
        FlagType.SECTION_47_ENQUIRY,
        FlagType.EXPLOITATION_RISK,
        FlagType.TRAFFICKING_RISK,
        FlagType.RADICALISATION_RISK,
    }
)
# Flags held back on screen until asked for, and the viewing logged
# (docs/rules/data-protection.md §3).
SENSITIVE_FLAGS = SAFEGUARDING_FLAGS | {FlagType.MEDICAL_OR_EMOTIONAL}


class ChildFlag(EffectiveDated):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="flags")
    flag_type = models.CharField(max_length=20, choices=FlagType.choices)
    source = models.CharField(max_length=20, choices=InformationSource.choices)
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["flag_type", "-valid_from"]
        indexes = [models.Index(fields=["flag_type", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="flag_valid_to_after_valid_from",
            )
        ]

    def __str__(self) -> str:
        return self.get_flag_type_display()

    @property
    def is_sensitive(self) -> bool:
        return self.flag_type in SENSITIVE_FLAGS
