"""French département codes: the one check used by every door (referrals, organisations, imports, API).

A code is trimmed and upper-cased before it is checked: 01–19 and 21–95 in metropolitan France,
2A and 2B for Corsica (20 has not existed since 1976), 971–976 for the overseas départements, and
the overseas collectivities' codes 977, 978 and 984–988 used by INSEE.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_METROPOLITAN = {f"{number:02d}" for number in range(1, 96) if number != 20} | {"2A", "2B"}
_OVERSEAS = {str(number) for number in (*range(971, 979), *range(984, 989))}
DEPARTEMENTS = frozenset(_METROPOLITAN | _OVERSEAS)

MESSAGE = _("Enter a French département number, e.g. 69 or 2A.")


def normalise_departement(value: object) -> str:
    """Return the code as stored: without surrounding spaces, in upper case ("2a " is 2A)."""
    return str(value or "").strip().upper()


def validate_departement(value: object) -> None:
    """Refuse anything but a French département code (after trimming and upper-casing)."""
    if normalise_departement(value) not in DEPARTEMENTS:
        raise ValidationError(MESSAGE, code="invalid_departement")


class DepartementField(forms.CharField):
    """A form field for a département code: trimmed, upper-cased, then checked."""

    default_error_messages = {"invalid": MESSAGE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("E.g. 69, 2A or 974."))
        super().__init__(**kwargs)
        self.validators.append(validate_departement)

    def to_python(self, value: object) -> str:
        return normalise_departement(super().to_python(value))
