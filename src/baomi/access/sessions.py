"""Console and portal sessions whose keys cannot be used from a database read (issue #9 §4;
ASVS 5.0 V7.2.x, V13.3.1).

Django's database backend keeps the session key — the bearer secret in the visitor's
cookie — as the table's primary key, so whoever can read the database file (or a backup)
can sign in as anyone signed in. This backend stores only a digest of the key: the cookie
holds the key, the row holds "h:" and SHA-256(key) cut to 38 hex characters (152 bits;
the key itself carries ~190 random bits, so the digest cannot be turned back into a cookie).
Everything else — data, expiry, `clear_expired`, cycling the key at sign-in — is Django's.
Decision 0012.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

KEY_PREFIX = "h:"  # marks a stored digest (38 hex characters follow)


def stored_key(session_key: str | None) -> str | None:
    """What the database holds for a session key."""
    if not session_key:
        return session_key
    return KEY_PREFIX + hashlib.sha256(session_key.encode()).hexdigest()[:38]


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        try:
            return self.model.objects.get(
                session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None

    async def _aget_session_from_db(self) -> Any:
        try:
            return await self.model.objects.aget(
                session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=stored_key(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        return bool(await self.model.objects.filter(session_key=stored_key(session_key)).aexists())

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        key: str = self._get_or_create_session_key()  # type: ignore[attr-defined]
        return self.model(
            session_key=stored_key(key) or "",
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        key: str = await self._aget_or_create_session_key()  # type: ignore[attr-defined]
        return self.model(
            session_key=stored_key(key) or "",
            session_data=self.encode(data),
            expire_date=await self.aget_expiry_date(),
        )

    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        self.model.objects.filter(session_key=stored_key(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        await self.model.objects.filter(session_key=stored_key(key)).adelete()
