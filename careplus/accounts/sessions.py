"""Session engine storing the user id beside each session."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from careplus.accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj: Any = super().create_model_instance(data)
        try:
            obj.user_id = uuid.UUID(str(data.get("_auth_user_id")))
        except ValueError:
            obj.user_id = None
        return obj
