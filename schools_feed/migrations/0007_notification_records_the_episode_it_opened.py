"""The return that opened a case is recorded on the return, not on the case (ADR 0010: the
register sits below the feed and holds no key into it). Adds ``opened_ehe_episode`` and
``opened_cme_episode`` to notifications and copies the episodes' ``opening_notification`` into
them; registry/migrations/0012 then drops the episodes' column.

The new fields hide their reverse accessor ("+") until the episodes' own
``opening_notification`` field is gone; 0008 gives them the name the register reads.

A return could open more than one case of the same register (a link undone and the return
routed again for another child). A notification now records one case of each:
the one on the child the return is linked to, else the latest opened. Those episodes' keys are
the only thing not carried over. The notifications' historical rows get the case from the time
it was opened, so an "as at" reading of a return agrees with its episode.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery

REGISTERS = (("opened_ehe_episode", "EHEEpisode"), ("opened_cme_episode", "CMEEpisode"))


def _check_keys_now(schema_editor):
    """PostgreSQL checks deferred foreign keys at commit, and refuses to drop a foreign key (as
    the reverse does next) on a table with checks still pending: run them now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def episodes_to_notifications(apps, schema_editor):
    Notification = apps.get_model("schools_feed", "Notification")
    HistoricalNotification = apps.get_model("schools_feed", "HistoricalNotification")
    for field, model in REGISTERS:
        Episode = apps.get_model("registry", model)
        opened_by = Episode.objects.filter(opening_notification_id=OuterRef("pk"))
        # Latest first, then again for the linked child's own episodes, which win. (Two passes:
        # SQLite cannot read the outer row in a subquery's ORDER BY inside an UPDATE.)
        for episodes in (opened_by, opened_by.filter(child_id=OuterRef("child_id"))):
            latest = episodes.order_by("-created_at", "-pk").values("pk")[:1]
            Notification.objects.filter(Exists(episodes)).update(
                **{f"{field}_id": Subquery(latest)}
            )
        since_opened = Notification.objects.filter(
            pk=OuterRef("id"), **{f"{field}__created_at__lte": OuterRef("history_date")}
        ).values(f"{field}_id")[:1]
        recorded = Notification.objects.filter(**{f"{field}__isnull": False}).values("pk")
        HistoricalNotification.objects.filter(id__in=recorded).update(
            **{f"{field}_id": Subquery(since_opened)}
        )
    _check_keys_now(schema_editor)


def notifications_to_episodes(apps, schema_editor):
    Notification = apps.get_model("schools_feed", "Notification")
    for field, model in REGISTERS:
        Episode = apps.get_model("registry", model)
        HistoricalEpisode = apps.get_model("registry", f"Historical{model}")
        opener = Notification.objects.filter(**{f"{field}_id": OuterRef("pk")}).values("pk")[:1]
        Episode.objects.filter(Exists(opener)).update(opening_notification_id=Subquery(opener))
        historical_opener = Notification.objects.filter(**{f"{field}_id": OuterRef("id")}).values(
            "pk"
        )[:1]
        HistoricalEpisode.objects.filter(Exists(historical_opener)).update(
            opening_notification_id=Subquery(historical_opener)
        )
    _check_keys_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0011_school_joins_the_register"),
        ("schools_feed", "0006_school_moves_to_registry"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalnotification",
            name="opened_cme_episode",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="registry.cmeepisode",
            ),
        ),
        migrations.AddField(
            model_name="historicalnotification",
            name="opened_ehe_episode",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="registry.eheepisode",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="opened_cme_episode",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="registry.cmeepisode",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="opened_ehe_episode",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="registry.eheepisode",
            ),
        ),
        migrations.RunPython(episodes_to_notifications, notifications_to_episodes),
    ]
