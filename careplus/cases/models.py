"""The case file of a beneficiary; personal data encrypted under the case's own data key."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from careplus.accounts.models import Office, User
from careplus.cases.choices import (
    CaseStatus,
    ConsentScope,
    OfiiLevel,
    PermitStatus,
    PreferredPath,
    Rating,
    Sex,
)
from careplus.core.fields import (
    EncryptedBytesField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from careplus.core.models import BaseModel, DataKey
from careplus.programmes.models import Programme


class Case(BaseModel):
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("office of the country of return"),
    )
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("programme")
    )
    given_names = EncryptedTextField(_("given names"))
    family_name = EncryptedTextField(_("family name"))
    date_of_birth = EncryptedDateField(_("date of birth"))
    safe_contact = EncryptedJSONField(_("safe contact preferences"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    nationality = models.CharField(_("nationality (ISO code)"), max_length=2, blank=True)
    country_of_return = models.CharField(_("country of return (ISO code)"), max_length=2, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    person_index = models.CharField(max_length=64, blank=True, db_index=True)
    name_index = models.CharField(max_length=64, blank=True, db_index=True)
    opened_on = models.DateField(_("opened on"))
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    is_minor = models.BooleanField(_("minor"), default=False)
    planned_departure_on = models.DateField(_("planned departure"), null=True, blank=True)
    status_before_suspension = models.CharField(_("status before suspension"), max_length=20, blank=True)
    closure_reason = models.CharField(_("closure reason"), max_length=20, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    restricted = models.BooleanField(_("restricted"), default=False)
    restricted_users = models.ManyToManyField(User, blank=True, related_name="+", verbose_name=_("named users"))
    # The caseworker responsible for the file (set by a coordinator; moved when staff leave).
    caseworker = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible caseworker"),
    )
    # Kept by the database equal to "the consent to share with the return office stands"
    # (cases/sharing.py): the caseworker's scope read from the list's index.
    shared_with_office = models.BooleanField(
        _("sharing with the return office consented"), default=False, editable=False
    )

    class Meta:
        ordering = ["-opened_on", "reference"]
        indexes = [
            # An office's list as a caseworker sees it (the shared files), whole or by status,
            # counted and ordered from the index alone. Partial, because a boolean filter is no
            # term SQLite seeks on; the flag and the id are repeated so that the index covers
            # the filter and the restriction check.
            models.Index(
                fields=["office", "-opened_on", "reference", "restricted", "shared_with_office", "id"],
                name="case_office_list",
                condition=models.Q(shared_with_office=True),
            ),
            models.Index(
                fields=["office", "status", "-opened_on", "reference", "restricted", "shared_with_office", "id"],
                name="case_office_status_list",
                condition=models.Q(shared_with_office=True),
            ),
            # Everyone's list (coordinators), whole or by status, in its order; with the id, its
            # count (restriction checked) is read from the index, not from 100,000 table rows.
            models.Index(fields=["-opened_on", "reference", "restricted", "id"], name="case_list_order"),
            models.Index(
                fields=["status", "-opened_on", "reference", "restricted", "id"], name="case_status_list_order"
            ),
            models.Index(
                fields=["programme", "opened_on", "status", "closed_on", "country_of_return", "sex", "is_minor"],
                name="case_figures_cover",
            ),
            # The few restricted files, read without the others: the referral list leaves out those
            # whose person only named users may see (access.scopes.referrals_visible_to).
            models.Index(fields=["id"], name="case_restricted", condition=models.Q(restricted=True)),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"),
        ]

    def __str__(self) -> str:
        return self.reference


class CaseAttachment(BaseModel):
    """A document of the case file, stored encrypted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case file"))
    filename = EncryptedTextField(_("file name"), key_field="case.data_key")
    content = EncryptedBytesField(_("contents"), key_field="case.data_key")
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.case.reference} attachment"


class CaseEvent(models.Model):
    """One line of a case's timeline (what happened, who, when); never personal details."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case file"))
    at = models.DateTimeField(_("date and time"), auto_now_add=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    kind = models.CharField(_("event"), max_length=40)
    params = models.JSONField(_("details"), default=dict)

    class Meta:
        ordering = ["at", "id"]
        # In the timeline's order, so its latest lines are read from the end of the index and no
        # more, however long the file's history (with the id, for events of the same instant).
        indexes = [models.Index(fields=["case", "at", "id"], name="caseevent_case_at_id")]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseSection(BaseModel):
    """Base of the one-per-case records edited with a version check."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case file"))
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by"))

    class Meta:
        abstract = True


class RiskAssessment(CaseSection):
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="risk_assessment", verbose_name=_("case file")
    )
    ratings = EncryptedJSONField(_("ratings"), key_field="case.data_key")
    overall = models.CharField(_("overall risk"), max_length=10, choices=Rating.choices)
    mitigation = EncryptedTextField(_("mitigation measures"), key_field="case.data_key")
    approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("risk assessment")

    def __str__(self) -> str:
        return f"{self.case_id} risk"


class NeedsAssessment(CaseSection):
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="needs_assessment", verbose_name=_("case file")
    )
    priorities = EncryptedJSONField(_("priorities"), key_field="case.data_key")
    notes = EncryptedTextField(_("notes"), key_field="case.data_key")

    class Meta:
        verbose_name = _("needs assessment")

    def __str__(self) -> str:
        return f"{self.case_id} needs"


class SkillsAssessment(CaseSection):
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="skills_assessment", verbose_name=_("case file")
    )
    education = EncryptedTextField(_("education"), key_field="case.data_key")
    languages = EncryptedTextField(_("languages"), key_field="case.data_key")
    work_experience = EncryptedTextField(_("work experience"), key_field="case.data_key")
    skills = EncryptedTextField(_("skills"), key_field="case.data_key")
    motivation = EncryptedTextField(_("motivation"), key_field="case.data_key")
    preferred_path = models.CharField(_("preferred path"), max_length=20, choices=PreferredPath.choices)
    constraints = EncryptedTextField(_("constraints"), key_field="case.data_key")

    class Meta:
        verbose_name = _("skills and motivation")

    def __str__(self) -> str:
        return f"{self.case_id} skills"


class LegalSituation(CaseSection):
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="legal_situation", verbose_name=_("case file")
    )
    identified_by_authority = models.BooleanField(_("identified by the police or gendarmerie"), default=False)
    reflection_period_ends_on = models.DateField(_("end of the reflection period"), null=True, blank=True)
    residence_permit = models.CharField(_("residence permit as a victim"), max_length=10, choices=PermitStatus.choices)
    complaint_filed = models.BooleanField(_("complaint filed or testimony given"), default=False)
    next_hearing_on = models.DateField(_("next hearing"), null=True, blank=True)
    proceedings = EncryptedTextField(_("criminal proceedings (court, reference)"), key_field="case.data_key")
    ofii_file = EncryptedTextField(_("OFII return-assistance file"), key_field="case.data_key")
    ofii_level = models.CharField(_("OFII assistance level"), max_length=10, choices=OfiiLevel.choices)

    class Meta:
        verbose_name = _("legal situation")

    def __str__(self) -> str:
        return f"{self.case_id} legal"


class Opportunity(BaseModel):
    """A concrete reintegration opportunity, verified by someone."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="opportunities", verbose_name=_("case file"))
    kind = models.CharField(_("kind"), max_length=20, choices=PreferredPath.choices)
    description = EncryptedTextField(_("description"), key_field="case.data_key")
    verified_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("verified by"))
    verified_on = models.DateField(_("verified on"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("reintegration opportunity")
        verbose_name_plural = _("reintegration opportunities")

    def __str__(self) -> str:
        return f"{self.case_id} opportunity"


class Consent(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents", verbose_name=_("case file"))
    scope = models.CharField(_("scope"), max_length=30, choices=ConsentScope.choices)
    given_on = models.DateField(_("given on"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("withdrawn by")
    )

    class Meta:
        ordering = ["scope", "given_on"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "scope"], condition=models.Q(withdrawn_on__isnull=True), name="consent_one_active"
            )
        ]
        # The scope check (is this consent standing?) answered from the index alone.
        indexes = [models.Index(fields=["case", "scope", "withdrawn_on"], name="consent_standing_cover")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.scope}"


class Handover(BaseModel):
    """The case sent to the office of the country of return, to be acknowledged."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("case file"))
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("office"))
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by"))
    due_on = models.DateField(_("acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("acknowledged by")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self) -> str:
        return f"{self.case_id} → {self.office_id}"


class CaseNote(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes", verbose_name=_("case file"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    body = EncryptedTextField(_("note"), key_field="case.data_key")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return f"{self.case_id} note"


class RestrictedView(models.Model):
    """Why someone opened a restricted case (asked at every view)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case file"))
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("user"))
    at = models.DateTimeField(_("date and time"), auto_now_add=True)
    reason = EncryptedTextField(_("reason"), key_field="case.data_key")

    class Meta:
        ordering = ["-at"]
        verbose_name = _("restricted case view")

    def __str__(self) -> str:
        return f"{self.case_id} viewed by {self.user_id}"


class FamilyAssessment(CaseSection):
    """Family assessment in the country of return (child procedure), by that office."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="family_assessment", verbose_name=_("case file")
    )
    caregiver = EncryptedTextField(_("caregiver and relationship to the child"), key_field="case.data_key")
    findings = EncryptedTextField(
        _("willingness and capacity to care, role in the migration, risks, housing, school, health"),
        key_field="case.data_key",
    )
    views = EncryptedTextField(_("views of the child and the family"), key_field="case.data_key")
    done_on = models.DateField(_("done on"))

    class Meta:
        verbose_name = _("family assessment")

    def __str__(self) -> str:
        return f"{self.case_id} family assessment"


class BestInterestsDetermination(CaseSection):
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="best_interests", verbose_name=_("case file")
    )
    participants = EncryptedTextField(_("participants (panel)"), key_field="case.data_key")
    reasoning = EncryptedTextField(_("factors weighed and recommendation"), key_field="case.data_key")
    return_in_best_interests = models.BooleanField(_("return is in the child's best interests"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("best-interests determination")

    def __str__(self) -> str:
        return f"{self.case_id} BID"


class CoordinationPlan(CaseSection):
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="coordination_plan", verbose_name=_("case file")
    )
    actors_france = EncryptedTextField(_("actors in France"), key_field="case.data_key")
    actors_return = EncryptedTextField(_("actors in the country of return"), key_field="case.data_key")
    escort = EncryptedTextField(_("escort in transit"), key_field="case.data_key")
    reception = EncryptedTextField(_("reception on arrival (named caregiver)"), key_field="case.data_key")

    class Meta:
        verbose_name = _("coordination plan")

    def __str__(self) -> str:
        return f"{self.case_id} coordination plan"


# The one-per-case records edited through the generic section page, by their key in code, in the
# order the summary lists them (careplus.cases.sections adds each one's form, label and permission;
# careplus.cases.slugs the French word of each one's URL).
SECTION_MODELS: dict[str, type[CaseSection]] = {
    "risk": RiskAssessment,
    "needs": NeedsAssessment,
    "skills": SkillsAssessment,
    "legal": LegalSituation,
    "family_assessment": FamilyAssessment,
    "best_interests": BestInterestsDetermination,
    "coordination": CoordinationPlan,
}


class CaseImport(BaseModel):
    """One import of existing files at go-live (a sheet confirmed by a coordinator, all rows or none)."""

    imported_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("imported by"))
    rows = models.PositiveIntegerField(_("files imported"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import of existing files")
        verbose_name_plural = _("imports of existing files")

    def __str__(self) -> str:
        return f"import {self.pk}"


class ImportedCase(models.Model):
    """Marks a case file as brought in by an import, with the row of the sheet it came from."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="imported_from", verbose_name=_("case file")
    )
    batch = models.ForeignKey(CaseImport, on_delete=models.PROTECT, related_name="cases", verbose_name=_("import"))
    row = models.PositiveIntegerField(_("row of the sheet"))

    class Meta:
        ordering = ["batch", "row"]
        verbose_name = _("imported case")
        verbose_name_plural = _("imported cases")

    def __str__(self) -> str:
        return f"{self.case_id} row {self.row}"
