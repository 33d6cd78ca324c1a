"""The Splink model that matches returns to children, kept as a versioned record (ADR 0012)."""

from django.conf import settings as django_settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class MatchingModel(models.Model):
    """One trained matching model: Splink's settings with the m and u it learnt, as Splink saves
    them, and what it was trained on. The highest adopted version is the one in use; every link
    records the version that made it. Version 0 is the hand-set starting model
    (``linkage.default_settings``) used until the LA's own has been trained."""

    version = models.PositiveIntegerField(unique=True)
    settings = models.JSONField(help_text="Splink's settings and trained parameters")
    term_frequencies = models.JSONField(default=dict, blank=True)
    trained_at = models.DateTimeField(default=timezone.now)
    trained_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who or what trained it in words: "the nightly schedule", a user, "the starting parameters".
    trained_by_label = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=300)
    register_size = models.PositiveIntegerField(default=0)
    returns_count = models.PositiveIntegerField(default=0)
    data_from = models.DateField(null=True, blank=True)
    data_to = models.DateField(null=True, blank=True)
    # How a trained version and the version in use matched the returns whose child has been
    # decided, and whether that let it be adopted (``matching_model.model_judge``).
    evaluation = models.JSONField(default=dict, blank=True)
    # Matching uses the highest adopted version. A trained version is adopted by the weekly
    # training only when it does no worse than the version in use on the returns officers
    # decided, or by the data manager (``train_matching_model --adopt``): EM can learn households
    # rather than children (ADR 0012).
    adopted_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Matching model version {self.version}"


class PossibleDuplicate(models.Model):
    """Two children on the register the matching model thinks may be one child, found by
    ``find_duplicate_children`` (Splink deduplication and clustering). Each run replaces the list;
    an officer compares the two and merges them through the register's merge journey."""

    child = models.ForeignKey("registry.Child", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("registry.Child", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    cluster = models.CharField(max_length=64, blank=True)
    evidence = models.JSONField(default=list, blank=True)
    model_version = models.PositiveIntegerField()
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-probability"]
        constraints = [
            models.UniqueConstraint(fields=["child", "other"], name="possible_duplicate_once")
        ]

    def __str__(self) -> str:
        return f"Possible duplicate ({self.probability:.2f})"


class NotTheSameChild(models.Model):
    """An officer's decision that two children the check for children recorded twice paired are
    two children (twins, namesakes born the same day): the check does not list them again. Kept
    with its reason, who decided and when, and its history. The pair is stored once, the lower
    id first, whichever way round it was listed. The fields are not named ``child``, so a merge
    does not move them: a decision about two records stays about those two."""

    first_child = models.ForeignKey("registry.Child", on_delete=models.CASCADE, related_name="+")
    second_child = models.ForeignKey("registry.Child", on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    decided_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["first_child", "second_child"], name="not_the_same_child_once"
            ),
            models.CheckConstraint(
                condition=models.Q(first_child__lt=models.F("second_child")),
                name="not_the_same_child_in_order",
            ),
        ]

    def __str__(self) -> str:
        return "Not the same child"
