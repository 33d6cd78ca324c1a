# Deletion grounds and returns (docs/rules/registration.md §6): a return's "Lost pupil" field,
# and destination checks for destinations outside the LA or not in GIAS, which wait for an
# officer to confirm the arrival.
import django.db.models.deletion
from django.db import migrations, models

CHECK_STATUSES = [
    ("pending", "Waiting for the new pupil return"),
    ("confirmed", "Confirmed by the destination school"),
    ("unconfirmed", "Not confirmed: CME enquiry opened"),
    ("awaiting_officer", "Not confirmed: an officer must confirm the arrival"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("schools_feed", "0009_change_reasons_in_full_and_no_plain_api_tokens"),
        ("registry", "0020_parent_portal"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalnotification",
            name="lost_pupil",
            field=models.BooleanField(
                default=False, verbose_name="lost pupil (destination unknown)"
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="lost_pupil",
            field=models.BooleanField(
                default=False, verbose_name="lost pupil (destination unknown)"
            ),
        ),
        migrations.AlterField(
            model_name="destinationcheck",
            name="destination_school",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.school",
            ),
        ),
        migrations.AlterField(
            model_name="destinationcheck",
            name="status",
            field=models.CharField(choices=CHECK_STATUSES, default="pending", max_length=20),
        ),
        migrations.AlterField(
            model_name="historicaldestinationcheck",
            name="status",
            field=models.CharField(choices=CHECK_STATUSES, default="pending", max_length=20),
        ),
    ]
