"""Session engine storing the user id beside each session, and only a hash of each session key.

The cookie carries the session key; the database keeps its SHA-256 (`session_digest`), so a
key read from a copy of the database, a backup or a log of SQL cannot be used as a cookie.
A session key has about 190 bits of randomness: a plain hash is enough, no salt or stretching.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import TYPE_CHECKING, Any, cast

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from careplus.accounts.models import UserSession

if TYPE_CHECKING:
    from django.contrib.sessions.base_session import AbstractBaseSession


def session_digest(session_key: str) -> str:
    """Return what the database stores for a session key (64 hex digits)."""
    return hashlib.sha256(session_key.encode()).hexdigest()


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        if self.session_key is None:
            return None
        try:
            return self.model.objects.get(session_key=session_digest(self.session_key), expire_date__gt=timezone.now())
        except (self.model.DoesNotExist, SuspiciousOperation) as error:
            if isinstance(error, SuspiciousOperation):
                logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            self._session_key = None
            return None

    async def _aget_session_from_db(self) -> AbstractBaseSession | None:
        if self.session_key is None:
            return None
        try:
            return await self.model.objects.aget(
                session_key=session_digest(self.session_key), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=session_digest(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        return bool(await self.model.objects.filter(session_key=session_digest(session_key)).aexists())

    def create_model_instance(self, data: dict[str, Any]) -> AbstractBaseSession:  # the session data
        return _stored(super().create_model_instance(data), data)

    async def acreate_model_instance(self, data: dict[str, Any]) -> AbstractBaseSession:  # the session data
        return _stored(await super().acreate_model_instance(data), data)

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=session_digest(session_key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self.model.objects.filter(session_key=session_digest(session_key)).adelete()


def _stored(obj: AbstractBaseSession, data: dict[str, Any]) -> AbstractBaseSession:  # data: the session data
    """The row as stored: the digest of the session key in place of the key, and its user."""
    row = cast("UserSession", obj)  # the model of this store (get_model_class)
    row.session_key = session_digest(row.session_key)
    try:
        row.user_id = uuid.UUID(str(data.get("_auth_user_id")))
    except ValueError:
        row.user_id = None
    return row
