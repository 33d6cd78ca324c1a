"""Schools move from the schools feed to the register (docs/adr/0010-app-layers.md).

Only Django's model state moves: the table keeps its name (``schools_feed_school``) and every
foreign key in the database already points at it, so nothing is rewritten. The schools feed's
migration 0006 then points its own foreign keys here and forgets its copy of the model.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0010_casework_journeys"),
        ("schools_feed", "0005_side_effect_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='School',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('urn', models.CharField(max_length=8, unique=True, verbose_name='URN')),
                        ('la_code', models.CharField(max_length=3, verbose_name='LA code')),
                        ('la_name', models.CharField(blank=True, max_length=100, verbose_name='LA name')),
                        ('establishment_number', models.CharField(blank=True, max_length=4)),
                        ('laestab', models.CharField(blank=True, db_index=True, max_length=7, verbose_name='LAESTAB')),
                        ('name', models.CharField(max_length=200)),
                        ('type_code', models.CharField(blank=True, max_length=4)),
                        ('type_name', models.CharField(blank=True, max_length=100)),
                        ('type_group', models.CharField(choices=[('la_maintained', 'Local authority maintained schools'), ('academy', 'Academies'), ('free_school', 'Free schools'), ('independent', 'Independent schools'), ('special', 'Special schools'), ('pru_ap', 'Pupil referral units and alternative provision'), ('college', 'Colleges'), ('other', 'Other types')], default='other', max_length=20)),
                        ('phase', models.CharField(blank=True, max_length=50)),
                        ('status', models.CharField(blank=True, max_length=50)),
                        ('open_date', models.DateField(blank=True, null=True)),
                        ('close_date', models.DateField(blank=True, null=True)),
                        ('statutory_low_age', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('statutory_high_age', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('trust_name', models.CharField(blank=True, max_length=200)),
                        ('number_on_roll', models.PositiveIntegerField(blank=True, null=True)),
                        ('percentage_fsm', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True)),
                        ('sen_ehcp_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='pupils with an EHC plan')),
                        ('sen_support_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='pupils on SEN support')),
                        ('postcode', models.CharField(blank=True, max_length=10)),
                        ('town', models.CharField(blank=True, max_length=100)),
                        ('is_local', models.BooleanField(default=True, help_text="In this LA's area (the LA codes this deployment serves).")),
                    ],
                    options={
                        'db_table': 'schools_feed_school',
                        'ordering': ['name'],
                    },
                ),
                migrations.AlterField(
                    model_name='cmeepisode',
                    name='located_school',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='eheepisode',
                    name='previous_school',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='enforcementstep',
                    name='school_named',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='historicalcmeepisode',
                    name='located_school',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='historicaleheepisode',
                    name='previous_school',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='historicalenforcementstep',
                    name='school_named',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='user',
                    name='schools',
                    field=models.ManyToManyField(blank=True, related_name='users', to='registry.school'),
                ),
            ],
            database_operations=[],
        ),
    ]
