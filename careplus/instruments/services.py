"""New versions of the instruments through screens: a coordinator's draft, a second coordinator's approval.

A draft is a copy of the version in force, edited in structured forms (an indicator list, the
eligibility parameters, the questionnaire), compared with the version in force, and approved by a
coordinator who neither drafted nor edited it, after a fresh second-factor code, with an effective date.
Results computed before keep the version they used (each stores it); from the effective date new ones
use the new version. No code change and no migration are needed.
"""

from __future__ import annotations

import copy
import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from careplus.accounts import services as account_services
from careplus.accounts.models import User
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from careplus.audit.services import record_event
from careplus.core import instruments
from careplus.core.countries import country_name
from careplus.core.errors import RuleViolation
from careplus.core.instruments import InstrumentData
from careplus.core.locking import bump, check_version, lock_for_edit
from careplus.core.models import Instrument
from careplus.referrals.choices import ReferralStatus
from careplus.referrals.models import Screening
from careplus.referrals.screening import STRENGTHS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ILO = "ilo_indicators"
ELIGIBILITY = "eligibility"
RSS = "rss"

KINDS: dict[str, StrOrPromise] = {
    ILO: gettext_lazy("ILO/EC indicators of trafficking"),
    ELIGIBILITY: gettext_lazy("Eligibility parameters"),
    RSS: gettext_lazy("Reintegration sustainability questionnaire"),
}

INDICATOR_CODE = re.compile(r"^d[1-9]\.[a-z0-9_]{1,40}$")
DEPARTEMENT_CODE = re.compile(r"^(\d{2,3}|2A|2B)$")
WEIGHT_TOLERANCE = Decimal("0.001")

# The audit field of a staff handover moving a draft to a colleague: it changes who holds the
# draft, not its content, so the coordinator who hands it over does not become one of its editors.
HANDOVER_FIELD = "drafted_by"


# --- Reading --------------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def alphabetical(text: str) -> str:
    """A sort key that files « Népal » between « Namibie » and « Norvège » (accents ignored)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def label_of(labels: dict[str, str]) -> str:
    return labels.get("fr") or labels.get("en") or ""


def version_by_id(pk: int) -> Instrument | None:
    return Instrument.objects.select_related("based_on", "drafted_by", "decided_by").filter(pk=pk).first()


def versions_of(kind: str) -> list[Instrument]:
    """Every version of an instrument, newest first (drafts, approved, refused)."""
    return list(
        Instrument.objects.filter(kind=kind).select_related("drafted_by", "decided_by").order_by("-created_at", "-id")
    )


def open_draft(kind: str) -> Instrument | None:
    return Instrument.objects.filter(kind=kind, status=Instrument.Status.DRAFT).first()


def is_author(user: User, draft: Instrument) -> bool:
    """Tell whether the user drafted or ever edited the draft (and so may not approve it).

    Every edit is an audit event on the draft, so anyone who changed it — not only its first and
    last editors — is found there. A draft handed over when its drafter left names the successor
    as its drafter; the leaver's creation and edits stay in the log, so neither may approve it.
    """
    if user.pk in {draft.drafted_by_id, draft.last_edited_by_id}:
        return True
    return (
        AuditEvent.objects.filter(
            object_type=Instrument._meta.label_lower,
            object_id=str(draft.pk),
            action__in=[AuditAction.CREATE, AuditAction.CHANGE],
            outcome=AuditOutcome.SUCCESS,
            actor_id=str(user.pk),
        )
        .exclude(action=AuditAction.CHANGE, fields=HANDOVER_FIELD)
        .exists()
    )


def open_screenings_on(instrument: Instrument) -> int:
    """Count the screenings of referrals not yet decided that were computed on this version."""
    return Screening.objects.filter(instrument=instrument, referral__status=ReferralStatus.RECEIVED).count()


# --- Drafts ---------------------------------------------------------------------------------------


def _next_version_label(kind: str, day: datetime.date) -> str:
    taken = set(Instrument.objects.filter(kind=kind).values_list("version", flat=True))
    number = 1
    while f"{day.year}-{number}" in taken:
        number += 1
    return f"{day.year}-{number}"


@transaction.atomic
def draft_create(*, actor: User, kind: str) -> Instrument:
    """Copy the version in force of an instrument into a new draft (one open draft per instrument)."""
    if kind not in KINDS:
        raise RuleViolation(_("Unknown instrument."))
    # Lock the version in force so two coordinators cannot open two drafts at the same moment.
    try:
        in_force = instruments.current(kind)
    except instruments.InstrumentMissing as missing:
        raise RuleViolation(_("No version in force.")) from missing
    base = Instrument.objects.select_for_update().get(pk=in_force.pk)
    if open_draft(kind) is not None:
        raise RuleViolation(_("A draft of this instrument is already open: continue it or have it decided first."))
    draft = Instrument.objects.create(
        kind=kind,
        version=_next_version_label(kind, timezone.localdate()),
        label=base.label,
        data=copy.deepcopy(base.data),
        active=True,
        status=Instrument.Status.DRAFT,
        based_on=base,
        drafted_by=actor,
    )
    record_event(action=AuditAction.CREATE, obj=draft, actor=actor, fields=[f"based_on:{base.version}"])
    return draft


def _open_draft(draft: Instrument, expected_row_version: int | None) -> Instrument:
    """Lock a draft still open; a draft decided meanwhile is refused as such, before its version is compared."""
    locked = lock_for_edit(Instrument, draft.pk, None)
    if locked.status != Instrument.Status.DRAFT:
        raise RuleViolation(_("This version has already been decided: it can no longer be changed."))
    check_version(locked, expected_row_version, version_field="row_version")
    return locked


@transaction.atomic
def draft_save(
    *, actor: User, draft: Instrument, data: InstrumentData, expected_row_version: int | None, part: str
) -> Instrument:
    """Replace a draft's data after checking it; `part` names what was edited (for the audit log)."""
    locked = _open_draft(draft, expected_row_version)
    check_data(locked.kind, data)
    locked.data = data
    locked.last_edited_by = actor
    bump(locked, "data", "last_edited_by", version_field="row_version")
    record_event(action=AuditAction.CHANGE, obj=locked, actor=actor, fields=[part])
    return locked


def _refuse(*, actor: User, draft: Instrument, rule: str) -> None:
    record_event(
        action=AuditAction.TRANSITION, obj=draft, actor=actor, outcome=AuditOutcome.DENIED, fields=[f"refused:{rule}"]
    )


def _decision_rules(*, actor: User, draft: Instrument) -> None:
    if draft.status != Instrument.Status.DRAFT:
        raise RuleViolation(_("This version has already been decided."))
    if is_author(actor, draft):
        _refuse(actor=actor, draft=draft, rule="four_eyes")
        raise RuleViolation(_("You drafted or edited this version: another coordinator must decide on it."))


def draft_approve(
    *,
    actor: User,
    draft: Instrument,
    code: str | None,
    effective_from: datetime.date | None,
    expected_row_version: int | None,
) -> Instrument:
    """Approve a draft from a date (today or later) after a fresh second-factor code; audited.

    Nothing changes when a rule refuses; the refusal is recorded in the audit log.
    """
    _decision_rules(actor=actor, draft=draft)
    today = timezone.localdate()
    if effective_from is None or effective_from < today:
        raise RuleViolation(_("The effective date must be today or later."))
    if draft.based_on is not None and draft.data == draft.based_on.data:
        raise RuleViolation(_("This draft changes nothing from the version it copies."))
    try:
        # Outside the transaction: a failed code stays recorded and throttled.
        account_services.require_step_up(user=actor, code=code)
    except account_services.StepUpFailed:
        _refuse(actor=actor, draft=draft, rule="step_up")
        raise
    with transaction.atomic():
        locked = _open_draft(draft, expected_row_version)
        locked.status = Instrument.Status.APPROVED
        locked.effective_from = effective_from
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        bump(locked, "status", "effective_from", "decided_by", "decided_at", version_field="row_version")
        record_event(
            action=AuditAction.TRANSITION,
            obj=locked,
            actor=actor,
            fields=["status:approved", f"effective_from:{effective_from.isoformat()}"],
        )
    return locked


@transaction.atomic
def draft_refuse(*, actor: User, draft: Instrument, reason: str, expected_row_version: int | None) -> Instrument:
    """Refuse a draft with a reason; the version in force stays; audited."""
    _decision_rules(actor=actor, draft=draft)
    if not reason.strip():
        raise RuleViolation(_("Give the reason for refusing this draft."))
    locked = _open_draft(draft, expected_row_version)
    locked.status = Instrument.Status.REFUSED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = reason.strip()
    bump(locked, "status", "decided_by", "decided_at", "decision_note", version_field="row_version")
    record_event(action=AuditAction.TRANSITION, obj=locked, actor=actor, fields=["status:refused"])
    return locked


# --- Edits: from the forms' cleaned values to new data ---------------------------------------------


def ilo_list_apply(
    data: InstrumentData,
    *,
    list_code: str,
    rows: list[dict[str, Any]],  # each row's cleaned values
    verified: bool,
    source_note: str,
) -> InstrumentData:
    """Return a copy of the ILO data with one list's indicators replaced by the rows of the form.

    A row is {dimension, code, strength, label_fr, label_en, unverified, source_note}. Clearing an
    "unverified" mark (on an indicator or on the whole list) needs a source note, kept with it.
    """
    new = copy.deepcopy(data)
    target = new["lists"][list_code]
    old = {ind["code"]: ind for dim in target["dimensions"] for ind in dim["indicators"]}
    dimensions = {dim["code"]: dim for dim in target["dimensions"]}
    for dim in target["dimensions"]:
        dim["indicators"] = []
    for row in rows:
        before = old.get(row["code"], {})
        indicator: dict[str, Any] = {  # JSON, as stored in the instrument's data
            "code": row["code"],
            "strength": row["strength"],
            "label": {"fr": row["label_fr"].strip(), "en": (row.get("label_en") or row["label_fr"]).strip()},
        }
        if row.get("unverified"):
            indicator["unverified"] = True
        note = (row.get("source_note") or "").strip()
        if before.get("unverified") and not row.get("unverified"):
            if not note:
                raise RuleViolation(_("Give the source that confirms this indicator to clear its mark."))
            indicator["source_note"] = note
        elif before.get("source_note"):
            indicator["source_note"] = before["source_note"]
        if row["dimension"] not in dimensions:
            raise RuleViolation(_("Unknown dimension."))
        dimensions[row["dimension"]]["indicators"].append(indicator)
    if verified and not target.get("verified"):
        if not source_note.strip():
            raise RuleViolation(_("Give the source that confirms this list to mark it verified."))
        target["verified"] = True
        target["source_note"] = source_note.strip()
    elif not verified:
        target["verified"] = False
    check_data(ILO, new)
    return new


def eligibility_apply(
    data: InstrumentData,
    *,
    eu_member_states: list[str],
    overseas_departements: list[str],
    adult_age: int,
    max_age: int,
) -> InstrumentData:
    new = copy.deepcopy(data)
    new["eu_member_states"] = sorted({code.upper() for code in eu_member_states})
    new["overseas_departements"] = sorted({code.strip().upper() for code in overseas_departements})
    new["adult_age"] = adult_age
    new["max_age"] = max_age
    check_data(ELIGIBILITY, new)
    return new


# rows: each row's cleaned values
def rss_apply(data: InstrumentData, *, rows: list[dict[str, Any]], weights_loaded: bool) -> InstrumentData:
    """Return a copy of the questionnaire with the items' labels and weights from the form's rows."""
    new = copy.deepcopy(data)
    by_code = {row["code"]: row for row in rows}
    for item in new["items"]:
        row = by_code.get(item["code"])
        if row is None:
            continue
        item["label"] = {"fr": row["label_fr"].strip(), "en": (row.get("label_en") or row["label_fr"]).strip()}
        for name in ("dimension_weight", "composite_weight"):
            value = row.get(name)
            item[name] = None if value is None else float(value)
    new["weights_loaded"] = weights_loaded
    check_data(RSS, new)
    return new


# --- Checks (the forms say the same per field; these guard the service) ----------------------------


def weight_problems(items: list[dict[str, Any]]) -> list[str]:  # the instrument's items (JSON)
    """Say what keeps the weights from being used: a missing weight or sums that are not 1."""
    problems: list[str] = []
    sums: dict[str, Decimal] = {}
    composite = Decimal(0)
    for item in items:
        for name in ("dimension_weight", "composite_weight"):
            if item.get(name) is None:
                return [_("Every question needs both weights once the weights are used.")]
        sums[item["dimension"]] = sums.get(item["dimension"], Decimal(0)) + Decimal(str(item["dimension_weight"]))
        composite += Decimal(str(item["composite_weight"]))
    for dimension, total in sums.items():
        if abs(total - 1) > WEIGHT_TOLERANCE:
            problems.append(
                _("The weights within the dimension “%(dimension)s” add up to %(total)s, not 1.")
                % {"dimension": dimension, "total": total.normalize()}
            )
    if abs(composite - 1) > WEIGHT_TOLERANCE:
        problems.append(_("The composite weights add up to %(total)s, not 1.") % {"total": composite.normalize()})
    return problems


def _check_ilo(data: InstrumentData) -> None:
    for list_data in data["lists"].values():
        codes = [ind["code"] for dim in list_data["dimensions"] for ind in dim["indicators"]]
        if len(codes) != len(set(codes)):
            raise RuleViolation(_("Each indicator code must appear only once in a list."))
        for dim in list_data["dimensions"]:
            for ind in dim["indicators"]:
                if not INDICATOR_CODE.match(ind["code"]) or not ind["label"].get("fr", "").strip():
                    raise RuleViolation(_("Each indicator needs a code and a French label."))
                if ind["strength"] not in STRENGTHS:
                    raise RuleViolation(_("Unknown strength."))


def _check_eligibility(data: InstrumentData) -> None:
    if not all(DEPARTEMENT_CODE.match(code) for code in data["overseas_departements"]):
        raise RuleViolation(_("A département code is two or three digits (or 2A, 2B)."))
    if not (0 < data["adult_age"] < data["max_age"]):
        raise RuleViolation(_("The age of majority must be below the maximum age."))


def _check_weight(value: object) -> None:
    if value is None:
        return
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise RuleViolation(_("A weight is a number between 0 and 1.")) from error
    if not (0 <= number <= 1):
        raise RuleViolation(_("A weight is a number between 0 and 1."))


def _check_rss(data: InstrumentData) -> None:
    for item in data["items"]:
        if not item["label"].get("fr", "").strip():
            raise RuleViolation(_("Each question needs a French label."))
        _check_weight(item.get("dimension_weight"))
        _check_weight(item.get("composite_weight"))
    if data.get("weights_loaded"):
        problems = weight_problems(data["items"])
        if problems:
            raise RuleViolation(" ".join(problems))


def check_data(kind: str, data: InstrumentData) -> None:
    """Refuse data that the scoring or the eligibility rules could not use."""
    {ILO: _check_ilo, ELIGIBILITY: _check_eligibility, RSS: _check_rss}[kind](data)


# --- Differences ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between the version in force and a draft, said in a sentence."""

    kind: str  # "added", "removed" or "changed"
    text: str

    @property
    def kind_label(self) -> str:
        return str(CHANGE_KINDS[self.kind])


CHANGE_KINDS: dict[str, StrOrPromise] = {
    "added": gettext_lazy("Added"),
    "removed": gettext_lazy("Removed"),
    "changed": gettext_lazy("Changed"),
}


def _ilo_changes(before: InstrumentData, after: InstrumentData) -> list[Change]:
    changes: list[Change] = []
    for list_code, new_list in after["lists"].items():
        old_list = before["lists"].get(list_code, {"dimensions": []})
        name = label_of(new_list["label"])
        old = {ind["code"]: (dim["code"], ind) for dim in old_list["dimensions"] for ind in dim["indicators"]}
        new = {ind["code"]: (dim["code"], ind) for dim in new_list["dimensions"] for ind in dim["indicators"]}
        values = {"list": name}
        for code, (dim, ind) in new.items():
            if code not in old:
                text = _("%(list)s, dimension %(dim)s: indicator added “%(label)s” (%(strength)s).") % {
                    **values,
                    "dim": dim,
                    "label": label_of(ind["label"]),
                    "strength": STRENGTHS[ind["strength"]],
                }
                changes.append(Change("added", text))
                continue
            old_dim, old_ind = old[code]
            label = label_of(ind["label"])
            if label_of(old_ind["label"]) != label:
                text = _("%(list)s: indicator “%(old)s” renamed “%(new)s”.") % {
                    **values,
                    "old": label_of(old_ind["label"]),
                    "new": label,
                }
                changes.append(Change("changed", text))
            if old_ind["strength"] != ind["strength"]:
                text = _("%(list)s: indicator “%(label)s” goes from %(old)s to %(new)s.") % {
                    **values,
                    "label": label,
                    "old": STRENGTHS[old_ind["strength"]],
                    "new": STRENGTHS[ind["strength"]],
                }
                changes.append(Change("changed", text))
            if old_dim != dim:
                text = _("%(list)s: indicator “%(label)s” moves from dimension %(old)s to %(new)s.") % {
                    **values,
                    "label": label,
                    "old": old_dim,
                    "new": dim,
                }
                changes.append(Change("changed", text))
            if old_ind.get("unverified") and not ind.get("unverified"):
                text = _("%(list)s: indicator “%(label)s” is now verified (source: %(note)s).") % {
                    **values,
                    "label": label,
                    "note": ind.get("source_note", ""),
                }
                changes.append(Change("changed", text))
            elif ind.get("unverified") and not old_ind.get("unverified"):
                text = _("%(list)s: indicator “%(label)s” is marked unverified.") % {**values, "label": label}
                changes.append(Change("changed", text))
        for code, (dim, ind) in old.items():
            if code not in new:
                text = _("%(list)s, dimension %(dim)s: indicator removed “%(label)s”.") % {
                    **values,
                    "dim": dim,
                    "label": label_of(ind["label"]),
                }
                changes.append(Change("removed", text))
        if new_list.get("verified") and not old_list.get("verified"):
            text = _("%(list)s: the whole list is now verified (source: %(note)s).") % {
                **values,
                "note": new_list.get("source_note", ""),
            }
            changes.append(Change("changed", text))
        elif old_list.get("verified") and not new_list.get("verified"):
            changes.append(Change("changed", _("%(list)s: the list is marked unverified.") % values))
    return changes


def _eligibility_changes(before: InstrumentData, after: InstrumentData) -> list[Change]:
    changes: list[Change] = []
    old_eu, new_eu = set(before["eu_member_states"]), set(after["eu_member_states"])
    for code in sorted(new_eu - old_eu, key=lambda code: alphabetical(country_name(code))):
        text = _("EU member state added: %(country)s.") % {"country": country_name(code)}
        changes.append(Change("added", text))
    for code in sorted(old_eu - new_eu, key=lambda code: alphabetical(country_name(code))):
        text = _("EU member state removed: %(country)s.") % {"country": country_name(code)}
        changes.append(Change("removed", text))
    old_dom, new_dom = set(before["overseas_departements"]), set(after["overseas_departements"])
    changes.extend(
        Change("added", _("Overseas département added: %(code)s.") % {"code": code})
        for code in sorted(new_dom - old_dom)
    )
    changes.extend(
        Change("removed", _("Overseas département removed: %(code)s.") % {"code": code})
        for code in sorted(old_dom - new_dom)
    )
    for name, label in (("adult_age", _("Age of majority")), ("max_age", _("Maximum age"))):
        if before.get(name) != after.get(name):
            text = _("%(name)s: %(old)s → %(new)s.") % {"name": label, "old": before.get(name), "new": after.get(name)}
            changes.append(Change("changed", text))
    return changes


def _weight(value: object) -> str:
    return "—" if value is None else str(value).replace(".", ",")


def _rss_changes(before: InstrumentData, after: InstrumentData) -> list[Change]:
    changes: list[Change] = []
    old = {item["code"]: item for item in before["items"]}
    for item in after["items"]:
        previous = old.get(item["code"])
        if previous is None:
            continue
        label = label_of(item["label"])
        if label_of(previous["label"]) != label:
            text = _("Question “%(old)s” renamed “%(new)s”.") % {"old": label_of(previous["label"]), "new": label}
            changes.append(Change("changed", text))
        for name, what in (
            ("dimension_weight", _("weight in its dimension")),
            ("composite_weight", _("weight in the composite score")),
        ):
            if previous.get(name) != item.get(name):
                text = _("Question “%(label)s”, %(what)s: %(old)s → %(new)s.") % {
                    "label": label,
                    "what": what,
                    "old": _weight(previous.get(name)),
                    "new": _weight(item.get(name)),
                }
                changes.append(Change("changed", text))
    if bool(before.get("weights_loaded")) != bool(after.get("weights_loaded")):
        text = (
            _("The scores will use the weights entered.")
            if after.get("weights_loaded")
            else _("The scores will be unweighted (provisional).")
        )
        changes.append(Change("changed", text))
    return changes


def changes(draft: Instrument, against: Instrument) -> list[Change]:
    """The differences from a version (usually the one in force) to a draft, in sentences."""
    if draft.kind == ILO:
        return _ilo_changes(against.data, draft.data)
    if draft.kind == ELIGIBILITY:
        return _eligibility_changes(against.data, draft.data)
    return _rss_changes(against.data, draft.data)


def removal_note(draft: Instrument, against: Instrument, found: list[Change]) -> str:
    """When indicators are removed, say how many open screenings used the version in force (they keep it)."""
    if draft.kind != ILO or not any(change.kind == "removed" for change in found):
        return ""
    count = open_screenings_on(against)
    if count == 0:
        return _("No open screening used version %(version)s.") % {"version": against.version}
    return ngettext(
        "%(count)d screening of a referral still open used version %(version)s: its result keeps that "
        "version, removed indicators included.",
        "%(count)d screenings of referrals still open used version %(version)s: their results keep that "
        "version, removed indicators included.",
        count,
    ) % {"count": count, "version": against.version}
