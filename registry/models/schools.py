"""Schools from Get Information about Schools (GIAS), keyed by URN.

The register's own reference data: children's previous and located schools, officers'
assignment by school and school users' links all point here, so schools live in the lower app
and the schools feed (which imports GIAS extracts and receives returns) builds on them
(docs/adr/0010-app-layers.md).
"""

from django.db import models


class EstablishmentTypeGroup(models.TextChoices):
    # GIAS "EstablishmentTypeGroup (name)" values (docs/rules/formats.md §4.3).
    LA_MAINTAINED = "la_maintained", "Local authority maintained schools"
    ACADEMY = "academy", "Academies"
    FREE_SCHOOL = "free_school", "Free schools"
    INDEPENDENT = "independent", "Independent schools"
    SPECIAL = "special", "Special schools"
    PRU_AP = "pru_ap", "Pupil referral units and alternative provision"
    COLLEGE = "college", "Colleges"
    OTHER = "other", "Other types"


# GIAS "TypeOfEstablishment (code)" of schools specially organised for pupils with SEN, whatever
# their group (docs/rules/formats.md §4.3, docs/rules/ehe.md §5): community special (7),
# non-maintained special (8), other independent special (10), foundation special (12), academy
# special sponsor led (33), free schools special (36), academy special converter (44). GIAS files
# the academies and free schools under their own groups and independent special schools under
# "Independent schools", so the group alone misses them.
SPECIAL_SCHOOL_TYPE_CODES = frozenset({"7", "8", "10", "12", "33", "36", "44"})
# The same types by GIAS name, for a school whose extract gave names and no codes; special
# post-16 institutions are not schools of compulsory school age pupils.
SPECIAL_SCHOOL_TYPE_NAMES = frozenset(
    {
        "community special school",
        "foundation special school",
        "non-maintained special school",
        "other independent special school",
        "academy special sponsor led",
        "academy special converter",
        "free schools special",
    }
)
# The NC year of a school's most senior class from its statutory high age: a pupil leaves Year 6
# at 11, Year 11 at 16 and Year 13 at 18 (docs/rules/registration.md §3.3).
NC_YEAR_BELOW_AGE = 5
OLDEST_NC_YEAR = 13


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
        # The table keeps the name it had when schools lived in the schools feed.
        db_table = "schools_feed_school"

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"

    @property
    def is_special_school(self) -> bool:
        """A special school of any kind: maintained, academy, free, non-maintained or independent
        (s.434A Condition A, docs/rules/ehe.md §5). Read from the establishment type; the GIAS
        group only when the extract gave no type."""
        if self.type_code or self.type_name:
            return (
                self.type_code.strip() in SPECIAL_SCHOOL_TYPE_CODES
                or self.type_name.strip().lower() in SPECIAL_SCHOOL_TYPE_NAMES
            )
        return self.type_group == EstablishmentTypeGroup.SPECIAL

    @property
    def most_senior_nc_year(self) -> str:
        """The NC year of the school's most senior class, from GIAS's statutory high age; "" when
        GIAS gives none (docs/rules/registration.md §3.3)."""
        if not self.statutory_high_age or self.statutory_high_age <= NC_YEAR_BELOW_AGE:
            return ""
        return str(min(self.statutory_high_age - NC_YEAR_BELOW_AGE, OLDEST_NC_YEAR))
