"""Timeline events of a case: what each kind of event says (never personal details)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from careplus.cases.choices import CaseStatus, ConsentScope

Translate = Callable[[str], str]


def status_label(value: object) -> str:
    """A case status as the screens name it, or the value as it is when it is no status."""
    try:
        return str(CaseStatus(str(value)).label)
    except ValueError:
        return str(value)


def _scope(value: object) -> str:
    try:
        return str(ConsentScope(str(value)).label)
    except ValueError:
        return str(value)


def _identity_fields(names: object, _: Translate) -> str:
    labels = {
        "family_name": _("family name"),
        "given_names": _("given names"),
        "date_of_birth": _("date of birth"),
        "sex": _("sex"),
        "nationality": _("nationality"),
    }
    return ", ".join(labels.get(str(name), str(name)) for name in (names if isinstance(names, list | tuple) else []))


def _procedure_changed(params: Mapping[str, object], _: Translate) -> str:
    if params.get("procedure") != "child":
        return _("Date of birth corrected: the file now follows the adult procedure.")
    text = _("Date of birth corrected: the file now follows the child procedure.")
    if params.get("flagged"):
        text += " " + _(
            "It had already passed the step where the child procedure is checked: an alert stays on its summary "
            "until the child procedure's steps are recorded."
        )
    return text


def _recorded_offline(params: Mapping[str, object], _: Translate) -> str:
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


# What each kind of event says, from its details and a translator (`_`, so that makemessages
# finds the messages).
_TEXTS: dict[str, Callable[[Mapping[str, object], Translate], str]] = {
    "opened": lambda params, _: _("Case opened."),
    "transition": lambda params, _: (
        _("Status changed from “%(old)s” to “%(new)s”.")
        % {"old": status_label(params.get("from")), "new": status_label(params.get("to"))}
    ),
    "section_saved": lambda params, _: _("%(section)s saved.") % {"section": _(str(params.get("label", "")))},
    "risk_approved": lambda params, _: _("High risk approved by a coordinator."),
    "bid_approved": lambda params, _: _("Best-interests determination approved."),
    "opportunity_added": lambda params, _: _("Reintegration opportunity added."),
    "consent_given": lambda params, _: _("Consent recorded: %(scope)s.") % {"scope": _scope(params.get("scope"))},
    "consent_withdrawn": lambda params, _: _("Consent withdrawn: %(scope)s.") % {"scope": _scope(params.get("scope"))},
    "handover_sent": lambda params, _: _("Case handed over to %(office)s.") % {"office": params.get("office", "")},
    "handover_acknowledged": lambda params, _: (
        _("Handover acknowledged by %(office)s.") % {"office": params.get("office", "")}
    ),
    "note_added": lambda params, _: _("Note added."),
    "attachment_added": lambda params, _: _("Document added."),
    "restriction_changed": lambda params, _: _("Access restriction changed."),
    "caseworker_changed": lambda params, _: _("Responsible caseworker changed."),
    "reassigned": lambda params, _: _("File handed over to another caseworker (staff leaving)."),
    "restriction_handed_over": lambda params, _: _(
        "A colleague named on this restricted file in place of a leaving caseworker."
    ),
    "identity_corrected": lambda params, _: (
        _("Identity corrected by a coordinator: %(fields)s.") % {"fields": _identity_fields(params.get("fields"), _)}
    ),
    "procedure_changed": _procedure_changed,
    "imported": lambda params, _: (
        _("File imported from the go-live sheet (row %(row)s).") % {"row": params.get("row", "")}
    ),
    "visit_corrected": lambda params, _: _("Follow-up visit corrected after a conflict."),
}


def describe(kind: str, params: Mapping[str, object]) -> str:
    """Return the sentence shown on the timeline for an event."""
    (text,) = describe_all([(kind, params)])
    return text


def describe_all(events: Iterable[tuple[str, Mapping[str, object]]]) -> list[str]:
    """The sentences of a timeline's events, each message translated once for them all.

    A timeline repeats a few kinds of event, and each lookup of the active language's catalogue
    costs about 10 µs (Django reads the language from a context-local each time).
    """
    translated: dict[str, str] = {}

    def translate(message: str) -> str:
        text = translated.get(message)
        if text is None:
            text = translated[message] = gettext(message)
        return text

    sentences = []
    for kind, params in events:
        text = _TEXTS.get(kind)
        sentences.append(text(params, translate) + _recorded_offline(params, translate) if text else kind)
    return sentences
