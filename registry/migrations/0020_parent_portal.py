# The parent portal (ADR 0014): parents' accounts linked to carers, sign-in link requests, what
# parents send (notices, evidence and its files, replies) and complaints with their log.
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0019_letters"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PortalLinkRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('address_hash', models.CharField(db_index=True, max_length=64)),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('requested_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('sent', models.BooleanField(default=False, help_text='A link was emailed (the account exists).')),
                ('refused', models.BooleanField(default=False, help_text='Over a rate limit: nothing sent.')),
            ],
            options={
                'ordering': ['-requested_at'],
            },
        ),
        migrations.AlterField(
            model_name='childaccesslog',
            name='purpose',
            field=models.CharField(choices=[('casework', 'Casework'), ('offrolling_review', 'Off-rolling review of a school'), ('data_quality', 'Data quality'), ('safeguarding', 'Safeguarding concern'), ('sensitive_fields', 'Viewed sensitive information'), ('search', 'Register search'), ('match_review', "Matching a school's return"), ('caseload', 'Own caseload and actions'), ('returns', "Schools' returns"), ('export', 'Export'), ('parent_portal', "Parent portal (the child's own parent)")], max_length=20),
        ),
        migrations.AlterField(
            model_name='childlistaccesslog',
            name='purpose',
            field=models.CharField(choices=[('casework', 'Casework'), ('offrolling_review', 'Off-rolling review of a school'), ('data_quality', 'Data quality'), ('safeguarding', 'Safeguarding concern'), ('sensitive_fields', 'Viewed sensitive information'), ('search', 'Register search'), ('match_review', "Matching a school's return"), ('caseload', 'Own caseload and actions'), ('returns', "Schools' returns"), ('export', 'Export'), ('parent_portal', "Parent portal (the child's own parent)")], max_length=20),
        ),
        migrations.AlterField(
            model_name='user',
            name='role',
            field=models.CharField(blank=True, choices=[('school_user', 'School user'), ('ehe_officer', 'EHE officer'), ('cme_officer', 'CME officer'), ('inclusion_lead', 'Inclusion lead'), ('dcs', 'DCS and performance analyst'), ('administrator', 'Data manager / administrator'), ('parent', 'Parent or carer')], max_length=20),
        ),
        migrations.CreateModel(
            name='Complaint',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('about_text', models.CharField(blank=True, max_length=300, verbose_name='who or what it is about')),
                ('text', models.TextField()),
                ('status', models.CharField(choices=[('received', 'Received'), ('acknowledged', 'Acknowledged'), ('responded', 'Responded to')], default='received', max_length=20)),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('acknowledge_by', models.DateField()),
                ('respond_by', models.DateField()),
                ('acknowledged_on', models.DateField(blank=True, null=True)),
                ('responded_on', models.DateField(blank=True, null=True)),
                ('about_officer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='complaints_about', to=settings.AUTH_USER_MODEL)),
                ('child', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='complaints', to='registry.child')),
                ('handler', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='complaints_handled', to=settings.AUTH_USER_MODEL)),
                ('made_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='complaints_made', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-received_at'],
            },
        ),
        migrations.CreateModel(
            name='ComplaintEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('event', models.CharField(max_length=100)),
                ('note', models.TextField(blank=True)),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('complaint', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='registry.complaint')),
            ],
            options={
                'ordering': ['at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalComplaint',
            fields=[
                ('id', models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                ('about_text', models.CharField(blank=True, max_length=300, verbose_name='who or what it is about')),
                ('text', models.TextField()),
                ('status', models.CharField(choices=[('received', 'Received'), ('acknowledged', 'Acknowledged'), ('responded', 'Responded to')], default='received', max_length=20)),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('acknowledge_by', models.DateField()),
                ('respond_by', models.DateField()),
                ('acknowledged_on', models.DateField(blank=True, null=True)),
                ('responded_on', models.DateField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('about_officer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('child', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.child')),
                ('handler', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('made_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical complaint',
                'verbose_name_plural': 'historical complaints',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalParentLink',
            fields=[
                ('id', models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('carer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.carer')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical parent link',
                'verbose_name_plural': 'historical parent links',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalParentSubmission',
            fields=[
                ('id', models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                ('kind', models.CharField(choices=[('notice', 'Told the LA they are home educating'), ('evidence', 'Sent evidence of education'), ('reply', 'Replied to the LA')], max_length=20)),
                ('status', models.CharField(choices=[('to_match', 'Waiting to be matched to a child'), ('new', 'New'), ('seen', 'Seen by an officer')], default='new', max_length=20)),
                ('evidence_method', models.CharField(blank=True, choices=[('written_report', 'A written report'), ('samples', 'Samples of work'), ('meeting', 'A meeting away from home'), ('visit', 'A visit to our home'), ('call', 'A phone or video call')], max_length=20)),
                ('text', models.TextField(blank=True)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('submitted_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('seen_at', models.DateTimeField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('child', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.child')),
                ('ehe_episode', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.eheepisode')),
                ('enforcement_step', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.enforcementstep')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('seen_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('submitted_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical parent submission',
                'verbose_name_plural': 'historical parent submissions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='ParentLink',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('carer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.carer')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='parent_links', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='ParentSubmission',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('notice', 'Told the LA they are home educating'), ('evidence', 'Sent evidence of education'), ('reply', 'Replied to the LA')], max_length=20)),
                ('status', models.CharField(choices=[('to_match', 'Waiting to be matched to a child'), ('new', 'New'), ('seen', 'Seen by an officer')], default='new', max_length=20)),
                ('evidence_method', models.CharField(blank=True, choices=[('written_report', 'A written report'), ('samples', 'Samples of work'), ('meeting', 'A meeting away from home'), ('visit', 'A visit to our home'), ('call', 'A phone or video call')], max_length=20)),
                ('text', models.TextField(blank=True)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('submitted_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('seen_at', models.DateTimeField(blank=True, null=True)),
                ('child', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='parent_submissions', to='registry.child')),
                ('ehe_episode', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='parent_submissions', to='registry.eheepisode')),
                ('enforcement_step', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='parent_replies', to='registry.enforcementstep')),
                ('seen_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('submitted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='parent_submissions', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-submitted_at'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalEvidenceFile',
            fields=[
                ('id', models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                ('stored_name', models.CharField(editable=False, max_length=200)),
                ('original_name', models.CharField(max_length=200)),
                ('content_type', models.CharField(max_length=50)),
                ('size', models.PositiveIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('scan_result', models.CharField(choices=[('not_scanned', 'Not scanned (no scanner configured)'), ('clean', 'Scanned: no threat found'), ('infected', 'Scanned: threat found'), ('error', 'Scanner failed')], max_length=20)),
                ('scan_detail', models.CharField(blank=True, max_length=200)),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('submission', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.parentsubmission')),
            ],
            options={
                'verbose_name': 'historical evidence file',
                'verbose_name_plural': 'historical evidence files',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='EvidenceFile',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('stored_name', models.CharField(editable=False, max_length=200)),
                ('original_name', models.CharField(max_length=200)),
                ('content_type', models.CharField(max_length=50)),
                ('size', models.PositiveIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('scan_result', models.CharField(choices=[('not_scanned', 'Not scanned (no scanner configured)'), ('clean', 'Scanned: no threat found'), ('infected', 'Scanned: threat found'), ('error', 'Scanner failed')], max_length=20)),
                ('scan_detail', models.CharField(blank=True, max_length=200)),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='files', to='registry.parentsubmission')),
            ],
            options={
                'ordering': ['uploaded_at'],
            },
        ),
        migrations.AddConstraint(
            model_name='complaint',
            constraint=models.CheckConstraint(condition=models.Q(('handler__isnull', True), ('about_officer__isnull', True), models.Q(('handler', models.F('about_officer')), _negated=True), _connector='OR'), name='complaint_handler_not_the_officer_complained_about'),
        ),
        migrations.AddConstraint(
            model_name='parentlink',
            constraint=models.UniqueConstraint(fields=('user', 'carer'), name='parent_link_unique'),
        ),
        migrations.AddConstraint(
            model_name='parentsubmission',
            constraint=models.CheckConstraint(condition=models.Q(('child__isnull', False), ('status', 'to_match'), _connector='OR'), name='parent_submission_child_unless_to_match'),
        ),
    ]
