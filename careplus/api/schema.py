"""OpenAPI description: the two authentication schemes and the error responses of every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from django.conf import settings

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a stable code, a translated message, details (field errors under `fields`).",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "extra": {"type": "object", "additionalProperties": {}},
    },
    "required": ["code", "message", "extra"],
}

_COMMON = {
    "400": "Invalid input (per-field messages in `extra.fields`) or a rule of the programme refused it.",
    "401": "Missing, invalid, expired or revoked credentials.",
    "403": "A restricted case file needs the X-Access-Reason header.",
    "404": "Not found, or not yours to see (the two are indistinguishable).",
    "405": "Method not allowed.",
    "406": "Only JSON is served.",
    "429": "Too many requests; wait for the number of seconds in Retry-After.",
}
_WRITES = {
    "409": "The change conflicts with the record's state (transition blocked, ceiling, duplicate).",
    "412": "If-Match is stale: the record changed since it was read; nothing was overwritten.",
    "415": "Send JSON.",
    "428": "If-Match is required for this change.",
}


# drf-spectacular's hooks, with their signatures: an OpenAPI document is JSON.


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "careplus.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token created on the account page after a second-factor check.",
        }


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "careplus.api.authentication.VerifiedSessionAuthentication"
    name = "sessionCookie"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The pages' session, once the second factor was given; writes need the CSRF header.",
        }


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Document the error shape on every operation, and the Retry-After and ETag headers."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            errors = {**_COMMON, **(_WRITES if method in {"post", "put", "patch", "delete"} else {})}
            for status, description in errors.items():
                response: dict[str, Any] = {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
                if status == "429":
                    response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "required": True}}
                responses.setdefault(status, response)
    return result
