"""API clients authenticated with a personal token, and a valid referral body."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from careplus.accounts import services as account_services
from careplus.accounts.models import User


def token_for(user: User, *, days: int = 30) -> str:
    _token, raw = account_services.api_token_create(user=user, name="test system", days=days)
    return raw


def api_client(user: User | None = None, *, token: str = "", language: str = "en") -> APIClient:
    """Return a client sending the user's new token (or the given one) on every request."""
    client = APIClient()
    raw = token or (token_for(user) if user is not None else "")
    headers: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": language}
    if raw:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    client.credentials(**headers)
    return client


def referral_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "referrer_name": "Lieutenant Martin, OCRTEH",
        "referrer_contact": "referent@example.test",
        "given_names": "Amina",
        "family_name": "Ben Salah",
        "date_of_birth": "1996-02-11",
        "sex": "f",
        "nationality": "TN",
        "city": "Lyon",
        "departement": "69",
        "identification_status": "identified",
        "identified_by": "police",
        "forms_of_exploitation": ["domestic_servitude"],
        "wishes_voluntary_return": True,
        "country_of_return": "TN",
        "consent_referral": True,
        "consent_data_processing": True,
        "consent_date": "2018-04-02",
    }
    body.update(overrides)
    return body
