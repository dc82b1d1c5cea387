"""Structured forms for instrument drafts: one row per indicator, question or département."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from careplus.audit.forms import StepUpForm
from careplus.core.countries import country_names
from careplus.core.forms import CarePlusForm, DateInput
from careplus.instruments.services import DEPARTEMENT_CODE, INDICATOR_CODE, alphabetical
from careplus.referrals.screening import STRENGTHS

if TYPE_CHECKING:  # django-stubs makes formsets generic; at run time they are not subscriptable.
    IndicatorFormSetBase = BaseFormSet["IndicatorRowForm"]
    DepartementFormSetBase = BaseFormSet["DepartementRowForm"]
else:
    IndicatorFormSetBase = DepartementFormSetBase = BaseFormSet


def _deleted(form: forms.Form) -> bool:
    """Tell whether a formset row was ticked for deletion."""
    return bool(getattr(form, "cleaned_data", {}).get("DELETE"))


NOTE_NEEDED = _("Give the source (document, page, person consulted) that allows clearing this mark.")


class VersionedForm(CarePlusForm):
    row_version = forms.IntegerField(widget=forms.HiddenInput)


class IndicatorRowForm(CarePlusForm):
    dimension = forms.ChoiceField(label=_("Dimension"))
    code = forms.CharField(
        label=_("Code"), max_length=44, help_text=_("The dimension, a dot, then lowercase letters (d2.threats).")
    )
    strength = forms.ChoiceField(label=_("Strength"), choices=list(STRENGTHS.items()))
    label_fr = forms.CharField(label=_("Label (French)"), max_length=300)
    label_en = forms.CharField(label=_("Label (English)"), max_length=300, required=False)
    unverified = forms.BooleanField(label=_("Unverified"), required=False)
    source_note = forms.CharField(label=_("Source note"), max_length=300, required=False)

    def __init__(self, *args: Any, dimensions: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["dimension"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(dimensions)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        code, dimension = data.get("code", ""), data.get("dimension", "")
        if code and dimension and (not INDICATOR_CODE.match(code) or not code.startswith(f"{dimension}.")):
            self.add_error(
                "code",
                _("The code starts with the dimension and a dot (%(prefix)s), then lowercase letters or digits.")
                % {"prefix": f"{dimension}."},
            )
        cleared = self.initial.get("unverified") and not data.get("unverified")
        if cleared and not (data.get("source_note") or "").strip():
            self.add_error("source_note", NOTE_NEEDED)
        return data


class IndicatorFormSet(IndicatorFormSetBase):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.forms:
            if not form.has_changed() and form not in self.initial_forms:
                continue
            if _deleted(form):
                continue
            code = form.cleaned_data.get("code")
            if code in seen:
                form.add_error("code", _("This code is already used by another indicator of the list."))
            seen.add(str(code))

    def rows(self) -> list[dict[str, Any]]:  # each row's cleaned values
        """The indicators kept (removed rows and empty new rows left out)."""
        kept = []
        for form in self.forms:
            if not form.has_changed() and form not in self.initial_forms:
                continue
            if _deleted(form):
                continue
            kept.append(form.cleaned_data)
        return kept


IndicatorRows = cast(
    "type[IndicatorFormSet]",
    formset_factory(IndicatorRowForm, formset=IndicatorFormSet, extra=1, can_delete=True),
)


class IloListForm(VersionedForm):
    verified = forms.BooleanField(label=_("The whole list is verified"), required=False)
    source_note = forms.CharField(
        label=_("Source of the verification"),
        max_length=300,
        required=False,
        help_text=_("Required when the list becomes verified."),
    )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("verified") and not self.initial.get("verified") and not (data.get("source_note") or "").strip():
            self.add_error("source_note", NOTE_NEEDED)
        return data


class DepartementRowForm(CarePlusForm):
    code = forms.CharField(label=_("Overseas département"), max_length=3)

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip().upper()
        if not DEPARTEMENT_CODE.match(code):
            raise forms.ValidationError(_("A département code is two or three digits (or 2A, 2B)."))
        return code


class DepartementFormSet(DepartementFormSetBase):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.forms:
            if not form.has_changed() or _deleted(form):
                continue
            code = form.cleaned_data.get("code", "")
            if code in seen:
                form.add_error("code", _("This département is already in the list."))
            seen.add(str(code))

    def codes(self) -> list[str]:
        return [
            form.cleaned_data["code"]
            for form in self.forms
            if form.has_changed() or form in self.initial_forms
            if not _deleted(form) and form.cleaned_data.get("code")
        ]


DepartementRows = cast(
    "type[DepartementFormSet]",
    formset_factory(DepartementRowForm, formset=DepartementFormSet, extra=1, can_delete=True),
)


def _countries() -> list[tuple[str, str]]:
    return sorted(country_names().items(), key=lambda pair: alphabetical(pair[1]))


class EligibilityForm(VersionedForm):
    eu_member_states = forms.MultipleChoiceField(
        label=_("Member states of the European Union"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A return to one of these countries is outside the programme."),
    )
    adult_age = forms.IntegerField(label=_("Age of majority"), min_value=1, max_value=30)
    max_age = forms.IntegerField(label=_("Maximum age accepted"), min_value=30, max_value=150)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["eu_member_states"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _countries()

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("adult_age") and data.get("max_age") and data["adult_age"] >= data["max_age"]:
            self.add_error("max_age", _("The maximum age must be above the age of majority."))
        return data


class QuestionRowForm(CarePlusForm):
    code = forms.CharField(widget=forms.HiddenInput, max_length=60)
    label_fr = forms.CharField(label=_("Question (French)"), max_length=300)
    label_en = forms.CharField(label=_("Question (English)"), max_length=300, required=False)
    dimension_weight = forms.DecimalField(
        label=_("Weight in its dimension"),
        required=False,
        min_value=0,
        max_value=1,
        decimal_places=4,
        localize=True,
    )
    composite_weight = forms.DecimalField(
        label=_("Weight in the composite score"),
        required=False,
        min_value=0,
        max_value=1,
        decimal_places=4,
        localize=True,
    )


QuestionRows = formset_factory(QuestionRowForm, extra=0, can_delete=False)


class QuestionnaireForm(VersionedForm):
    weights_loaded = forms.BooleanField(
        label=_("Use the weights entered"),
        required=False,
        help_text=_("Otherwise every question of a dimension weighs the same (unweighted, provisional)."),
    )


class ApprovalForm(StepUpForm):
    """The effective date and a fresh second-factor code (the audit export's step-up form)."""

    row_version = forms.IntegerField(widget=forms.HiddenInput)
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput())

    field_order = ["effective_from", "token", "row_version"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].help_text = _("Approving a new version asks for your second factor again.")


class RefusalForm(VersionedForm):
    reason = forms.CharField(label=_("Reason for refusal"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)
