"""Episodes no longer hold a key into the schools feed (ADR 0010): the return that opened a
case is recorded on the return (schools_feed/migrations/0007 copied it there first)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0011_school_joins_the_register"),
        ("schools_feed", "0007_notification_records_the_episode_it_opened"),
    ]

    operations = [
        migrations.RemoveField(model_name="cmeepisode", name="opening_notification"),
        migrations.RemoveField(model_name="eheepisode", name="opening_notification"),
        migrations.RemoveField(model_name="historicalcmeepisode", name="opening_notification"),
        migrations.RemoveField(model_name="historicaleheepisode", name="opening_notification"),
    ]
