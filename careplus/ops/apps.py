from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The `backup`, `restore` and `rotate_keys` commands.

    They record audit events and re-seal the authenticator seeds, so they sit above core, audit and
    accounts; core keeps the mechanisms they use (careplus.core.backup, careplus.core.crypto).
    """

    name = "careplus.ops"
    label = "ops"
    verbose_name = "CARE+ operations"
