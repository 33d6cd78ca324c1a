"""Submissions: the duplicate-file check is per school, and a file's removal is recorded (its
content is kept for FEED_FILE_RETENTION_DAYS, the record for good)."""

from django.db import migrations, models

RECEIVED = ("queued", "processing", "imported")


class Migration(migrations.Migration):
    dependencies = [("schools_feed", "0003_offrolling_monitor")]

    operations = [
        migrations.RemoveConstraint(
            model_name="submission",
            name="one_submission_per_file",
        ),
        migrations.AddField(
            model_name="submission",
            name="file_removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("file_sha256", ""), _negated=True),
                    ("status__in", RECEIVED),
                    ("school__isnull", False),
                ),
                fields=("school", "file_sha256"),
                name="one_submission_per_school_file",
            ),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("file_sha256", ""), _negated=True),
                    ("status__in", RECEIVED),
                    ("school__isnull", True),
                ),
                fields=("file_sha256",),
                name="one_several_schools_submission_per_file",
            ),
        ),
    ]
