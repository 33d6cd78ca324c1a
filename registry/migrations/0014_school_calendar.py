# The LA's school calendar: terms and closure (INSET) days (docs/rules/registration.md §5.3).
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0013_change_reasons_in_full_and_postcode_prefix_index")]

    operations = [
        migrations.CreateModel(
            name="HistoricalClosureDay",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField()),
                (
                    "kind",
                    models.CharField(
                        choices=[("inset", "INSET day"), ("closure", "Closure")],
                        default="inset",
                        max_length=10,
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=200)),
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
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "school",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        help_text="Leave blank for a day every school in the LA is closed.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.school",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical closure day",
                "verbose_name_plural": "historical closure days",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalTerm",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(help_text='For example "Autumn 2025".', max_length=50)),
                ("first_day", models.DateField()),
                ("last_day", models.DateField()),
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
                "verbose_name": "historical term",
                "verbose_name_plural": "historical terms",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="Term",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(help_text='For example "Autumn 2025".', max_length=50)),
                ("first_day", models.DateField()),
                ("last_day", models.DateField()),
            ],
            options={
                "ordering": ["first_day"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("first_day__lte", models.F("last_day"))),
                        name="term_first_day_not_after_last_day",
                    ),
                    models.UniqueConstraint(fields=("first_day",), name="term_unique_first_day"),
                ],
            },
        ),
        migrations.CreateModel(
            name="ClosureDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField()),
                (
                    "kind",
                    models.CharField(
                        choices=[("inset", "INSET day"), ("closure", "Closure")],
                        default="inset",
                        max_length=10,
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=200)),
                (
                    "school",
                    models.ForeignKey(
                        blank=True,
                        help_text="Leave blank for a day every school in the LA is closed.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="closure_days",
                        to="registry.school",
                    ),
                ),
            ],
            options={
                "ordering": ["date"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("school__isnull", False)),
                        fields=("school", "date"),
                        name="closure_day_unique_school_date",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("school__isnull", True)),
                        fields=("date",),
                        name="closure_day_unique_la_date",
                    ),
                ],
            },
        ),
    ]
