"""s.434A consent on EHE episodes, and safeguarding alerts
(docs/rules/ehe.md §5, docs/rules/cme.md §6)."""

import uuid

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0016_casework_clocks")]

    operations = [
        migrations.AddField(
            model_name="eheepisode",
            name="consent_s434a",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not needed"),
                    ("advisory", "Would be needed once s.434A commences"),
                    ("awaited", "Awaited: withdrawal not lawful until the LA consents"),
                    ("given", "Given"),
                    ("refused", "Refused: withdrawal not lawful"),
                ],
                default="",
                max_length=10,
                verbose_name="LA consent to withdraw (s.434A)",
            ),
        ),
        migrations.AddField(
            model_name="eheepisode",
            name="consent_s434a_grounds",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="why consent is needed (s.434A)"
            ),
        ),
        migrations.AddField(
            model_name="historicaleheepisode",
            name="consent_s434a",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not needed"),
                    ("advisory", "Would be needed once s.434A commences"),
                    ("awaited", "Awaited: withdrawal not lawful until the LA consents"),
                    ("given", "Given"),
                    ("refused", "Refused: withdrawal not lawful"),
                ],
                default="",
                max_length=10,
                verbose_name="LA consent to withdraw (s.434A)",
            ),
        ),
        migrations.AddField(
            model_name="historicaleheepisode",
            name="consent_s434a_grounds",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="why consent is needed (s.434A)"
            ),
        ),
        migrations.CreateModel(
            name="HistoricalSafeguardingAlert",
            fields=[
                ("id", models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                ("key", models.CharField(db_index=True, editable=False, max_length=120)),
                (
                    "trigger",
                    models.CharField(
                        choices=[
                            ("ehe_opened", "Withdrawn to home education"),
                            ("cme_opened", "Became missing education"),
                            ("flag_added", "Safeguarding flag recorded while a case is open"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "grounds",
                    models.CharField(
                        help_text="The flags or concerns that raised it.", max_length=300
                    ),
                ),
                ("raised_on", models.DateField(default=django.utils.timezone.localdate)),
                ("addressed_team", models.CharField(blank=True, max_length=100)),
                ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "action",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.action",
                    ),
                ),
                (
                    "addressed_to",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "child",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.child",
                    ),
                ),
                (
                    "cme_episode",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.cmeepisode",
                    ),
                ),
                (
                    "ehe_episode",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.eheepisode",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical safeguarding alert",
                "verbose_name_plural": "historical safeguarding alerts",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="SafeguardingAlert",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("key", models.CharField(editable=False, max_length=120, unique=True)),
                (
                    "trigger",
                    models.CharField(
                        choices=[
                            ("ehe_opened", "Withdrawn to home education"),
                            ("cme_opened", "Became missing education"),
                            ("flag_added", "Safeguarding flag recorded while a case is open"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "grounds",
                    models.CharField(
                        help_text="The flags or concerns that raised it.", max_length=300
                    ),
                ),
                ("raised_on", models.DateField(default=django.utils.timezone.localdate)),
                ("addressed_team", models.CharField(blank=True, max_length=100)),
                ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "action",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.action",
                    ),
                ),
                (
                    "addressed_to",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="safeguarding_alerts",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "child",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="safeguarding_alerts",
                        to="registry.child",
                    ),
                ),
                (
                    "cme_episode",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="safeguarding_alerts",
                        to="registry.cmeepisode",
                    ),
                ),
                (
                    "ehe_episode",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="safeguarding_alerts",
                        to="registry.eheepisode",
                    ),
                ),
            ],
            options={
                "ordering": ["-raised_on", "-created_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("ehe_episode__isnull", True),
                            ("cme_episode__isnull", True),
                            _connector="OR",
                        ),
                        name="safeguarding_alert_one_episode",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("acknowledged_at__isnull", True),
                            ("acknowledged_by__isnull", False),
                            _connector="OR",
                        ),
                        name="safeguarding_alert_acknowledged_by_someone",
                    ),
                ],
            },
        ),
    ]
