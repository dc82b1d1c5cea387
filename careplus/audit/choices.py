"""What can be recorded in the audit log."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Sign-in (password)")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGIN_LOCKED = "login_locked", _("Sign-in refused (locked out)")
    SECOND_FACTOR = "second_factor", _("Second factor verified")
    SECOND_FACTOR_FAILED = "second_factor_failed", _("Failed second factor")
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Second factor set up")
    LOGOUT = "logout", _("Sign-out")
    VIEW = "view", _("View")
    CREATE = "create", _("Creation")
    CHANGE = "change", _("Change")
    TRANSITION = "transition", _("Status change")
    EXPORT = "export", _("Export")
    DENIED = "denied", _("Access denied")
    ROLE_GRANT = "role_grant", _("Role granted")
    ROLE_REVOKE = "role_revoke", _("Role revoked")
    ERASE = "erase", _("Erasure")
    KEY_ROTATION = "key_rotation", _("Key rotation")
    BACKUP = "backup", _("Backup")
    RESTORE = "restore", _("Restore")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    DENIED = "denied", _("Denied")
    FAILURE = "failure", _("Failure")
