# Casework rules (issue 13): a CME episode may close as "over compulsory school age"; the 2026
# Act's enforcement steps; why a step came before the parent's response date.
from django.db import migrations, models

CME_STATUSES = [
    ("enquiries_open", "Enquiries open"),
    ("believed_abroad", "Believed moved abroad (unverified)"),
    ("located_school", "Located: on a school roll"),
    ("located_ehe", "Located: home educated"),
    ("located_other_la", "Located: in another LA (confirmed)"),
    ("confirmed_abroad", "Confirmed abroad"),
    ("over_csa", "Over compulsory school age"),
    ("closed", "Closed"),
]
CME_CLOSED = [
    "closed",
    "confirmed_abroad",
    "located_ehe",
    "located_other_la",
    "located_school",
    "over_csa",
]
STEP_TYPES = [
    ("s437_notice", "s.437(1) notice served"),
    ("notice_of_intention", "Notice of intention to serve an SAO"),
    ("preliminary_notice", "Preliminary notice served"),
    ("school_nomination", "School nomination notice served"),
    ("sao_issued", "School attendance order issued"),
    ("sao_revoked", "School attendance order revoked"),
    ("prosecution", "Prosecution (s.443)"),
]
REASON_LABEL = "why this step comes before the parent's response date"


class Migration(migrations.Migration):
    dependencies = [("registry", "0015_statistics_rules")]

    operations = [
        migrations.RemoveConstraint(
            model_name="cmeepisode",
            name="cme_end_date_exactly_when_closed",
        ),
        migrations.AlterField(
            model_name="cmeepisode",
            name="status",
            field=models.CharField(choices=CME_STATUSES, default="enquiries_open", max_length=20),
        ),
        migrations.AlterField(
            model_name="historicalcmeepisode",
            name="status",
            field=models.CharField(choices=CME_STATUSES, default="enquiries_open", max_length=20),
        ),
        migrations.AddConstraint(
            model_name="cmeepisode",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", CME_CLOSED), ("end_date__isnull", False)),
                    models.Q(
                        models.Q(("status__in", CME_CLOSED), _negated=True),
                        ("end_date__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="cme_end_date_exactly_when_closed",
            ),
        ),
        migrations.AlterField(
            model_name="enforcementstep",
            name="step_type",
            field=models.CharField(choices=STEP_TYPES, max_length=20),
        ),
        migrations.AlterField(
            model_name="historicalenforcementstep",
            name="step_type",
            field=models.CharField(choices=STEP_TYPES, max_length=20),
        ),
        migrations.AddField(
            model_name="enforcementstep",
            name="before_response_date_reason",
            field=models.TextField(blank=True, verbose_name=REASON_LABEL),
        ),
        migrations.AddField(
            model_name="historicalenforcementstep",
            name="before_response_date_reason",
            field=models.TextField(blank=True, verbose_name=REASON_LABEL),
        ),
    ]
