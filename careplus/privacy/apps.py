from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Data-subject rights (access, rectification, erasure) and the register of processing."""

    name = "careplus.privacy"
    label = "privacy"
    verbose_name = _("Data protection")
