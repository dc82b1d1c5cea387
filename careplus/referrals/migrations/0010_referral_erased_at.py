from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def mark_referrals_of_erased_cases(apps: Any, schema_editor: Any) -> None:
    """The referral of a case erased before this migration was shredded with it: say so."""
    Referral = apps.get_model("referrals", "Referral")
    Case = apps.get_model("cases", "Case")
    erased_on = Case.objects.filter(pk=OuterRef("case_id")).values("erased_at")[:1]
    Referral.objects.filter(case__erased_at__isnull=False, erased_at__isnull=True).update(
        erased_at=Subquery(erased_on)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0009_field_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="erased at"),
        ),
        migrations.RunPython(mark_referrals_of_erased_cases, migrations.RunPython.noop),
    ]
