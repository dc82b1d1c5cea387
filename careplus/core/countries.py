"""Countries: ISO 3166-1 plus Kosovo (XK), shown by their name in the interface language."""

from __future__ import annotations

from django_countries import countries

from django.utils.translation import get_language


def country_name(code: object) -> str:
    """The country's name in the active language, or the code itself when it is not a known country."""
    text = str(code or "").strip()
    name = countries.name(text.upper()) if len(text) == 2 else ""
    return str(name) or text


def country_names() -> dict[str, str]:
    """Every country code with its name in the active language."""
    return {str(code): str(name) for code, name in countries}


# French puts an article before most country names (« la Roumanie », « le Brésil », « l'Inde »,
# « les Pays-Bas ») but not before most islands and city states (« Cuba », « Malte »). The gender
# follows the first word of the name (« la Guinée-Bissau », « le Soudan du Sud »), with these exceptions.
_FR_PLURAL = {"AE", "AS", "BM", "BS", "FJ", "KM", "MV", "NL", "PH", "PW", "SB", "SC", "TF", "UM", "US"}
_FR_NO_ARTICLE = {
    "AG", "AI", "AW", "BH", "BL", "CU", "CW", "CY", "DJ", "GG", "GI", "GU", "HK", "HT", "IL", "JE", "KI", "KN",
    "LC", "MC", "MF", "MG", "MO", "MS", "MT", "MU", "NR", "NU", "OM", "PM", "PR", "SG", "SH", "SM", "ST", "SX",
    "TK", "TO", "TT", "TV", "TW", "VU", "WF", "WS", "YT",
}  # fmt: skip
_FR_MASCULINE_IN_E = {"BZ", "KH", "MX", "MZ", "SR", "VA", "ZW"}
_FR_FEMININE = {"SL", "RE"}
_FR_NAMES = {"RE": "Réunion", "PS": "Palestine", "SZ": "Eswatini", "FM": "Micronésie"}


def _french_with_article(code: str, name: str) -> str:
    name = _FR_NAMES.get(code, name)
    if code in _FR_NO_ARTICLE or "," in name or "(" in name:
        return name
    if code in _FR_PLURAL or name.startswith("Îles"):
        return f"les {name}"
    if name[:1].upper() in "AÂEÉÈIÎOUY":
        return f"l'{name}"
    first_word = name.replace("-", " ").split()[0]
    feminine = code in _FR_FEMININE or (first_word.endswith("e") and code not in _FR_MASCULINE_IN_E)
    return f"{'la' if feminine else 'le'} {name}"


def country_in_sentence(code: object, *, start: bool = False) -> str:
    """The country's name as it reads inside a sentence of the active language.

    In French with its article (« la Roumanie est membre… », « le Brésil est… »), capitalised when
    it starts the sentence; in English the name alone.
    """
    text = str(code or "").strip().upper()
    name = country_name(text)
    if not name or name == text or not (get_language() or "").startswith("fr"):
        return name
    phrase = _french_with_article(text, name)
    return phrase[:1].upper() + phrase[1:] if start else phrase
