"""Reading a case file or a referral: the one way a page, partial, download or export opens one.

Every read goes through the access policy (404 out of scope) and is written to the audit log with
the part of the file read. A restricted case file is opened only with a reason: asked once per
session and file (the reason form posts to its own URL and sends the user back), kept in the
session sealed under the file's own data key and bound to the user and the file (so it reads for
no other user, session or file), and written with every read (a `RestrictedView` row and the
audit event). Sign-out flushes the session, and the reasons with it.

Views raise `ReasonNeeded` through `open_case`; `careplus.cases.middleware.RestrictedReasonMiddleware`
turns it into the reason form, so a new page that opens a case through here asks the reason without
more code. The file's own page goes through `show_case`, which writes the read once the page's data
is read and answers the page once the event is committed (on PostgreSQL, while the page renders).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from careplus.access.fetch import acting_user, deny, get_case_for, get_referral_for
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.access.scopes import subject_request_cases, subject_request_referrals
from careplus.audit.choices import AuditAction
from careplus.audit.services import committed_at_the_end, record_event
from careplus.cases.models import Case
from careplus.cases.services import case_view_record
from careplus.core import crypto
from careplus.referrals.models import Referral

if TYPE_CHECKING:
    from careplus.accounts.models import User

SESSION_KEY = "careplus_case_reasons"
REASON_MIN, REASON_MAX = 5, 500


class ReasonNeeded(Exception):
    """A restricted case file was opened without a reason given in this session."""

    def __init__(self, case: Case, back: str) -> None:
        super().__init__(str(case.pk))
        self.case = case
        self.back = back


def _aad(case: Case, user_id: object) -> bytes:
    return f"careplus:session-reason:{case.pk}:{user_id}".encode()


def remember_reason(request: HttpRequest, case: Case, reason: str) -> None:
    """Keep the reason for this file in the session, sealed with the file's key for this user."""
    user = acting_user(request)
    data_key = case.data_key
    sealed = crypto.encrypt(reason.encode(), key=data_key.material(), key_id=data_key.pk, aad=_aad(case, user.pk))
    reasons = dict(request.session.get(SESSION_KEY) or {})
    reasons[str(case.pk)] = base64.b64encode(sealed).decode("ascii")
    request.session[SESSION_KEY] = reasons


def remembered_reason(request: HttpRequest, case: Case) -> str:
    """Return the reason given in this session for this file, or "" (never another user's or file's)."""
    user = acting_user(request)
    sealed = (request.session.get(SESSION_KEY) or {}).get(str(case.pk))
    if not isinstance(sealed, str):
        return ""
    try:
        blob = base64.b64decode(sealed, validate=True)
        if crypto.ciphertext_key_id(blob) != case.data_key.pk:
            return ""
        reason = crypto.decrypt(blob, key=case.data_key.material(), aad=_aad(case, user.pk)).decode()
    except (ValueError, crypto.DecryptionError, crypto.KeyDestroyed):
        return ""
    return reason if REASON_MIN <= len(reason) <= REASON_MAX else ""


def record_case_read(*, actor: User, case: Case, part: str, reason: str = "") -> None:
    """Write the read of a part of a case file (with the reason and its row, for a restricted file)."""
    case_view_record(actor=actor, case=case, reason=reason, part=part)


def open_case(request: HttpRequest, case_id: object, *, action: Action, part: str) -> Case:
    """Return the case for the request's user and action, its read audited; 404 out of scope.

    A restricted file without a reason given in this session raises `ReasonNeeded`.
    """
    case, reason = _case_and_reason(request, case_id, action)
    record_case_read(actor=acting_user(request), case=case, part=part, reason=reason)
    return case


def show_case(
    request: HttpRequest,
    case_id: object,
    *,
    action: Action,
    part: str,
    template: str,
    context: Callable[[Case], Mapping[str, object]],
) -> HttpResponse:
    """Answer a page of a case file, as `open_case` gives it: the case for the request's user and
    action (404 out of scope, `ReasonNeeded` for a restricted file without its reason), then
    `context(case)` reads what the page shows, then the read is recorded and the page rendered
    while the event commits (`committed_at_the_end`); the page is answered once it has.
    """
    case, reason = _case_and_reason(request, case_id, action)
    shown = context(case)
    with committed_at_the_end():
        record_case_read(actor=acting_user(request), case=case, part=part, reason=reason)
        return render(request, template, shown)


def _case_and_reason(request: HttpRequest, case_id: object, action: Action) -> tuple[Case, str]:
    """The case for the request's user and action, and for a restricted file the reason given in
    this session (`ReasonNeeded` without one); 404 out of scope."""
    case = get_case_for(acting_user(request), str(case_id), action=action)
    if not case.restricted:
        return case, ""
    reason = remembered_reason(request, case)
    if not reason:
        raise ReasonNeeded(case, _back_to(request, case))
    return case, reason


def open_referral(request: HttpRequest, referral_id: object, *, action: Action, part: str) -> Referral:
    """Return the referral for the request's user and action, its read audited; 404 out of scope.

    The referral of a restricted case file is a part of that file: to a reader of its person it asks
    the file's reason, and the read is written with it, as every other part of the file (a partner
    who referred the person follows its status only, and is asked nothing).
    """
    actor = acting_user(request)
    referral = get_referral_for(actor, str(referral_id), action=action)
    case = referral.case
    if case is not None and case.restricted and can(actor, Action.REFERRALS_READ_PERSON):
        reason = remembered_reason(request, case)
        if not reason:
            raise ReasonNeeded(case, _back_to(request, case))
        record_case_read(actor=actor, case=case, part=f"referral:{part}", reason=reason)
    record_event(action=AuditAction.VIEW, obj=referral, fields=[part])
    return referral


def case_page_of(case: Case, url: str) -> bool:
    """Tell whether the URL (a path on this site) is a page of this case file (its referral's included)."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    if "referral_id" in match.kwargs:
        return Referral.objects.filter(pk=match.kwargs["referral_id"], case_id=case.pk).exists()
    return str(match.kwargs.get("case_id", "")) == str(case.pk)


def safe_back(request: HttpRequest, case: Case, candidate: str) -> str:
    """Return the candidate when it is a page of this file on this site, else the file's summary."""
    ok = bool(candidate) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if ok and candidate.startswith("/") and case_page_of(case, candidate):
        return candidate
    return reverse("cases:case_detail", kwargs={"case_id": case.pk})


def _back_to(request: HttpRequest, case: Case) -> str:
    """Where to go once the reason is given: the page asked, or (after a POST or from htmx) the page it came from."""
    if request.method in {"GET", "HEAD"} and not request.headers.get("HX-Request"):
        return safe_back(request, case, request.get_full_path())
    referer = request.headers.get("HX-Current-URL", "") or request.headers.get("Referer", "")
    parts = urlsplit(referer)
    same_site = not parts.netloc or parts.netloc == request.get_host()
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_back(request, case, path if same_site else "")


# A data-subject request (GDPR arts. 15-17): the one door through which the DPO, who never reads
# case files in routine work, opens a person's whole file. The caller has checked a fresh second
# factor; every opening is written with its reason (and the reason row of a restricted file).


def find_for_subject_request(actor: User, reference: str) -> Case | Referral | None:
    """Return the case or referral whose number is exactly `reference`, for a data-subject request.

    A referral that became a case gives its case: the person's whole file starts there. Nothing is
    read but the number; out of the actor's rights, nothing is found (and the refusal is written).
    """
    if not can(actor, Action.PRIVACY_REQUESTS):
        raise deny(action=Action.PRIVACY_REQUESTS)
    number = reference.strip().upper()
    case = subject_request_cases(actor).select_related("data_key").filter(reference=number).first()
    if case is not None:
        return case
    referral = subject_request_referrals(actor).select_related("data_key", "case").filter(reference=number).first()
    if referral is not None and referral.case is not None:
        return referral.case
    return referral


def open_for_subject_request(
    *, actor: User, kind: str, subject_id: UUID | str, reason: str, part: str
) -> tuple[Case | None, Referral | None]:
    """Return the case and referral of a data-subject request, the read written with its reason; 404 otherwise.

    `kind` is "case" (the case file and its referral) or "referral" (a referral without a case).
    """
    reason = reason.strip()
    if not can(actor, Action.PRIVACY_REQUESTS) or not REASON_MIN <= len(reason) <= REASON_MAX:
        raise deny(action=Action.PRIVACY_REQUESTS, object_type=kind, object_id=subject_id)
    try:
        if kind == "case":
            case = subject_request_cases(actor).select_related("data_key", "office", "programme").get(pk=subject_id)
            referral = (
                Referral.objects.select_related("data_key", "organisation", "programme").filter(case=case).first()
            )
            record_case_read(actor=actor, case=case, part=part, reason=reason)
            fields = [f"referral:{part}", "reason"]
            if referral is not None:
                record_event(action=AuditAction.VIEW, obj=referral, actor=actor, fields=fields)
            return case, referral
        if kind == "referral":
            queryset = subject_request_referrals(actor).select_related("data_key", "organisation", "programme")
            referral = queryset.get(pk=subject_id, case__isnull=True)
            record_event(action=AuditAction.VIEW, obj=referral, actor=actor, fields=[part, "reason"])
            return None, referral
    except (Case.DoesNotExist, Referral.DoesNotExist, ValueError) as missing:
        raise deny(action=Action.PRIVACY_REQUESTS, object_type=kind, object_id=subject_id) from missing
    raise deny(action=Action.PRIVACY_REQUESTS, object_type=kind, object_id=subject_id)
