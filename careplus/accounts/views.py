"""Sign-in, second factor, own account, and the DPO's user management screens."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from typing import Any

import segno
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from careplus.access.decorators import password_only, public
from careplus.access.fetch import acting_user, get_user_for, require
from careplus.access.roles import Action
from careplus.accounts import selectors, services
from careplus.accounts.forms import (
    ApiTokenForm,
    EnrolmentForm,
    LoginForm,
    RecoveryCodesForm,
    RoleGrantForm,
    SecondFactorForm,
    UserCreateForm,
    UserSearchForm,
    VersionForm,
)
from careplus.accounts.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from careplus.accounts.models import User, normalise_email
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.errors import DomainError
from careplus.core.htmx import is_htmx
from careplus.core.http import methods
from careplus.core.mail import queue_password_reset
from careplus.core.network import client_ip
from careplus.core.ratelimit import take_slot

logger = logging.getLogger(__name__)

# --- Sign-in ---------------------------------------------------------------


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class LoginView(auth_views.LoginView):
    http_method_names = ["get", "post"]  # not the PUT Django's form views alias to POST
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        super().form_valid(form)  # logs in and gives the session a new id
        now = time.time()
        self.request.session[SESSION_STARTED] = now
        self.request.session[SESSION_LAST_SEEN] = now
        user = form.get_user()
        step = "accounts:otp_verify" if services.has_confirmed_totp(user) else "accounts:otp_setup"
        nxt = _safe_next(self.request, "")
        target = reverse(step)
        if nxt:
            target += "?" + "next=" + nxt
        return HttpResponseRedirect(target)


def lockout_response(request: HttpRequest, credentials: object, *args: object, **kwargs: object) -> HttpResponse:
    """Answer a locked-out sign-in with the login page and a cool-off message."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(request)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "locked_out": True, "cooloff_minutes": minutes},
        status=429,
    )


def _complete_second_factor(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    otp_login(request, device)
    request.session.cycle_key()  # a new session id once the second factor is verified


@password_only
@methods("GET", "POST")
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator code (or a recovery code) after the password."""
    user: Any = request.user  # Any: django-otp's middleware adds is_verified(), unknown to the types
    if user.is_verified():
        return redirect(_safe_next(request, reverse("home:home")))
    if not services.has_confirmed_totp(user):
        return redirect("accounts:otp_setup")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.second_factor_verify(user=user, token=form.cleaned_data["token"])
        if device is not None:
            _complete_second_factor(request, device)
            return redirect(_safe_next(request, reverse("home:home")))
        form.add_error("token", _("This code is not valid. Check the time on your phone and try again."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request, "")})


@password_only
@methods("GET", "POST")
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app at first sign-in, then show the recovery codes once."""
    user = acting_user(request)
    if services.has_confirmed_totp(user):
        return redirect("accounts:otp_verify")
    device = services.totp_device_for_enrolment(user=user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_confirm(user=user, device=device, token=form.cleaned_data["token"].strip()):
            _complete_second_factor(request, device)
            codes = services.recovery_codes_generate(user=user, count=settings.CAREPLUS_RECOVERY_CODES)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _safe_next(request, reverse("home:home"))},
            )
        form.add_error("token", _("This code is not valid. Check the time on your phone and try again."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, title=_("QR code"))
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": _base32(device.bin_key)},
    )


def _base32(key: bytes) -> str:
    raw = base64.b32encode(key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@password_only
@methods("POST")
def logout_view(request: HttpRequest) -> HttpResponse:
    """End the session on the server and return to the sign-in page.

    The browser is told to erase this site's storage: the field app's offline data (IndexedDB) and
    its service worker go with the session (issue 23; the app warns before that while records wait).
    """
    logout(request)
    messages.success(request, _("You are signed out."))
    response = redirect("accounts:login")
    response["Clear-Site-Data"] = '"storage"'
    return response


# Reset requests: at most this many per address and per client address within the window.
RESET_PER_ADDRESS = 3
RESET_PER_CLIENT = 10
RESET_WINDOW = 3600


def _reset_allowed(request: HttpRequest, email: str) -> bool:
    """Count one reset request against its address and its client; False once either is over its limit."""
    address = salted_hmac("careplus.password-reset", normalise_email(email)).hexdigest()  # no address in the cache
    client = salted_hmac("careplus.password-reset", client_ip(request)).hexdigest()
    by_address = take_slot(f"password-reset:address:{address}", limit=RESET_PER_ADDRESS, window=RESET_WINDOW)
    by_client = take_slot(f"password-reset:client:{client}", limit=RESET_PER_CLIENT, window=RESET_WINDOW)
    return by_address and by_client


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link: the same answer, in the same time, for known and unknown addresses.

    The request only queues the address in the outbox (careplus.core.mail); the account lookup,
    the token and the message are made after the response, so the request never waits for the
    mail relay. Requests over the per-address or per-client limit get the same answer and queue nothing.
    """

    http_method_names = ["get", "post"]  # not the PUT Django's form views alias to POST
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = str(form.cleaned_data["email"])
        allowed = _reset_allowed(self.request, email)
        with transaction.atomic():
            services.password_reset_requested(email=email)  # audited whether known, unknown or limited
            if allowed:
                queue_password_reset(email=email, language=translation.get_language() or settings.LANGUAGE_CODE)
        if not allowed:
            logger.warning("password reset request over its limit (client or address)")
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    http_method_names = ["get", "post"]  # not the PUT Django's form views alias to POST
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        revoked = services.password_changed(user=form.user, by_reset=True)
        _say_tokens_revoked(self.request, revoked)
        return response


def _say_tokens_revoked(request: HttpRequest, revoked: int) -> None:
    if revoked:
        messages.info(
            request,
            ngettext(
                "Your API token was revoked: create a new one for the system that used it.",
                "Your %(count)d API tokens were revoked: create new ones for the systems that used them.",
                revoked,
            )
            % {"count": revoked},
        )


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- Own account -------------------------------------------------------------


@methods("GET")
def account(request: HttpRequest) -> HttpResponse:
    """Show one's roles and the second-factor settings."""
    require(request.user, Action.ACCOUNT_SELF)
    return _render_account(request, RecoveryCodesForm())


def _render_account(request: HttpRequest, recovery_form: RecoveryCodesForm, status: int = 200) -> HttpResponse:
    grants = selectors.active_grants_of(user=request.user)
    return render(request, "accounts/account.html", {"grants": grants, "recovery_form": recovery_form}, status=status)


@methods("POST")
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    """Replace one's recovery codes after the second factor is given again; show the new ones once."""
    require(request.user, Action.ACCOUNT_SELF)
    form = RecoveryCodesForm(request.POST)
    if form.is_valid():
        try:
            codes = services.recovery_codes_regenerate(
                user=acting_user(request), code=form.cleaned_data["code"], count=settings.CAREPLUS_RECOVERY_CODES
            )
        except DomainError as error:
            form.add_error("code", str(error.message))
        else:
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": reverse("accounts:account")},
            )
    return _render_account(request, form, status=400)


class PasswordChangeView(auth_views.PasswordChangeView):
    http_method_names = ["get", "post"]  # not the PUT Django's form views alias to POST
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        require(request.user, Action.ACCOUNT_SELF)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        revoked = services.password_changed(user=form.user)
        messages.success(self.request, _("Your password has been changed."))
        _say_tokens_revoked(self.request, revoked)
        return response


# --- User management (DPO) ---------------------------------------------------


@methods("GET")
def user_list(request: HttpRequest) -> HttpResponse:
    """List and search user accounts."""
    require(request.user, Action.USERS_MANAGE)
    form = UserSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    users = selectors.user_search(actor=request.user, **filters)
    page = Paginator(users, 25).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    if is_htmx(request):
        return render(request, "accounts/partials/_user_table.html", context)
    return render(request, "accounts/user_list.html", context)


@methods("GET", "POST")
def user_create(request: HttpRequest) -> HttpResponse:
    """Create an account; the person receives an e-mail to choose a password."""
    require(request.user, Action.USERS_MANAGE)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=acting_user(request), **form.cleaned_data)
        except DomainError as error:
            form.add_error("email", str(error.message))
        else:
            messages.success(request, _("Account created. An invitation was sent by e-mail."))
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_create.html", {"form": form})


@methods("GET")
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    """Show an account with its roles and the actions the DPO can take on it."""
    user = get_user_for(request.user, user_id, action=Action.USERS_MANAGE)
    record_event(action=AuditAction.VIEW, obj=user)
    return _render_user_detail(request, user)


def _render_user_detail(
    request: HttpRequest, user: User, grant_form: RoleGrantForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "subject": user,
        "grants": selectors.grants_of_user(user=user),
        "grant_form": grant_form or RoleGrantForm(),
        "has_second_factor": services.has_confirmed_totp(user),
        # No one grants or revokes a role on their own account (the service refuses it too).
        "can_change_roles": user.pk != request.user.pk,
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@methods("POST")
def user_grant(request: HttpRequest, user_id: str) -> HttpResponse:
    """Grant a role to an account."""
    user = get_user_for(request.user, user_id, action=Action.USERS_MANAGE)
    form = RoleGrantForm(request.POST)
    if form.is_valid():
        try:
            services.role_grant(actor=acting_user(request), user=user, **form.cleaned_data)
        except services.StepUpFailed as error:
            form.add_error("code", str(error.message))
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Role granted."))
            return redirect("accounts:user_detail", user_id=user.pk)
    return _render_user_detail(request, user, grant_form=form, status=400)


@methods("POST")
def user_revoke(request: HttpRequest, user_id: str, grant_id: str) -> HttpResponse:
    """Revoke one of an account's roles."""
    user = get_user_for(request.user, user_id, action=Action.USERS_MANAGE)
    grant = selectors.grants_of_user(user=user).filter(pk=grant_id).first()
    if grant is None:
        raise Http404
    try:
        services.role_revoke(actor=acting_user(request), grant=grant, code=request.POST.get("code", "")[:16])
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Role revoked. The person's sessions ended and their API tokens were revoked."))
    return redirect("accounts:user_detail", user_id=user.pk)


def _versioned_action(request: HttpRequest, user_id: str, action: Callable[..., object], done: str) -> HttpResponse:
    user = get_user_for(request.user, user_id, action=Action.USERS_MANAGE)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete. Nothing was changed."))
    else:
        try:
            action(actor=request.user, user=user, expected_version=form.cleaned_data["version"])
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, done)
    return redirect("accounts:user_detail", user_id=user.pk)


@methods("POST")
def user_deactivate(request: HttpRequest, user_id: str) -> HttpResponse:
    """Deactivate an account; all its sessions end at once."""
    return _versioned_action(
        request,
        user_id,
        services.user_deactivate,
        _("Account deactivated; its sessions were ended and its API tokens revoked."),
    )


@methods("POST")
def user_reactivate(request: HttpRequest, user_id: str) -> HttpResponse:
    """Reactivate an account."""
    return _versioned_action(request, user_id, services.user_reactivate, _("Account reactivated."))


@methods("POST")
def user_reset_second_factor(request: HttpRequest, user_id: str) -> HttpResponse:
    """Remove an account's second factor so the person enrols again at next sign-in."""
    return _versioned_action(
        request,
        user_id,
        services.second_factor_reset,
        _(
            "Second factor removed; the person's sessions ended and their API tokens were revoked. "
            "They will enrol a new one at next sign-in."
        ),
    )


@methods("POST")
def user_resend_invitation(request: HttpRequest, user_id: str) -> HttpResponse:
    """Send the choose-a-password e-mail again."""
    user = get_user_for(request.user, user_id, action=Action.USERS_MANAGE)
    services.invitation_send(user=user)
    messages.success(request, _("Invitation sent again."))
    return redirect("accounts:user_detail", user_id=user.pk)


login_view = public(LoginView.as_view())
password_reset = public(PasswordResetView.as_view())
password_reset_done = public(PasswordResetDoneView.as_view())
password_reset_confirm = public(PasswordResetConfirmView.as_view())
password_reset_complete = public(PasswordResetCompleteView.as_view())
password_change = PasswordChangeView.as_view()


# --- Personal API tokens ------------------------------------------------------


@methods("GET", "POST")
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List one's API tokens and create one after the second factor is given again."""
    require(request.user, Action.ACCOUNT_SELF)
    user = acting_user(request)
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        if services.second_factor_verify(user=user, token=form.cleaned_data["code"]) is None:
            form.add_error("code", _("This code is not valid. Check the time on your phone and try again."))
        else:
            _token, created = services.api_token_create(
                user=user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
            form = ApiTokenForm()
    status = 400 if request.method == "POST" and created is None else 200
    now = timezone.now()
    # Each token with whether it still works (neither revoked nor expired): the template compares no date.
    tokens = [(token, token.is_usable(now)) for token in selectors.api_tokens_of(user=user)]
    context = {"form": form, "tokens": tokens, "created": created}
    return render(request, "accounts/api_tokens.html", context, status=status)


@methods("POST")
def api_token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    """Revoke one of one's API tokens."""
    require(request.user, Action.ACCOUNT_SELF)
    user = acting_user(request)
    token = selectors.api_token_of(user=user, token_id=token_id)
    services.api_token_revoke(user=user, token=token)
    messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("accounts:api_tokens")
