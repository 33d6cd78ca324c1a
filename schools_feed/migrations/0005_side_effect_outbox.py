"""Side effects that survive a broker outage (ADR 0009): when a confirmed file was last sent to a
worker, so the sweeper queues it again only once its task must have been lost."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("schools_feed", "0004_submission_integrity")]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
