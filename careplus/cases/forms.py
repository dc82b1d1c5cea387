"""Case file forms: field shapes and input checks only."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django_countries.fields import CountryField

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careplus.accounts.models import Office, User
from careplus.cases.choices import (
    CHILD_RISK_FACTORS,
    NEED_CATEGORIES,
    RISK_FACTORS,
    ConsentScope,
    OfiiLevel,
    PermitStatus,
    PreferredPath,
    Priority,
    Rating,
    Sex,
)
from careplus.core.forms import CarePlusForm, DateInput
from careplus.core.text import NAME_MAX_CHARS, validate_narrative_text, validate_person_text
from careplus.returns.choices import ClosureReason

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from careplus.cases.models import NeedsAssessment, RiskAssessment

TEXT = 2000


def _area(label: StrOrPromise, *, required: bool = True, help_text: StrOrPromise = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=TEXT,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_narrative_text],
    )


class VersionedForm(CarePlusForm):
    """Every edit form carries the version of the record the user saw (empty for a new record)."""

    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def values(self) -> dict[str, Any]:  # the cleaned values, each of its field's type
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class RiskForm(VersionedForm):
    overall = forms.ChoiceField(label=_("Overall risk"), choices=Rating.choices)
    mitigation = _area(_("Mitigation measures"))

    def __init__(self, *args: Any, child: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.factor_names = [name for name, _label in RISK_FACTORS + (CHILD_RISK_FACTORS if child else [])]
        for name, label in RISK_FACTORS + (CHILD_RISK_FACTORS if child else []):
            self.fields[f"factor_{name}"] = forms.ChoiceField(label=label, choices=Rating.choices)
        self.order_fields([f"factor_{n}" for n in self.factor_names] + ["overall", "mitigation", "version"])

    def values(self) -> dict[str, Any]:  # cleaned values, each of its field's type
        data = self.cleaned_data
        return {
            "ratings": {name: data[f"factor_{name}"] for name in self.factor_names},
            "overall": data["overall"],
            "mitigation": data["mitigation"],
        }

    @staticmethod
    def initial_from(instance: RiskAssessment) -> dict[str, object]:
        initial: dict[str, object] = {
            "overall": instance.overall,
            "mitigation": instance.mitigation,
            "version": instance.version,
        }
        initial.update({f"factor_{k}": v for k, v in (instance.ratings or {}).items()})
        return initial


class NeedsForm(VersionedForm):
    notes = _area(_("Notes"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in NEED_CATEGORIES:
            self.fields[f"need_{name}"] = forms.ChoiceField(label=label, choices=Priority.choices)
        self.order_fields([f"need_{n}" for n, _label in NEED_CATEGORIES] + ["notes", "version"])

    def values(self) -> dict[str, Any]:  # cleaned values, each of its field's type
        data = self.cleaned_data
        return {"priorities": {n: data[f"need_{n}"] for n, _label in NEED_CATEGORIES}, "notes": data["notes"]}

    @staticmethod
    def initial_from(instance: NeedsAssessment) -> dict[str, object]:
        initial: dict[str, object] = {"notes": instance.notes, "version": instance.version}
        initial.update({f"need_{k}": v for k, v in (instance.priorities or {}).items()})
        return initial


class SkillsForm(VersionedForm):
    education = _area(_("Education"))
    languages = forms.CharField(label=_("Languages"), max_length=200)
    work_experience = _area(_("Work experience"))
    skills = _area(_("Skills"))
    motivation = _area(_("Motivation"))
    preferred_path = forms.ChoiceField(label=_("Preferred path"), choices=PreferredPath.choices)
    constraints = _area(_("Constraints"), required=False)


class LegalForm(VersionedForm):
    identified_by_authority = forms.BooleanField(label=_("Identified by the police or gendarmerie"), required=False)
    reflection_period_ends_on = forms.DateField(
        label=_("End of the reflection period"), required=False, widget=DateInput()
    )
    residence_permit = forms.ChoiceField(label=_("Residence permit as a victim"), choices=PermitStatus.choices)
    complaint_filed = forms.BooleanField(label=_("Complaint filed or testimony given"), required=False)
    next_hearing_on = forms.DateField(
        label=_("Next hearing"),
        required=False,
        widget=DateInput(),
        help_text=_("A hearing after the planned departure blocks the departure until resolved."),
    )
    proceedings = forms.CharField(label=_("Criminal proceedings (court, reference)"), max_length=300, required=False)
    ofii_file = forms.CharField(label=_("OFII return-assistance file"), max_length=100, required=False)
    ofii_level = forms.ChoiceField(label=_("OFII assistance level"), choices=OfiiLevel.choices)


class FamilyAssessmentForm(VersionedForm):
    caregiver = _area(_("Caregiver and relationship to the child"))
    findings = _area(_("Willingness and capacity to care, role in the migration, risks, housing, school, health"))
    views = _area(_("Views of the child and the family"))
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())

    def clean_done_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["done_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("This date cannot be in the future."))
        return value


class BestInterestsForm(VersionedForm):
    participants = _area(_("Participants (panel)"))
    reasoning = _area(_("Factors weighed and recommendation"))
    return_in_best_interests = forms.TypedChoiceField(
        label=_("Is return in the child's best interests?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class CoordinationPlanForm(VersionedForm):
    actors_france = _area(_("Actors in France"))
    actors_return = _area(_("Actors in the country of return"))
    escort = _area(_("Escort in transit"))
    reception = _area(_("Reception on arrival (named caregiver)"))


class DeparturePlanForm(CarePlusForm):
    planned_departure_on = forms.DateField(label=_("Planned departure"), required=False, widget=DateInput())
    contact_channel = forms.CharField(label=_("Safe contact: channel"), max_length=100, required=False)
    contact_times = forms.CharField(label=_("Safe contact: times"), max_length=100, required=False)
    contact_alias = forms.CharField(
        label=_("Safe contact: alias to use"), max_length=100, required=False, validators=[validate_person_text]
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def clean_planned_departure_on(self) -> datetime.date | None:
        value = self.cleaned_data.get("planned_departure_on")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The planned departure cannot be in the past."))
        return value


class IdentityForm(CarePlusForm):
    """Correct the person's identity on the file (GDPR art. 16): the values as they should read, and why."""

    family_name = forms.CharField(label=_("Family name"), max_length=NAME_MAX_CHARS)
    given_names = forms.CharField(label=_("Given names"), max_length=NAME_MAX_CHARS)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    nationality = CountryField(blank=True).formfield(label=_("Nationality"), required=False)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        min_length=5,
        max_length=500,
        help_text=_("For example: the passport shows another spelling. Kept with the file."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm_duplicate = forms.BooleanField(
        label=_("I have checked: save the correction even though a similar file or referral exists."),
        required=False,
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def clean_date_of_birth(self) -> datetime.date | None:
        value = self.cleaned_data.get("date_of_birth")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("This date cannot be in the future."))
        return value

    def changes(self) -> dict[str, Any]:  # cleaned values, each of its field's type
        return {name: self.cleaned_data[name] for name in ("family_name", "given_names", "date_of_birth", "sex")} | {
            "nationality": str(self.cleaned_data["nationality"] or "")
        }


class TransitionForm(CarePlusForm):
    target = forms.CharField(max_length=20, widget=forms.HiddenInput)
    closure_reason = forms.ChoiceField(
        label=_("Closure reason"), choices=[("", "---------"), *ClosureReason.choices], required=False
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class OpportunityForm(CarePlusForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=PreferredPath.choices)
    description = _area(_("Opportunity (who, what, where)"))
    verified_on = forms.DateField(label=_("Verified on"), widget=DateInput())

    def clean_verified_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["verified_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("This date cannot be in the future."))
        return value


class ConsentForm(CarePlusForm):
    scope = forms.ChoiceField(label=_("Consent"), choices=ConsentScope.choices)
    given_on = forms.DateField(label=_("Given on"), widget=DateInput())

    def clean_given_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["given_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("This date cannot be in the future."))
        return value


class HandoverForm(CarePlusForm):
    office = forms.ModelChoiceField(
        label=_("Office of the country of return"), queryset=Office.objects.filter(kind="return_country", active=True)
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class NoteForm(CarePlusForm):
    body = _area(_("Note"))


class AttachmentForm(CarePlusForm):
    document = forms.FileField(label=_("Document (PDF, JPEG or PNG, 5 MB at most)"))


class RestrictionForm(CarePlusForm):
    restricted = forms.BooleanField(label=_("Restricted case: only the named users can open it"), required=False)
    users = forms.ModelMultipleChoiceField(
        label=_("Named users"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RestrictedReasonForm(CarePlusForm):
    reason = forms.CharField(label=_("Why do you open this restricted case?"), min_length=5, max_length=500)


class _StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # not subscriptable at run time
    """A colleague shown by name and e-mail address."""

    def label_from_instance(self, obj: Any) -> str:  # Any: the base class is not parametrised (above)
        return f"{obj.full_name} ({obj.email})" if obj.full_name else str(obj.email)


class CaseworkerForm(CarePlusForm):
    """Name the caseworker responsible for a file, among those the file may have."""

    caseworker = _StaffChoiceField(
        label=_("Responsible caseworker"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, choices: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["caseworker"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = choices


class StaffLeavingForm(CarePlusForm):
    """Choose the colleague who takes over a leaving caseworker's files."""

    successor = _StaffChoiceField(
        label=_("Colleague who takes over the files"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Choose a colleague"),
        error_messages={"invalid_choice": _("Choose a colleague from the list.")},
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, choices: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["successor"]
        assert isinstance(field, forms.ModelChoiceField)
        # The list offers the leaver's colleagues; any account is read back, so that the service
        # says why another one (another office, deactivated, the leaver) cannot take over.
        shown = _StaffChoiceField(queryset=choices, empty_label=field.empty_label)
        field.queryset = User.objects.all()
        field.widget.choices = shown.choices
