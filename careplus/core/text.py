"""The one check of person and organisation text, used by every door (pages, public forms, imports, API).

Control characters (C0, DEL, C1) and bidirectional controls are refused with a clear message: they
hide or reorder what is displayed (a family name shown reversed, a terminal escape in a log).
Newlines and tabs are allowed in multi-line narrative fields only.

Formula-looking values (`=…`, `+…`, `-…`, `@…`) are stored as typed — a telephone number starts with
`+`, a lone `-` means "none" — and every export neutralises them (`careplus.core.exports.safe_cell`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)
_MULTILINE_ALLOWED = frozenset("\n\r\t")


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def text_problem(value: str, *, multiline: bool = False) -> ValidationError | None:
    """Return the error a person or organisation text deserves, or None when it is acceptable."""
    for char in value:
        if char in BIDI_CONTROLS:
            return ValidationError(
                _("Remove the invisible text-direction character (U+%(code)04X) from this text."),
                code="bidi_control",
                params={"code": ord(char)},
            )
        if _is_control(char) and not (multiline and char in _MULTILINE_ALLOWED):
            if char in _MULTILINE_ALLOWED:
                return ValidationError(_("This text must fit on one line."), code="line_break")
            return ValidationError(
                _("Remove the control character (U+%(code)04X) from this text."),
                code="control_character",
                params={"code": ord(char)},
            )
    return None


def validate_person_text(value: str) -> None:
    """Validator of one-line person and organisation text (names, organisations, positions, places)."""
    error = text_problem(value)
    if error is not None:
        raise error


def validate_narrative_text(value: str) -> None:
    """Validator of multi-line text about a person (newlines and tabs allowed)."""
    error = text_problem(value, multiline=True)
    if error is not None:
        raise error


def clean_person_text(value: str, *, multiline: bool = False) -> str:
    """Return the value trimmed, or raise the ValidationError of its first refused character."""
    text = value.strip()
    error = text_problem(text, multiline=multiline)
    if error is not None:
        raise error
    return text


PERSON_TEXT_VALIDATORS = (validate_person_text, validate_narrative_text)

# The longest family name, or given names, a person's file takes: at every door (referral, identity
# correction, import); a longer one is refused with a message, never cut.
NAME_MAX_CHARS = 100
