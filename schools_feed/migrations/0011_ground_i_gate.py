# Ground I gate (docs/rules/registration.md §5): joint enquiries a school opens before deleting on
# an absence ground, their school enquiries, and the deletion return's link and breach.
import uuid

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("schools_feed", "0010_ground_rules")]

    operations = [
        migrations.AddField(
            model_name="historicalnotification",
            name="ground_i_breach",
            field=models.TextField(blank=True, verbose_name="Ground I breach"),
        ),
        migrations.AddField(
            model_name="notification",
            name="ground_i_breach",
            field=models.TextField(blank=True, verbose_name="Ground I breach"),
        ),
        migrations.AlterField(
            model_name="notificationevent",
            name="event_type",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("linked_auto", "Linked to the child automatically"),
                    ("review_queued", "Queued for an officer to confirm the child"),
                    ("link_confirmed", "Child confirmed by an officer"),
                    ("new_child", "New child added to the register"),
                    ("link_undone", "Link to the child undone"),
                    ("ehe_opened", "EHE episode opened"),
                    ("ehe_updated", "Open EHE episode updated"),
                    ("ehe_returned", "EHE ended: returned to school"),
                    ("cme_opened", "CME episode opened"),
                    ("cme_updated", "Open CME episode updated"),
                    ("cme_located", "CME closed: located on a school roll"),
                    ("destination_expected", "Waiting for the destination school's return"),
                    ("destination_confirmed", "Destination school confirmed the pupil"),
                    ("destination_unconfirmed", "Destination unconfirmed: CME enquiry"),
                    ("exclusion", "Exclusion recorded"),
                    ("sixth_day", "Action: education from the sixth day (permanent exclusion)"),
                    ("at_risk", "Flagged at risk of missing education"),
                    ("consent_case", "s.434A consent case raised"),
                    ("consent_advisory", "Advisory: LA consent would be needed (s.434A)"),
                    ("safeguarding", "Safeguarding alert to the CME officer"),
                    ("ground_i_met", "Twenty school days and joint enquiries shown"),
                    ("ground_i_breach", "Ground I breach: flagged to the CME officer"),
                    ("no_action", "Recorded: no case needed"),
                    ("deferred", "Routing waits for the grace period"),
                    ("queried", "Queried with the school"),
                ],
                max_length=30,
            ),
        ),
        migrations.CreateModel(
            name="HistoricalJointEnquiry",
            fields=[
                ("id", models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                (
                    "opened_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                (
                    "upn",
                    models.CharField(blank=True, db_index=True, max_length=13, verbose_name="UPN"),
                ),
                ("legal_forenames", models.CharField(max_length=100)),
                ("legal_surname", models.CharField(max_length=100)),
                ("date_of_birth", models.DateField()),
                ("last_attended_date", models.DateField(verbose_name="last attended")),
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
                    "opened_by",
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
                    "referral",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="schools_feed.notification",
                    ),
                ),
                (
                    "school",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.school",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical joint enquiry",
                "verbose_name_plural": "historical joint enquiries",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="JointEnquiry",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "opened_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                (
                    "upn",
                    models.CharField(blank=True, db_index=True, max_length=13, verbose_name="UPN"),
                ),
                ("legal_forenames", models.CharField(max_length=100)),
                ("legal_surname", models.CharField(max_length=100)),
                ("date_of_birth", models.DateField()),
                ("last_attended_date", models.DateField(verbose_name="last attended")),
                (
                    "opened_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "referral",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="joint_enquiry_opened",
                        to="schools_feed.notification",
                    ),
                ),
                (
                    "school",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="joint_enquiries",
                        to="registry.school",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "joint enquiries",
                "ordering": ["-opened_at"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalSchoolEnquiry",
            fields=[
                ("id", models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                (
                    "enquiry_type",
                    models.CharField(
                        choices=[
                            ("phone", "Phoned every number held, including emergency contacts"),
                            ("email", "Emailed every address held"),
                            ("letter", "Letter to the home address"),
                            ("home_visit", "Home visit"),
                            ("siblings_school", "Asked siblings' schools"),
                            (
                                "admissions",
                                "Asked admissions whether another school has offered a place",
                            ),
                            ("previous_school", "Previous school"),
                            ("lost_pupil_db", "School to School / Lost Pupil Database"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                    ),
                ),
                ("made_on", models.DateField()),
                ("outcome", models.TextField()),
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
                    "recorded_by",
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
                    "joint_enquiry",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="schools_feed.jointenquiry",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical school enquiry",
                "verbose_name_plural": "historical school enquiries",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name="historicalnotification",
            name="joint_enquiry",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="schools_feed.jointenquiry",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="joint_enquiry",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="deletions",
                to="schools_feed.jointenquiry",
            ),
        ),
        migrations.CreateModel(
            name="SchoolEnquiry",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "enquiry_type",
                    models.CharField(
                        choices=[
                            ("phone", "Phoned every number held, including emergency contacts"),
                            ("email", "Emailed every address held"),
                            ("letter", "Letter to the home address"),
                            ("home_visit", "Home visit"),
                            ("siblings_school", "Asked siblings' schools"),
                            (
                                "admissions",
                                "Asked admissions whether another school has offered a place",
                            ),
                            ("previous_school", "Previous school"),
                            ("lost_pupil_db", "School to School / Lost Pupil Database"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                    ),
                ),
                ("made_on", models.DateField()),
                ("outcome", models.TextField()),
                (
                    "joint_enquiry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="school_enquiries",
                        to="schools_feed.jointenquiry",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "school enquiries",
                "ordering": ["made_on"],
            },
        ),
        migrations.AddIndex(
            model_name="jointenquiry",
            index=models.Index(
                fields=["school", "opened_at"], name="schools_fee_school__5dee8b_idx"
            ),
        ),
    ]
