"""School calendars: the LA's term dates and the days a school (or every school) is closed in term.

The clocks the law counts in school days read these through ``registry/school_days.py``
(docs/rules/registration.md §5.3). Administrators import them from CSV files or edit them in
the admin.
"""

from django.db import models
from simple_history.models import HistoricalRecords

from registry.models.schools import School


class Term(models.Model):
    """A term (or half term) of the LA's calendar, for every school in the LA. Terms do not
    overlap: the import refuses one that would (``registry/services/calendar.py``)."""

    name = models.CharField(max_length=50, help_text='For example "Autumn 2025".')
    first_day = models.DateField()
    last_day = models.DateField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_day__lte=models.F("last_day")),
                name="term_first_day_not_after_last_day",
            ),
            models.UniqueConstraint(fields=["first_day"], name="term_unique_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.first_day:%d/%m/%Y} to {self.last_day:%d/%m/%Y})"


class ClosureKind(models.TextChoices):
    INSET = "inset", "INSET day"
    CLOSURE = "closure", "Closure"


class ClosureDay(models.Model):
    """A day in term that is not a school day: one school's INSET or closure day, or (with no
    school) a day every school in the LA is closed, such as a bank holiday in term."""

    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closure_days",
        help_text="Leave blank for a day every school in the LA is closed.",
    )
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=ClosureKind.choices, default=ClosureKind.INSET)
    description = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "date"],
                condition=models.Q(school__isnull=False),
                name="closure_day_unique_school_date",
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=models.Q(school__isnull=True),
                name="closure_day_unique_la_date",
            ),
        ]

    def __str__(self) -> str:
        where = self.school.name if self.school_id else "Every school"
        return f"{where}: {self.get_kind_display()} on {self.date:%d/%m/%Y}"
