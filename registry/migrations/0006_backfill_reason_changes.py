"""Primary reasons changed before reason changes were dated rows: read them once out of
django-simple-history, dated the day the change was saved (Europe/London)."""

from django.db import migrations
from django.utils import timezone


def _backfill(apps, episode_model: str, episode_field: str) -> None:
    History = apps.get_model("registry", f"Historical{episode_model}")
    EpisodeReasonChange = apps.get_model("registry", "EpisodeReasonChange")
    rows = (
        History.objects.order_by("id", "history_date", "history_id")
        .values_list("id", "child_id", "start_date", "primary_reason", "history_date", "history_user_id")
        .iterator(chunk_size=5000)
    )
    changes, last_id, last_reason = [], None, None
    for episode_id, child_id, start_date, reason, history_date, user_id in rows:
        if episode_id == last_id and reason != last_reason:
            changes.append(
                EpisodeReasonChange(
                    child_id=child_id,
                    from_reason=last_reason,
                    to_reason=reason,
                    effective_date=max(timezone.localdate(history_date), start_date),
                    why="Read from the record's history when reason changes became dated.",
                    changed_by_id=user_id,
                    changed_at=history_date,
                    **{f"{episode_field}_id": episode_id},
                )
            )
        last_id, last_reason = episode_id, reason
    EpisodeReasonChange.objects.bulk_create(changes, batch_size=5000)


def backfill(apps, schema_editor):
    _backfill(apps, "EHEEpisode", "ehe_episode")
    _backfill(apps, "CMEEpisode", "cme_episode")


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_reporting_snapshots_and_reason_changes")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
