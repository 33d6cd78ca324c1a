"""Now that episodes have no ``opening_notification`` field of their own (registry 0012), the
notification's keys give the register that name to read back: ``episode.opening_notification``.
State only: a related name changes nothing in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0012_episodes_forget_their_opening_notification"),
        ("schools_feed", "0007_notification_records_the_episode_it_opened"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="opened_cme_episode",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="opening_notification",
                to="registry.cmeepisode",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="opened_ehe_episode",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="opening_notification",
                to="registry.eheepisode",
            ),
        ),
    ]
