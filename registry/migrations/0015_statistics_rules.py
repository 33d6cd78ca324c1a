"""CME primary reasons become data (docs/rules/statistics.md §4.2): the CMEReasonCode table,
seeded with the reasons the register had as an enumeration, so every existing episode keeps its
code. Codes found on episodes that the enumeration did not have (none are expected) are added
unmapped, so the return counts them under "Other" and says so.

The seed is written out here, not imported: a migration keeps the data of its day."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

import registry.models.episodes

# (code, label, DfE category, order), the CMEReason enumeration of migration 0001 in its order.
SEED = (
    ("believed_abroad", "Believed to have moved out of the country", 10),
    ("application_awaiting", "School application awaiting outcome", 20),
    ("offered_not_started", "Offered a school place, not yet started", 30),
    ("no_application", "Not on roll and no application made", 40),
    ("ehe_unsuitable", "Home education unsuitable", 50),
    ("whereabouts_unknown", "Whereabouts unknown", 60),
    ("moved_uk_unknown", "Moved within the UK, whereabouts unknown", 70),
    ("travelling", "Gypsy, Roma or Traveller family travelling", 80),
    ("excluded_no_provision", "Permanently excluded, no provision yet", 90),
    ("other", "Other", 900),
    ("unknown", "Unknown", 910),
)
CHANGE_REASON = "migration"


def seed_reasons(apps, schema_editor):
    Reason = apps.get_model("registry", "CMEReasonCode")
    HistoricalReason = apps.get_model("registry", "HistoricalCMEReasonCode")
    CMEEpisode = apps.get_model("registry", "CMEEpisode")
    rows = [(code, label, label, order) for code, label, order in SEED]
    known = {code for code, *_ in rows}
    in_use = set(CMEEpisode.objects.values_list("primary_reason", flat=True).distinct())
    rows += [(code, code, "", 500) for code in sorted(in_use - known) if code]
    now = timezone.now()
    for code, label, category, order in rows:
        reason = Reason.objects.create(code=code, label=label, dfe_category=category, order=order)
        HistoricalReason.objects.create(
            id=reason.id,
            code=code,
            label=label,
            dfe_category=category,
            order=order,
            active=True,
            history_date=now,
            history_type="+",
            history_change_reason=CHANGE_REASON,
        )


def unseed_reasons(apps, schema_editor):
    """Nothing to undo: reversing the migration drops the table."""


class Migration(migrations.Migration):
    dependencies = [("registry", "0014_school_calendar")]

    operations = [
        migrations.CreateModel(
            name="CMEReasonCode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.SlugField(
                        help_text="Stored on each CME episode.", max_length=30, unique=True
                    ),
                ),
                (
                    "label",
                    models.CharField(help_text="What officers see and choose.", max_length=150),
                ),
                (
                    "dfe_category",
                    models.CharField(
                        blank=True,
                        help_text="The DfE's label of the row of the return this reason is "
                        "counted in. Leave blank until known: the reason is then counted under "
                        "'Other' and the validation report lists it.",
                        max_length=150,
                        verbose_name="DfE category",
                    ),
                ),
                (
                    "order",
                    models.PositiveSmallIntegerField(
                        default=100,
                        help_text="Position in lists and in the return (smallest first).",
                    ),
                ),
                (
                    "active",
                    models.BooleanField(
                        default=True,
                        help_text="Only active reasons can be chosen; episodes keep old ones.",
                    ),
                ),
            ],
            options={"verbose_name": "CME primary reason", "ordering": ["order", "label"]},
        ),
        migrations.CreateModel(
            name="HistoricalCMEReasonCode",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.SlugField(help_text="Stored on each CME episode.", max_length=30),
                ),
                (
                    "label",
                    models.CharField(help_text="What officers see and choose.", max_length=150),
                ),
                (
                    "dfe_category",
                    models.CharField(
                        blank=True,
                        help_text="The DfE's label of the row of the return this reason is "
                        "counted in. Leave blank until known: the reason is then counted under "
                        "'Other' and the validation report lists it.",
                        max_length=150,
                        verbose_name="DfE category",
                    ),
                ),
                (
                    "order",
                    models.PositiveSmallIntegerField(
                        default=100,
                        help_text="Position in lists and in the return (smallest first).",
                    ),
                ),
                (
                    "active",
                    models.BooleanField(
                        default=True,
                        help_text="Only active reasons can be chosen; episodes keep old ones.",
                    ),
                ),
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
                "verbose_name": "historical CME primary reason",
                "verbose_name_plural": "historical CME primary reasons",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AlterField(
            model_name="cmeepisode",
            name="primary_reason",
            field=models.CharField(
                default="unknown",
                max_length=30,
                validators=[registry.models.episodes.validate_cme_reason_code],
            ),
        ),
        migrations.AlterField(
            model_name="historicalcmeepisode",
            name="primary_reason",
            field=models.CharField(
                default="unknown",
                max_length=30,
                validators=[registry.models.episodes.validate_cme_reason_code],
            ),
        ),
        migrations.RunPython(seed_reasons, unseed_reasons),
    ]
