# Retention and disclosure (ADR 0011): legal holds, the retention job's runs, the disclosure log,
# and the day a child's record was anonymised.
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0017_safeguarding_and_consent")]

    operations = [
        migrations.AddField(
            model_name="child",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicalchild",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.CreateModel(
            name="RetentionRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "started_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "as_at",
                    models.DateField(help_text="The day the retention periods were counted to."),
                ),
                ("dry_run", models.BooleanField(default=False)),
                (
                    "triggered_by",
                    models.CharField(help_text="The beat task or a command.", max_length=100),
                ),
                ("children_anonymised", models.PositiveIntegerField(default=0)),
                ("by_rule", models.JSONField(blank=True, default=dict)),
                ("records", models.JSONField(blank=True, default=dict)),
                ("kept", models.JSONField(blank=True, default=dict)),
            ],
            options={"ordering": ["-started_at"]},
        ),
        migrations.CreateModel(
            name="Disclosure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            (
                                "dfe_validation_csv",
                                "DfE return: records to check (CSV download)",
                            ),
                            (
                                "dfe_validation_file",
                                "DfE return: validation_children.csv (command)",
                            ),
                            ("rejected_rows_csv", "A school's rejected rows (CSV download)"),
                            ("notifications_export", "Every notification (export command)"),
                        ],
                        max_length=30,
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("download", "Downloaded from a page"),
                            ("file", "File written by a command"),
                            ("email", "Sent by email"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "disclosed_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                (
                    "recipient",
                    models.CharField(
                        help_text="To whom or where: the person downloading, a file's path.",
                        max_length=300,
                    ),
                ),
                ("path", models.CharField(help_text="The page or command.", max_length=300)),
                ("reason", models.CharField(blank=True, max_length=300)),
                (
                    "children_count",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="How many children's records (or a return's pupil rows) it held.",
                    ),
                ),
                (
                    "children",
                    models.ManyToManyField(
                        blank=True, related_name="disclosures", to="registry.child"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        help_text="Blank for a command run on the server without a named user.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-disclosed_at"]},
        ),
        migrations.CreateModel(
            name="HistoricalLegalHold",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("reason", models.TextField()),
                ("placed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "until",
                    models.DateField(blank=True, help_text="Blank: until it is lifted.", null=True),
                ),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", models.TextField(blank=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                        max_length=1,
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
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "lifted_by",
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
                    "placed_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical legal hold",
                "verbose_name_plural": "historical legal holds",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="LegalHold",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.TextField()),
                ("placed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "until",
                    models.DateField(blank=True, help_text="Blank: until it is lifted.", null=True),
                ),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", models.TextField(blank=True)),
                (
                    "child",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="legal_holds",
                        to="registry.child",
                    ),
                ),
                (
                    "lifted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "placed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-placed_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("lifted_at__isnull", True), ("lifted_by__isnull", True)),
                            models.Q(("lifted_at__isnull", False), ("lifted_by__isnull", False)),
                            _connector="OR",
                        ),
                        name="legal_hold_lifted_by_whom",
                    )
                ],
            },
        ),
    ]
