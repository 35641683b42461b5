"""Sign-in throttling per account with exponential back-off (issue #9 §6, ASVS 5.0 V6.3.1).

django-axes alone locked a (username, client address) pair: twelve wrong passwords sent
from twelve forwarded addresses never locked anything. Two counters now run **before**
the password is checked:

- per (username, address): the 5th attempt within 15 minutes locks that pair for 15
  minutes (what django-axes did; axes stays installed behind it as a backstop);
- per account, whatever the address: the first ``BAOMI_SIGNIN_FREE_ATTEMPTS`` attempts go
  through; each further attempt opens a back-off window of ``BASE · 2^(n-1)`` seconds
  (30 s, 1 min, 2 min … capped at ``BAOMI_SIGNIN_BACKOFF_MAX_SECONDS``) during which the
  account answers 429 without checking anything. A back-off, not a lock: anyone can slow an
  account down, nobody can shut it for longer than the cap, and a browser that has
  completed a sign-in to that account before (a signed *known-device* cookie, OWASP's
  "device cookie") skips the per-account window altogether.

Every attempt counts, **right passwords included**, until both factors succeed
(``succeeded`` clears the counters). So neither the answer nor the counters tell an
attacker without the one-time code whether a password was right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.crypto import salted_hmac

from baomi.core import clock

from .models import SignInThrottle

PAIR_LIMIT = 5  # attempts per (username, address) …
PAIR_LOCK = timedelta(minutes=15)  # … then locked for this long
FORGET_AFTER = timedelta(hours=24)  # a quiet day forgets the per-account count
DEVICE_COOKIE = "baomi_known_device"
DEVICE_SALT = "baomi.access.throttle.device"
DEVICE_MAX_AGE = 90 * 24 * 3600


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused before any check, and for how long."""

    scope: str  # "pair" | "account"
    retry_after: int  # seconds


def _key(*parts: str) -> str:
    return salted_hmac("baomi.access.throttle", "\x1f".join(parts)).hexdigest()


def _norm(username: str) -> str:
    return (username or "").strip().casefold()[:150]


def free_attempts() -> int:
    return int(getattr(settings, "BAOMI_SIGNIN_FREE_ATTEMPTS", 8))


def backoff(attempt: int) -> timedelta:
    """The window an account's ``attempt``-th attempt opens (0 while attempts are free)."""
    over = attempt - free_attempts()
    if over <= 0:
        return timedelta(0)
    base = int(getattr(settings, "BAOMI_SIGNIN_BACKOFF_SECONDS", 30))
    cap = int(getattr(settings, "BAOMI_SIGNIN_BACKOFF_MAX_SECONDS", 15 * 60))
    return timedelta(seconds=min(base * 2 ** min(over - 1, 20), cap))


def known_device(request: Any, username: str) -> bool:
    raw = getattr(request, "COOKIES", {}).get(DEVICE_COOKIE, "")
    if not raw:
        return False
    try:
        value = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return False
    return isinstance(value, dict) and value.get("u") == _key("device", _norm(username))


def device_cookie(username: str) -> str:
    """The signed value to set as ``DEVICE_COOKIE`` after a completed sign-in."""
    return signing.dumps({"u": _key("device", _norm(username))}, salt=DEVICE_SALT)


def _row(key: str, now: Any) -> SignInThrottle:
    row = SignInThrottle.objects.select_for_update().filter(key=key).first()
    if row is None:
        row = SignInThrottle(key=key, attempts=0, last_at=now)
    return row


@transaction.atomic
def attempt(request: Any, username: str, address: str) -> Refusal | None:
    """Count one sign-in attempt before anything is checked; a Refusal when the pair is
    locked or the account is inside its back-off window (the attempt is then not
    checked and not counted)."""
    now = clock.now()
    name = _norm(username)
    pair = _row(_key("pair", name, address), now)
    if pair.blocked_until and pair.blocked_until > now:
        return Refusal("pair", _seconds(pair.blocked_until - now))
    account = _row(_key("account", name), now)
    device = known_device(request, username)
    if not device and account.blocked_until and account.blocked_until > now:
        return Refusal("account", _seconds(account.blocked_until - now))
    if now - pair.last_at > PAIR_LOCK:
        pair.attempts = 0
    pair.attempts += 1
    pair.last_at = now
    if pair.attempts >= PAIR_LIMIT:
        pair.blocked_until = now + PAIR_LOCK
        pair.attempts = 0
        pair.save()
        return Refusal("pair", _seconds(PAIR_LOCK))
    pair.save()
    if not device:
        if now - account.last_at > FORGET_AFTER:
            account.attempts = 0
        account.attempts += 1
        account.last_at = now
        window = backoff(account.attempts)
        account.blocked_until = now + window if window else None
        account.save()
    return None


def succeeded(username: str, address: str) -> None:
    """Both factors passed: the account's and this pair's counters start over."""
    name = _norm(username)
    SignInThrottle.objects.filter(
        key__in=[_key("pair", name, address), _key("account", name)]
    ).delete()
    cutoff = clock.now() - FORGET_AFTER  # keep the table small: forget quiet keys
    SignInThrottle.objects.filter(last_at__lt=cutoff, blocked_until__isnull=True).delete()


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
