"""Register of processing (GDPR art. 30), generated from the system itself.

Data categories are read from the models (every encrypted field of the apps holding the
beneficiaries' data), recipients from the role table and the offices and organisations on record,
retention and security measures from the settings in force. Nothing here is typed by hand but the
purposes, which come from the product specification.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.access.roles import ROLE_ACTIONS, Role
from careplus.accounts.choices import OfficeKind, OrganisationType
from careplus.accounts.models import Office, Organisation
from careplus.audit.models import AuditEvent
from careplus.cases.retention import MINIMUM_DAYS
from careplus.core.countries import country_name
from careplus.core.fields import encrypted_fields

PERSONAL_DATA_APPS = ("referrals", "cases", "returns")

PURPOSES = (
    (
        gettext_lazy("Referral"),
        gettext_lazy(
            "Receive referrals of presumed victims of trafficking from partner organisations and decide on their "
            "eligibility."
        ),
    ),
    (
        gettext_lazy("Case management"),
        gettext_lazy("Prepare the voluntary return: assessments, consents, legal situation, departure."),
    ),
    (
        gettext_lazy("Reintegration"),
        gettext_lazy("Plan and deliver the reintegration assistance in the country of return."),
    ),
    (
        gettext_lazy("Follow-up"),
        gettext_lazy("Follow the person for at most twelve months after the return, then close the file."),
    ),
    (
        gettext_lazy("Training"),
        gettext_lazy("Train frontline professionals and issue attendance certificates."),
    ),
    (
        gettext_lazy("Reporting"),
        gettext_lazy("Report to the funders with figures that never re-identify a person."),
    ),
)


@dataclass(frozen=True)
class Category:
    title: str
    fields: list[str]


@dataclass(frozen=True)
class Recipient:
    title: str
    actions: list[str]


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Register:
    generated_at: datetime.datetime
    purposes: list[tuple[str, str]]
    categories: list[Category]
    roles: list[Recipient]
    offices: list[Fact]
    organisations: list[Fact]
    retention: list[Fact]
    measures: list[Fact]


def data_categories() -> list[Category]:
    """One category per record type of the beneficiaries' files: its encrypted fields by label."""
    found = []
    for label in PERSONAL_DATA_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [str(f.verbose_name) for f in encrypted_fields(model)]
            if names:
                found.append(Category(str(model._meta.verbose_name).capitalize(), names))
    return found


def _recipients() -> list[Recipient]:
    return [Recipient(str(role.label), sorted(str(action.label) for action in ROLE_ACTIONS[role])) for role in Role]


def _offices() -> list[Fact]:
    facts = []
    for kind in OfficeKind:
        countries = sorted(
            {
                country_name(code)
                for code in Office.objects.filter(kind=kind, active=True).values_list("country", flat=True)
            }
        )
        facts.append(Fact(str(kind.label), ", ".join(countries) or _("none on record")))
    return facts


def _organisations() -> list[Fact]:
    counts = dict(
        Organisation.objects.filter(active=True).values("type").annotate(n=Count("pk")).values_list("type", "n")
    )
    return [Fact(str(kind.label), str(counts.get(kind.value, 0))) for kind in OrganisationType]


def _days(seconds: float) -> str:
    minutes = int(seconds // 60)
    return _("%(n)d minutes") % {"n": minutes} if minutes < 120 else _("%(n)d hours") % {"n": minutes // 60}


def _retention() -> list[Fact]:
    days = int(settings.CAREPLUS_RETENTION_DAYS)
    return [
        Fact(
            _("Closed and withdrawn case files"),
            _("anonymised (data key destroyed) %(days)d days after closure, never before %(min)d days")
            % {"days": days, "min": MINIMUM_DAYS},
        ),
        Fact(
            _("Files with a hearing ahead"),
            _("kept until the proceedings end"),
        ),
        Fact(
            _("Audit log"),
            _("kept without limit; its rows are never changed or deleted (%(n)d events today)")
            % {"n": AuditEvent.objects.count()},
        ),
        Fact(
            _("Sessions"),
            _("end after %(idle)s without activity and after %(max)s at most")
            % {
                "idle": _days(settings.CAREPLUS_SESSION_IDLE_SECONDS),
                "max": _days(settings.CAREPLUS_SESSION_ABSOLUTE_SECONDS),
            },
        ),
    ]


def _measures() -> list[Fact]:
    encrypted = sum(
        len(encrypted_fields(m)) for label in PERSONAL_DATA_APPS for m in apps.get_app_config(label).get_models()
    )
    hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1].replace("PasswordHasher", "")
    validators: list[dict[str, Any]] = getattr(settings, "AUTH_PASSWORD_VALIDATORS", [])  # Django's setting
    min_length = next(
        (v.get("OPTIONS", {}).get("min_length") for v in validators if "MinimumLength" in str(v.get("NAME", ""))),
        None,
    )
    second_factor = "django_otp.middleware.OTPMiddleware" in settings.MIDDLEWARE
    hsts = int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0)
    return [
        Fact(
            _("Encryption at rest"),
            _(
                "AES-256-GCM per field (%(n)d fields), one data key per file, "
                "wrapped by a master key kept outside the database"
            )
            % {"n": encrypted},
        ),
        Fact(_("Search on names"), _("keyed blind index (HMAC), the names themselves stay encrypted")),
        Fact(
            _("Passwords"),
            _("hashed with %(hasher)s, at least %(n)s characters") % {"hasher": hasher, "n": min_length or "—"},
        ),
        Fact(
            _("Second factor"),
            _("mandatory (authenticator app, recovery codes), asked again before exports and role changes")
            if second_factor
            else _("not enforced on this server"),
        ),
        Fact(
            _("Lockout"),
            _("after %(n)d failed sign-ins, for %(minutes)d minutes")
            % {"n": settings.AXES_FAILURE_LIMIT, "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
        ),
        Fact(_("Audit log"), _("every view, change, export and refusal, hash-chained and checked by verify_audit")),
        Fact(_("Access policy"), _("one central policy; files out of a user's scope answer as if they did not exist")),
        Fact(
            _("Published figures"),
            _("cells below %(k)d suppressed; anonymised dataset at k = %(dk)d")
            % {"k": settings.CAREPLUS_SDC_K, "dk": settings.CAREPLUS_DATASET_K},
        ),
        Fact(
            _("HTTPS (HSTS)"),
            _("%(days)d days") % {"days": hsts // 86400} if hsts else _("not enabled on this server"),
        ),
    ]


def build_register() -> Register:
    """The register as of now, in the active language."""
    return Register(
        generated_at=timezone.now(),
        purposes=[(str(title), str(text)) for title, text in PURPOSES],
        categories=data_categories(),
        roles=_recipients(),
        offices=_offices(),
        organisations=_organisations(),
        retention=_retention(),
        measures=_measures(),
    )


def register_pdf() -> bytes:
    """The register as a French PDF (WeasyPrint)."""
    from weasyprint import HTML

    with translation.override("fr"):
        html = render_to_string("privacy/register_pdf.html", {"register": build_register()})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
