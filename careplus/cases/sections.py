"""The one-per-case records edited through the generic section page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careplus.access.roles import Action
from careplus.cases import forms as case_forms
from careplus.cases.models import (
    BestInterestsDetermination,
    CoordinationPlan,
    FamilyAssessment,
    LegalSituation,
    NeedsAssessment,
    RiskAssessment,
    SkillsAssessment,
)


@dataclass(frozen=True)
class Section:
    model: type[models.Model]
    form: type[case_forms.VersionedForm]
    label: Promise
    action: Action
    minor_only: bool = False

    def initial(self, instance: Any) -> dict[str, Any]:
        if instance is None:
            return {}
        builder = getattr(self.form, "initial_from", None)
        if builder is not None:
            initial: dict[str, Any] = builder(instance)
            return initial
        names = [name for name in self.form.base_fields if name != "version"]
        values = {name: getattr(instance, name) for name in names}
        if "return_in_best_interests" in values:
            values["return_in_best_interests"] = "yes" if values["return_in_best_interests"] else "no"
        return {**values, "version": instance.version}

    def build_form(self, data: Any, *, instance: Any, child: bool) -> case_forms.VersionedForm:
        kwargs: dict[str, Any] = {"initial": self.initial(instance)}
        if self.form is case_forms.RiskForm:
            kwargs["child"] = child
        return self.form(data, **kwargs)


SECTIONS: dict[str, Section] = {
    "risque": Section(RiskAssessment, case_forms.RiskForm, _("Risk assessment"), Action.CASES_EDIT),
    "besoins": Section(NeedsAssessment, case_forms.NeedsForm, _("Needs assessment"), Action.CASES_EDIT),
    "competences": Section(SkillsAssessment, case_forms.SkillsForm, _("Skills and motivation"), Action.CASES_EDIT),
    "juridique": Section(LegalSituation, case_forms.LegalForm, _("Legal situation in France"), Action.CASES_LEGAL),
    "enquete-familiale": Section(
        FamilyAssessment, case_forms.FamilyAssessmentForm, _("Family assessment"), Action.CASES_EDIT, minor_only=True
    ),
    "interet-superieur": Section(
        BestInterestsDetermination,
        case_forms.BestInterestsForm,
        _("Best-interests determination"),
        Action.CASES_MANAGE,
        minor_only=True,
    ),
    "coordination": Section(
        CoordinationPlan, case_forms.CoordinationPlanForm, _("Coordination plan"), Action.CASES_MANAGE, minor_only=True
    ),
}
