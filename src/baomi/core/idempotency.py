"""`Idempotency-Key` on API writes (issue #11; draft-ietf-httpapi-idempotency-key-header).

A client that sends `Idempotency-Key: <1–128 visible ASCII characters>` with a write gets,
on any retry with the same key within `BAOMI_IDEMPOTENCY_TTL_HOURS` (default 24), the
first answer — the same status and the same object — instead of a second create or a 409.

* Scope: the key is the caller's own (per staff account, method and route).
* The record is written in the transaction of the write itself: it exists exactly when
  the write committed (a crash between commit and response leaves both or neither).
* A retry with the same key but another body is refused: 422 `idempotency_key_reused`.
* Only successful writes are remembered; a refused request (4xx) is simply evaluated
  again on retry, which gives the same answer unless the data changed meanwhile.
* Nothing personal is stored (see `IdempotencyRecord`). Expired records are ignored
  and deleted when a new one is written.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from . import clock
from .errors import BaomiError, FieldIssue, ValidationFailed
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
_VALID = re.compile(r"^[\x21-\x7e]{1,128}$")


class KeyReused(BaomiError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


class KeyInUse(BaomiError):
    status = 409
    code = "idempotency_key_in_use"
    title = "Idempotency key in use"


@dataclass(frozen=True)
class Key:
    digest: str
    fingerprint: str
    actor_id: int | None
    scope: str


@dataclass(frozen=True)
class Answer:
    status: int
    object_type: str
    object_id: str


def _mac(*parts: str | bytes) -> str:
    secret = hashlib.sha256(b"baomi/idempotency/v1|" + settings.SECRET_KEY.encode()).digest()
    m = hmac.new(secret, digestmod=hashlib.sha256)
    for p in parts:
        b = p if isinstance(p, bytes) else p.encode()
        m.update(len(b).to_bytes(8, "big") + b)
    return m.hexdigest()


def key_of(request: HttpRequest, actor: Any, scope: str, target: str = "") -> Key | None:
    """The request's idempotency key (None when it sent none); 422 when malformed.
    `scope` names the route ("POST /customers/{id}/bookings", stored); `target` the
    object the route acts on (a customer id: part of the key, not stored)."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    raw = raw.strip()
    if not _VALID.match(raw):
        raise ValidationFailed(
            [
                FieldIssue(
                    HEADER,
                    "idempotency_key_invalid",
                    "Idempotency-Key must be 1–128 visible ASCII characters",
                    "Idempotency-Key 须为 1–128 个可见 ASCII 字符",
                )
            ]
        )
    actor_id = getattr(actor, "pk", None)
    return Key(
        digest=_mac("key", str(actor_id), scope, target, raw),
        fingerprint=_mac("body", request.body or b""),
        actor_id=actor_id,
        scope=scope,
    )


def prior(key: Key | None) -> Answer | None:
    """The first answer to this key, if there is a live one; 422 if the body differs."""
    if key is None:
        return None
    row = (
        IdempotencyRecord.objects.filter(key_digest=key.digest, expires_at__gt=clock.now())
        .only("fingerprint", "status", "object_type", "object_id")
        .first()
    )
    if row is None:
        return None
    if not hmac.compare_digest(row.fingerprint, key.fingerprint):
        raise KeyReused("this Idempotency-Key was used for a different request; use a new key")
    return Answer(row.status, row.object_type, row.object_id)


def remember(key: Key | None, answer: Answer) -> None:
    """Store the answer in the caller's transaction (the write's own)."""
    if key is None:
        return
    now = clock.now()
    ttl = timedelta(hours=int(getattr(settings, "BAOMI_IDEMPOTENCY_TTL_HOURS", 24)))
    IdempotencyRecord.objects.filter(expires_at__lte=now).delete()
    try:
        with transaction.atomic():  # a savepoint: the write survives a lost race on the key
            IdempotencyRecord.objects.create(
                key_digest=key.digest,
                fingerprint=key.fingerprint,
                actor_id=key.actor_id,
                scope=key.scope,
                status=answer.status,
                object_type=answer.object_type,
                object_id=answer.object_id,
                created_at=now,
                expires_at=now + ttl,
            )
    except IntegrityError:
        # the same key committed meanwhile by a concurrent request: this write must not
        # commit too (the caller's transaction is rolled back by the raise)
        raise KeyInUse(
            "a request with this Idempotency-Key is being processed; retry shortly"
        ) from None


def replayed(key: Key | None) -> Answer | None:
    """After a write failed: the answer a concurrent request with the same key committed
    meanwhile (then that is the answer to this one too), else None."""
    try:
        return prior(key)
    except KeyReused:
        return None
