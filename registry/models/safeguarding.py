"""Safeguarding alerts: a child with a safeguarding flag whose case just became EHE or CME, or who
gained such a flag while a case is open (docs/rules/cme.md §6). The rule is
``registry.services.safeguarding``; this is the record of each alert, who it went to and who
acknowledged it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.models.episodes import AT_MOST_ONE_EPISODE


class SafeguardingTrigger(models.TextChoices):
    EHE_OPENED = "ehe_opened", "Withdrawn to home education"
    CME_OPENED = "cme_opened", "Became missing education"
    FLAG_ADDED = "flag_added", "Safeguarding flag recorded while a case is open"


class SafeguardingAlertQuerySet(models.QuerySet):
    def unacknowledged(self):
        return self.filter(acknowledged_at__isnull=True)

    def addressed_to(self, user):
        """Alerts for this officer, and for her team when the alert went to a team."""
        query = models.Q(addressed_to=user)
        if user.team:
            query |= models.Q(addressed_team=user.team)
        return self.filter(query)


class SafeguardingAlert(models.Model):
    """One alert: what triggered it, on which episode, to whom, the same-day action it gave, and
    who acknowledged it and when. ``key`` makes it idempotent: the same trigger for the same
    episode (and flag) is one alert however often the path runs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(max_length=120, unique=True, editable=False)
    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, related_name="safeguarding_alerts"
    )
    ehe_episode = models.ForeignKey(
        "registry.EHEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safeguarding_alerts",
    )
    cme_episode = models.ForeignKey(
        "registry.CMEEpisode",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safeguarding_alerts",
    )
    trigger = models.CharField(max_length=20, choices=SafeguardingTrigger.choices)
    grounds = models.CharField(max_length=300, help_text="The flags or concerns that raised it.")
    raised_on = models.DateField(default=timezone.localdate)
    addressed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safeguarding_alerts",
    )
    addressed_team = models.CharField(max_length=100, blank=True)
    action = models.OneToOneField(
        "registry.Action", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = SafeguardingAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=AT_MOST_ONE_EPISODE, name="safeguarding_alert_one_episode"
            ),
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True)
                | models.Q(acknowledged_by__isnull=False),
                name="safeguarding_alert_acknowledged_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Safeguarding alert: {self.get_trigger_display()} ({self.grounds})"

    @property
    def episode(self):
        return self.ehe_episode or self.cme_episode
