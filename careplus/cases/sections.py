"""The one-per-case records edited through the generic section page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careplus.access.roles import Action
from careplus.cases import forms as case_forms
from careplus.cases.models import SECTION_MODELS, CaseSection


@dataclass(frozen=True)
class Approval:
    """How the summary offers a section's approval: the address it posts to, its button, and what it
    says while the record awaits it."""

    url_name: str
    button: Promise
    waiting: Promise


@dataclass(frozen=True)
class Section:
    model: type[CaseSection]
    form: type[case_forms.VersionedForm]
    label: Promise
    action: Action  # to record it
    minor_only: bool = False
    read_action: Action = Action.CASES_VIEW  # to read it (`careplus.access.rules.section_visible`)
    approval: Approval | None = None  # for a record that may need one (`careplus.access.rules.approval_needed`)

    def initial(self, instance: CaseSection | None) -> dict[str, Any]:  # a form's initial values
        if instance is None:
            return {}
        builder = getattr(self.form, "initial_from", None)
        if builder is not None:
            initial: dict[str, Any] = builder(instance)  # a form's initial values
            return initial
        names = [name for name in self.form.base_fields if name != "version"]
        values = {name: getattr(instance, name) for name in names}
        if "return_in_best_interests" in values:
            values["return_in_best_interests"] = "yes" if values["return_in_best_interests"] else "no"
        return {**values, "version": instance.version}

    def build_form(
        self, data: Mapping[str, object] | None, *, instance: CaseSection | None, child: bool
    ) -> case_forms.VersionedForm:
        kwargs: dict[str, Any] = {"initial": self.initial(instance)}  # passed through to the form
        if self.form is case_forms.RiskForm:
            kwargs["child"] = child
        return self.form(data, **kwargs)


# By key in code (careplus.cases.slugs maps each to the French word of its URL).
SECTIONS: dict[str, Section] = {
    "risk": Section(
        SECTION_MODELS["risk"],
        case_forms.RiskForm,
        _("Risk assessment"),
        Action.CASES_EDIT,
        approval=Approval("cases:risk_approve", _("Approve the high risk"), _("awaiting a coordinator's approval")),
    ),
    "needs": Section(SECTION_MODELS["needs"], case_forms.NeedsForm, _("Needs assessment"), Action.CASES_EDIT),
    "skills": Section(SECTION_MODELS["skills"], case_forms.SkillsForm, _("Skills and motivation"), Action.CASES_EDIT),
    "legal": Section(
        SECTION_MODELS["legal"],
        case_forms.LegalForm,
        _("Legal situation in France"),
        Action.CASES_LEGAL,
        read_action=Action.CASES_LEGAL,
    ),
    "family_assessment": Section(
        SECTION_MODELS["family_assessment"],
        case_forms.FamilyAssessmentForm,
        _("Family assessment"),
        Action.CASES_EDIT,
        minor_only=True,
    ),
    "best_interests": Section(
        SECTION_MODELS["best_interests"],
        case_forms.BestInterestsForm,
        _("Best-interests determination"),
        Action.CASES_MANAGE,
        minor_only=True,
        approval=Approval("cases:bid_approve", _("Approve the determination"), _("awaiting approval")),
    ),
    "coordination": Section(
        SECTION_MODELS["coordination"],
        case_forms.CoordinationPlanForm,
        _("Coordination plan"),
        Action.CASES_MANAGE,
        minor_only=True,
    ),
}
