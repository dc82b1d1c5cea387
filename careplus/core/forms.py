"""One form renderer so every field shows label, help and errors the same way."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class CarePlusFormRenderer(TemplatesSetting):
    """Render forms and fields through the project's components."""

    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
