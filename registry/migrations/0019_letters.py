# Letters and notices (docs/rules/ehe.md §10): versioned templates with their legal review, the
# forbidden phrasings publishing checks against, and the exact documents sent.
import uuid

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from registry import letter_defaults


class Migration(migrations.Migration):
    dependencies = [("registry", "0018_retention_and_disclosure")]

    operations = [
        migrations.CreateModel(
            name='ForbiddenPhrase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phrase', models.CharField(max_length=200, unique=True)),
                ('why', models.CharField(help_text='The power it wrongly claims, shown when a letter is refused.', max_length=300)),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                'ordering': ['phrase'],
            },
        ),
        migrations.AlterField(
            model_name='disclosure',
            name='kind',
            field=models.CharField(choices=[('dfe_validation_csv', 'DfE return: records to check (CSV download)'), ('dfe_validation_file', 'DfE return: validation_children.csv (command)'), ('rejected_rows_csv', "A school's rejected rows (CSV download)"), ('notifications_export', 'Every notification (export command)'), ('sent_letter', 'A letter sent to a family or another LA (download)')], max_length=30),
        ),
        migrations.CreateModel(
            name='HistoricalForbiddenPhrase',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('phrase', models.CharField(db_index=True, max_length=200)),
                ('why', models.CharField(help_text='The power it wrongly claims, shown when a letter is refused.', max_length=300)),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical forbidden phrase',
                'verbose_name_plural': 'historical forbidden phrases',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalLetterTemplate',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('kind', models.CharField(choices=[('ehe_acknowledgement', 'Acknowledgement of home education'), ('ehe_informal_enquiry', 'Informal enquiry about home education'), ('s437_notice', 's.437(1) notice'), ('notice_of_intention', 'Notice of intention to serve an SAO'), ('sao', 'School attendance order'), ('sao_revocation', 'Revocation of a school attendance order'), ('cme_whereabouts', "CME: letter to the family's last known address"), ('cme_other_la', 'CME: enquiry to another local authority'), ('preliminary_notice', 'Preliminary notice (2026 procedure)'), ('school_nomination', 'School nomination notice (2026 procedure)')], max_length=30)),
                ('version', models.PositiveIntegerField()),
                ('title', models.CharField(help_text="The letter's heading.", max_length=200)),
                ('body', models.TextField(help_text="The letter's text. Placeholders such as {{ child.full_name }} are filled from the child's record; a paragraph between [[editable: name]] and [[/editable]] is one the officer may change before sending.")),
                ('statutory_basis', models.TextField(help_text='The law or guidance the letter rests on.')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published'), ('superseded', 'Superseded')], default='draft', max_length=12)),
                ('legal_review_on', models.DateField(blank=True, null=True, verbose_name='last legal review')),
                ('legal_review_note', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('published_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('legal_reviewed_by', models.ForeignKey(blank=True, db_constraint=False, help_text='The administrator who recorded the review.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('published_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical letter template',
                'verbose_name_plural': 'historical letter templates',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='LetterTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('ehe_acknowledgement', 'Acknowledgement of home education'), ('ehe_informal_enquiry', 'Informal enquiry about home education'), ('s437_notice', 's.437(1) notice'), ('notice_of_intention', 'Notice of intention to serve an SAO'), ('sao', 'School attendance order'), ('sao_revocation', 'Revocation of a school attendance order'), ('cme_whereabouts', "CME: letter to the family's last known address"), ('cme_other_la', 'CME: enquiry to another local authority'), ('preliminary_notice', 'Preliminary notice (2026 procedure)'), ('school_nomination', 'School nomination notice (2026 procedure)')], max_length=30)),
                ('version', models.PositiveIntegerField()),
                ('title', models.CharField(help_text="The letter's heading.", max_length=200)),
                ('body', models.TextField(help_text="The letter's text. Placeholders such as {{ child.full_name }} are filled from the child's record; a paragraph between [[editable: name]] and [[/editable]] is one the officer may change before sending.")),
                ('statutory_basis', models.TextField(help_text='The law or guidance the letter rests on.')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published'), ('superseded', 'Superseded')], default='draft', max_length=12)),
                ('legal_review_on', models.DateField(blank=True, null=True, verbose_name='last legal review')),
                ('legal_review_note', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('published_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('legal_reviewed_by', models.ForeignKey(blank=True, help_text='The administrator who recorded the review.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('published_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['kind', '-version'],
            },
        ),
        migrations.CreateModel(
            name='SentLetter',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('template_version', models.PositiveIntegerField()),
                ('kind', models.CharField(choices=[('ehe_acknowledgement', 'Acknowledgement of home education'), ('ehe_informal_enquiry', 'Informal enquiry about home education'), ('s437_notice', 's.437(1) notice'), ('notice_of_intention', 'Notice of intention to serve an SAO'), ('sao', 'School attendance order'), ('sao_revocation', 'Revocation of a school attendance order'), ('cme_whereabouts', "CME: letter to the family's last known address"), ('cme_other_la', 'CME: enquiry to another local authority'), ('preliminary_notice', 'Preliminary notice (2026 procedure)'), ('school_nomination', 'School nomination notice (2026 procedure)')], max_length=30)),
                ('title', models.CharField(max_length=200)),
                ('recipient_name', models.CharField(max_length=200)),
                ('recipient_address', models.TextField(blank=True)),
                ('method', models.CharField(choices=[('post', 'Post'), ('email', 'Email'), ('hand', 'By hand')], max_length=10)),
                ('sent_on', models.DateField()),
                ('sent_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('body_text', models.TextField(help_text='The letter as sent, as text.')),
                ('pdf', models.BinaryField()),
                ('pdf_sha256', models.CharField(max_length=64)),
                ('docx', models.BinaryField(blank=True, null=True)),
                ('docx_sha256', models.CharField(blank=True, max_length=64)),
                ('child', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='sent_letters', to='registry.child')),
                ('cme_episode', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sent_letters', to='registry.cmeepisode')),
                ('ehe_episode', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sent_letters', to='registry.eheepisode')),
                ('enforcement_step', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='letter', to='registry.enforcementstep')),
                ('recipient_carer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='registry.carer')),
                ('sent_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('template', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.lettertemplate')),
            ],
            options={
                'ordering': ['-sent_at'],
            },
        ),
        migrations.AddConstraint(
            model_name='lettertemplate',
            constraint=models.UniqueConstraint(fields=('kind', 'version'), name='letter_template_version'),
        ),
        migrations.AddConstraint(
            model_name='lettertemplate',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'published')), fields=('kind',), name='letter_template_one_published_per_kind'),
        ),
        migrations.AddConstraint(
            model_name='sentletter',
            constraint=models.CheckConstraint(condition=models.Q(('ehe_episode__isnull', True), ('cme_episode__isnull', True), _connector='OR'), name='sent_letter_at_most_one_episode'),
        ),
        # Version 1 of every letter (published) and the default forbidden phrasings.
        migrations.RunPython(letter_defaults.seed, migrations.RunPython.noop),
    ]
