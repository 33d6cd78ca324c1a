"""The episode lifecycle enforced by the database (docs/rules/episode-lifecycle.md §3).

- At most one open EHE episode and one open CME episode per child: a partial unique index on the
  child where the end date is empty (SQLite and PostgreSQL both have partial indexes).
- An end date exactly when the status is a closing one.

Existing data could violate both, and then this migration fails on that table and changes
nothing. Before this release the legacy migration (``migrate_register``) neither checked for an
open episode nor refused an end date on an open status, and the admin could edit status and end
date freely. Find the rows first:

    EHEEpisode.objects.filter(end_date__isnull=True).values("child").annotate(n=Count("id"))
        .filter(n__gt=1)
    EHEEpisode.objects.filter(status__in=EHE_CLOSED_STATUSES, end_date__isnull=True)
    EHEEpisode.objects.exclude(status__in=EHE_CLOSED_STATUSES).filter(end_date__isnull=False)

(the same for CMEEpisode with CME_CLOSED_STATUSES) and have an officer close or correct each
through the services, which record a status event, before migrating.
"""

from django.db import migrations, models

EHE_CLOSED = ["became_cme", "closed", "moved_away", "over_csa", "returned_to_school"]
CME_CLOSED = ["closed", "confirmed_abroad", "located_ehe", "located_other_la", "located_school"]


def _constraints(kind: str, closed: list[str]) -> list:
    return [
        models.UniqueConstraint(
            condition=models.Q(end_date__isnull=True),
            fields=("child",),
            name=f"{kind}_one_open_episode_per_child",
        ),
        models.CheckConstraint(
            condition=(models.Q(status__in=closed) & models.Q(end_date__isnull=False))
            | (~models.Q(status__in=closed) & models.Q(end_date__isnull=True)),
            name=f"{kind}_end_date_exactly_when_closed",
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_backfill_reason_changes")]

    operations = [
        *(
            migrations.AddConstraint(model_name="eheepisode", constraint=constraint)
            for constraint in _constraints("ehe", EHE_CLOSED)
        ),
        *(
            migrations.AddConstraint(model_name="cmeepisode", constraint=constraint)
            for constraint in _constraints("cme", CME_CLOSED)
        ),
    ]
