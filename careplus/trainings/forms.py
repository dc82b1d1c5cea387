"""Training forms (shape and input checks)."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from careplus.core.forms import CarePlusForm, DateInput
from careplus.core.text import validate_person_text
from careplus.trainings.choices import Module, ProfessionalType, SessionStatus
from careplus.trainings.services import Attendance


class SessionForm(CarePlusForm):
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_person_text])
    city = forms.CharField(label=_("City"), max_length=100, validators=[validate_person_text])
    venue = forms.CharField(label=_("Venue"), max_length=200, validators=[validate_person_text])
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), choices=SessionStatus.choices, initial=SessionStatus.PLANNED)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=500)
    modules = forms.MultipleChoiceField(
        label=_("Modules delivered"), choices=Module.choices, widget=forms.CheckboxSelectMultiple
    )
    trainers = forms.CharField(
        label=_("Trainers (internal, guest experts)"), max_length=500, required=False, validators=[validate_person_text]
    )
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class RegistrationForm(CarePlusForm):
    full_name = forms.CharField(label=_("Full name"), max_length=150, validators=[validate_person_text])
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, validators=[validate_person_text])
    organisation_type = forms.ChoiceField(label=_("Organisation type"), choices=ProfessionalType.choices)
    position = forms.CharField(label=_("Position"), max_length=150, required=False, validators=[validate_person_text])


class ImportForm(CarePlusForm):
    sheet = forms.FileField(label=_("Attendance sheet (CSV or XLSX, 2 MB at most)"))


class MaterialForm(CarePlusForm):
    module = forms.ChoiceField(label=_("Module"), choices=Module.choices)
    document = forms.FileField(label=_("Document (PDF, 5 MB at most)"))


def parse_attendance(
    data: QueryDict, participation_ids: list[UUID], modules: list[str]
) -> tuple[dict[UUID, Attendance], dict[str, str]]:
    """Read the attendance grid; return the values per participant and the errors per input name."""
    rows: dict[UUID, Attendance] = {}
    errors: dict[str, str] = {}

    def score(name: str) -> int | None:
        raw = str(data.get(name, "")).strip()
        if raw == "":
            return None
        if not raw.isdigit() or not 0 <= int(raw) <= 100:
            errors[name] = str(_("Enter a whole number from 0 to 100."))
            return None
        return int(raw)

    for pk in participation_ids:
        presence = data.get(f"p{pk}-present", "")
        present = {"yes": True, "no": False}.get(presence)
        feedback: dict[str, tuple[int | None, str]] = {}
        for module in modules:
            raw = str(data.get(f"p{pk}-rating-{module}", "")).strip()
            rating = None
            if raw:
                if raw not in {"1", "2", "3", "4", "5"}:
                    errors[f"p{pk}-rating-{module}"] = str(_("Enter a rating from 1 to 5."))
                else:
                    rating = int(raw)
            comment = str(data.get(f"p{pk}-comment-{module}", "")).strip()
            if len(comment) > 500:
                errors[f"p{pk}-comment-{module}"] = str(_("Ensure this value has at most 500 characters."))
            feedback[module] = (rating, comment[:500])
        rows[pk] = {
            "present": present,
            "pre_score": score(f"p{pk}-pre"),
            "post_score": score(f"p{pk}-post"),
            "feedback": feedback,
        }
    return rows, errors
