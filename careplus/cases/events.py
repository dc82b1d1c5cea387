"""Timeline events of a case: what each kind of event says (never personal details)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from careplus.cases.choices import CaseStatus, ConsentScope


def _status(value: object) -> str:
    try:
        return str(CaseStatus(str(value)).label)
    except ValueError:
        return str(value)


def _scope(value: object) -> str:
    try:
        return str(ConsentScope(str(value)).label)
    except ValueError:
        return str(value)


def _identity_fields(names: object) -> str:
    labels = {
        "family_name": _("family name"),
        "given_names": _("given names"),
        "date_of_birth": _("date of birth"),
        "sex": _("sex"),
        "nationality": _("nationality"),
    }
    return ", ".join(labels.get(str(name), str(name)) for name in (names if isinstance(names, list | tuple) else []))


def _procedure_changed(params: Mapping[str, object]) -> str:
    if params.get("procedure") != "child":
        return _("Date of birth corrected: the file now follows the adult procedure.")
    text = _("Date of birth corrected: the file now follows the child procedure.")
    if params.get("flagged"):
        text += " " + _(
            "It had already passed the step where the child procedure is checked: an alert stays on its summary "
            "until the child procedure's steps are recorded."
        )
    return text


def _recorded_offline(params: Mapping[str, object]) -> str:
    """The sentence added for an entry made on a device offline and synced later (issue 23), or ""."""
    value = params.get("recorded_offline_at")
    if not value:
        return ""
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    day = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return " " + _("Recorded offline on %(date)s.") % {"date": date_format(day, "SHORT_DATE_FORMAT")}


def describe(kind: str, params: Mapping[str, object]) -> str:
    """Return the sentence shown on the timeline for an event."""
    texts = {
        "opened": lambda: _("Case opened."),
        "transition": lambda: (
            _("Status changed from “%(old)s” to “%(new)s”.")
            % {"old": _status(params.get("from")), "new": _status(params.get("to"))}
        ),
        "section_saved": lambda: _("%(section)s saved.") % {"section": _(str(params.get("label", "")))},
        "risk_approved": lambda: _("High risk approved by a coordinator."),
        "bid_approved": lambda: _("Best-interests determination approved."),
        "opportunity_added": lambda: _("Reintegration opportunity added."),
        "consent_given": lambda: _("Consent recorded: %(scope)s.") % {"scope": _scope(params.get("scope"))},
        "consent_withdrawn": lambda: _("Consent withdrawn: %(scope)s.") % {"scope": _scope(params.get("scope"))},
        "handover_sent": lambda: _("Case handed over to %(office)s.") % {"office": params.get("office", "")},
        "handover_acknowledged": lambda: (
            _("Handover acknowledged by %(office)s.") % {"office": params.get("office", "")}
        ),
        "note_added": lambda: _("Note added."),
        "attachment_added": lambda: _("Document added."),
        "restriction_changed": lambda: _("Access restriction changed."),
        "caseworker_changed": lambda: _("Responsible caseworker changed."),
        "reassigned": lambda: _("File handed over to another caseworker (staff leaving)."),
        "restriction_handed_over": lambda: _(
            "A colleague named on this restricted file in place of a leaving caseworker."
        ),
        "identity_corrected": lambda: (
            _("Identity corrected by a coordinator: %(fields)s.") % {"fields": _identity_fields(params.get("fields"))}
        ),
        "procedure_changed": lambda: _procedure_changed(params),
        "imported": lambda: _("File imported from the go-live sheet (row %(row)s).") % {"row": params.get("row", "")},
        "visit_corrected": lambda: _("Follow-up visit corrected after a conflict."),
    }
    text = texts.get(kind)
    return text() + _recorded_offline(params) if text else kind
