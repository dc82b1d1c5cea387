from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "careplus.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from careplus.audit import receivers  # noqa: F401 - connects sign-in signals
