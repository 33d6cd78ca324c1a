# The Splink matching model as a versioned record, and the model version and thresholds each
# matching decision was made with (ADR 0012).
import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("schools_feed", "0011_ground_i_gate")]

    operations = [
        migrations.AddField(
            model_name='historicalnotification',
            name='match_model_version',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='historicalnotification',
            name='match_thresholds',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='notification',
            name='match_model_version',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='notification',
            name='match_thresholds',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.CreateModel(
            name='HistoricalMatchingModel',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('version', models.PositiveIntegerField(db_index=True)),
                ('settings', models.JSONField(help_text="Splink's settings and trained parameters")),
                ('term_frequencies', models.JSONField(blank=True, default=dict)),
                ('trained_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('trained_by_label', models.CharField(blank=True, max_length=200)),
                ('method', models.CharField(max_length=300)),
                ('register_size', models.PositiveIntegerField(default=0)),
                ('returns_count', models.PositiveIntegerField(default=0)),
                ('data_from', models.DateField(blank=True, null=True)),
                ('data_to', models.DateField(blank=True, null=True)),
                ('adopted_at', models.DateTimeField(blank=True, null=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('trained_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical matching model',
                'verbose_name_plural': 'historical matching models',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='MatchingModel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(unique=True)),
                ('settings', models.JSONField(help_text="Splink's settings and trained parameters")),
                ('term_frequencies', models.JSONField(blank=True, default=dict)),
                ('trained_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('trained_by_label', models.CharField(blank=True, max_length=200)),
                ('method', models.CharField(max_length=300)),
                ('register_size', models.PositiveIntegerField(default=0)),
                ('returns_count', models.PositiveIntegerField(default=0)),
                ('data_from', models.DateField(blank=True, null=True)),
                ('data_to', models.DateField(blank=True, null=True)),
                ('adopted_at', models.DateTimeField(blank=True, null=True)),
                ('trained_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-version'],
            },
        ),
            migrations.CreateModel(
            name='PossibleDuplicate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('probability', models.FloatField()),
                ('cluster', models.CharField(blank=True, max_length=64)),
                ('evidence', models.JSONField(blank=True, default=list)),
                ('model_version', models.PositiveIntegerField()),
                ('found_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('child', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.child')),
                ('other', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.child')),
            ],
            options={
                'ordering': ['-probability'],
                'constraints': [models.UniqueConstraint(fields=('child', 'other'), name='possible_duplicate_once')],
            },
        ),
    ]
