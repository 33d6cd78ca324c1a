"""Schools now live in the register (registry/migrations/0011): the feed's foreign keys point
there and the feed forgets its copy of the model. State only: the table and its foreign keys in
the database are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0011_school_joins_the_register"),
        ("schools_feed", "0005_side_effect_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='historicalnotification',
                    name='destination_school',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='offrollingalert',
                    name='school',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offrolling_alerts', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='school',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notifications', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='schoolroll',
                    name='school',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rolls', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='destinationcheck',
                    name='destination_school',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='submission',
                    name='school',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='submissions', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='offrollingrun',
                    name='school',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='offrollingrecomputerequest',
                    name='school',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='historicaldestinationcheck',
                    name='destination_school',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='destination_school',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='schoolindicator',
                    name='school',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='offrolling_indicators', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='historicalnotification',
                    name='school',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.school'),
                ),
                migrations.AlterField(
                    model_name='historicaloffrollingalert',
                    name='school',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.school'),
                ),
                migrations.DeleteModel(
                    name='School',
                ),
            ],
            database_operations=[],
        ),
    ]
