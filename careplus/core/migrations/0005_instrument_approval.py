"""Instrument versions become drafts approved by a second coordinator, effective from a date.

The versions loaded so far by data migrations are approved, effective from the day they were loaded.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def load(apps, schema_editor):
    Instrument = apps.get_model("core", "Instrument")
    for instrument in Instrument.objects.all():
        instrument.status = "approved"
        instrument.effective_from = instrument.created_at.date()
        instrument.save(update_fields=["status", "effective_from"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_outgoing_mail"),
        # The shipped versions must exist before they are marked approved below.
        ("referrals", "0002_load_instruments"),
        ("returns", "0002_load_rss"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="instrument",
            name="based_on",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.instrument",
                verbose_name="based on",
            ),
        ),
        migrations.AddField(
            model_name="instrument",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="decided at"),
        ),
        migrations.AddField(
            model_name="instrument",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="decided by",
            ),
        ),
        migrations.AddField(
            model_name="instrument",
            name="decision_note",
            field=models.TextField(blank=True, verbose_name="reason for refusal"),
        ),
        migrations.AddField(
            model_name="instrument",
            name="drafted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="drafted by",
            ),
        ),
        migrations.AddField(
            model_name="instrument",
            name="effective_from",
            field=models.DateField(blank=True, null=True, verbose_name="effective from"),
        ),
        migrations.AddField(
            model_name="instrument",
            name="last_edited_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="instrument",
            name="row_version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="instrument",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("approved", "Approved"), ("refused", "Refused")],
                default="draft",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
