"""Every field of a person's file has a label given in the code, so it can be translated.

The DPO's access copy, the erasure certificate and the register of processing list fields by
their labels; a field without one would show Django's English default ("status before
suspension") in a French document. Technical columns that none of them shows are listed here.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.functional import Promise

PERSON_FILE_APPS = ("cases", "returns", "referrals", "privacy")
TECHNICAL = frozenset({"id", "version", "data_key", "person_index", "name_index"})


def test_i21_p05_every_field_of_a_persons_file_has_a_translatable_label() -> None:
    unlabelled = [
        f"{model._meta.label}.{field.name}"
        for app in PERSON_FILE_APPS
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.concrete_fields
        if field.name not in TECHNICAL and not isinstance(field.verbose_name, Promise)
    ]
    assert unlabelled == []
