"""A death reported by a school recorded on the child (filled in by the feed-journeys work)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0008_access_log_requests")]

    operations = [
        migrations.AddField(
            model_name="child",
            name="date_of_death",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="child",
            name="death_recorded_from",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="historicalchild",
            name="date_of_death",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalchild",
            name="death_recorded_from",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
