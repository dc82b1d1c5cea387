"""Password rules beyond Django's: no programme or organisation words."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ORGANISATION_WORDS = ("careplus", "care+", "traite", "trafficking", "password", "motdepasse")


class OrganisationWordsValidator:
    """Refuse passwords built around the programme's own words."""

    def validate(self, password: str, user: object = None) -> None:  # Django's validator protocol; user unused
        folded = password.lower().replace(" ", "")
        for word in ORGANISATION_WORDS:
            if word in folded and len(folded) - len(word) < 8:
                raise ValidationError(
                    _("This password is too close to the name of the programme."),
                    code="password_organisation_word",
                )

    def get_help_text(self) -> str:
        return _("Your password cannot be built around the name of the programme.")
