"""Casework journeys: a referral's recorded outcome (what, when, by whom), and the rules that give
a new case from a school's return to an officer (by school or by postcode district)."""

import uuid

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_child_death"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalsocialcarereferral",
            name="outcome_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalsocialcarereferral",
            name="outcome_note",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="socialcarereferral",
            name="outcome_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="socialcarereferral",
            name="outcome_note",
            field=models.TextField(blank=True),
        ),
        migrations.CreateModel(
            name="HistoricalOfficerAssignmentRule",
            fields=[
                ("id", models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                (
                    "register",
                    models.CharField(choices=[("ehe", "EHE"), ("cme", "CME")], max_length=3),
                ),
                (
                    "school_urn",
                    models.CharField(
                        blank=True,
                        help_text="Returns from this school. Leave blank for an area rule.",
                        max_length=6,
                        verbose_name="school URN",
                    ),
                ),
                (
                    "postcode_district",
                    models.CharField(
                        blank=True,
                        help_text=(
                            'The first half of the postcode, for example "RH10". '
                            "Leave blank for a school rule."
                        ),
                        max_length=4,
                    ),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
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
                    "officer",
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
                "verbose_name": "historical officer assignment rule",
                "verbose_name_plural": "historical officer assignment rules",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="OfficerAssignmentRule",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "register",
                    models.CharField(choices=[("ehe", "EHE"), ("cme", "CME")], max_length=3),
                ),
                (
                    "school_urn",
                    models.CharField(
                        blank=True,
                        help_text="Returns from this school. Leave blank for an area rule.",
                        max_length=6,
                        verbose_name="school URN",
                    ),
                ),
                (
                    "postcode_district",
                    models.CharField(
                        blank=True,
                        help_text=(
                            'The first half of the postcode, for example "RH10". '
                            "Leave blank for a school rule."
                        ),
                        max_length=4,
                    ),
                ),
                (
                    "officer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignment_rules",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["register", "school_urn", "postcode_district"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("school_urn", ""),
                                models.Q(("postcode_district", ""), _negated=True),
                            ),
                            models.Q(
                                models.Q(("school_urn", ""), _negated=True),
                                ("postcode_district", ""),
                            ),
                            _connector="OR",
                        ),
                        name="assignment_rule_school_or_area",
                    ),
                    models.UniqueConstraint(
                        fields=("register", "school_urn", "postcode_district"),
                        name="assignment_rule_unique",
                    ),
                ],
            },
        ),
    ]
