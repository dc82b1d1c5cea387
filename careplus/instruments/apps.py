from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstrumentsConfig(AppConfig):
    """New versions of the instruments on screens: a coordinator drafts, a second one approves.

    The versions themselves (`careplus.core.models.Instrument`) and their reading
    (`careplus.core.instruments`) stay in core, which every app reads; the editor reads accounts and
    the audit log (four-eyes rule), so it sits above them, outside core.
    """

    name = "careplus.instruments"
    label = "instruments"
    verbose_name = _("Instrument versions")
