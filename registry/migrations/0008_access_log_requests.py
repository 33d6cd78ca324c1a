"""Access log rows for lists and requests: one row per page, export or API response that listed
children, naming each child shown; and the purposes a list is read for."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

PURPOSES = [
    ("casework", "Casework"),
    ("offrolling_review", "Off-rolling review of a school"),
    ("data_quality", "Data quality"),
    ("safeguarding", "Safeguarding concern"),
    ("sensitive_fields", "Viewed sensitive information"),
    ("search", "Register search"),
    ("match_review", "Matching a school's return"),
    ("caseload", "Own caseload and actions"),
    ("returns", "Schools' returns"),
    ("export", "Export"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0007_episode_lifecycle"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="childaccesslog",
            name="purpose",
            field=models.CharField(choices=PURPOSES, max_length=20),
        ),
        migrations.CreateModel(
            name="ChildListAccessLog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "accessed_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("purpose", models.CharField(choices=PURPOSES, max_length=20)),
                ("reason", models.CharField(blank=True, max_length=300)),
                ("path", models.CharField(max_length=300)),
                (
                    "shown",
                    models.PositiveIntegerField(
                        default=0, help_text="How many children were listed."
                    ),
                ),
                (
                    "children",
                    models.ManyToManyField(
                        blank=True, related_name="list_accesses", to="registry.child"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-accessed_at"]},
        ),
    ]
