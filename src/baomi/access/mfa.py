"""TOTP (django-otp) and single-use recovery codes (R-D3, ASVS V6.5/V6.6).

MFA is mandatory for every role by default (`BAOMI_MFA_ALL_ROLES`, ASVS L2); with the
setting off it is still mandatory for every role that can see any sensitive-class field
(plain or masked) and for the three administrator roles — the business minimum (R-D3).
A TOTP code is refused on second use (django-otp keeps the last accepted time step; one
step of clock-skew tolerance). Recovery codes carry 120 random bits, are stored as SHA-256
digests only and are deleted on use.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings

from baomi.catalog import fields as catalog
from baomi.catalog.enums import FieldClass, Purpose, Treatment

from .enums import ADMIN_ROLES, Role
from .models import RecoveryCode
from .models import SealedTOTPDevice as TOTPDevice  # seeds sealed under the vault's KEK
from .policy import decide

RECOVERY_CODES = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O/1/I


def sees_sensitive(role: str) -> bool:
    return any(
        decide(role, p, spec) is not Treatment.WITHHELD
        for p in Purpose
        for spec in catalog.FIELDS
        if spec.klass == FieldClass.SENSITIVE
    )


def requires_mfa(role: str) -> bool:
    if getattr(settings, "BAOMI_MFA_ALL_ROLES", True):
        return True
    if role in ADMIN_ROLES:
        return True
    try:
        Role(role)
    except ValueError:
        return True
    return sees_sensitive(role)


def has_confirmed_device(staff: Any) -> bool:
    return TOTPDevice.objects.filter(user=staff, confirmed=True).exists()


@dataclass(frozen=True)
class Enrolment:
    secret_b32: str
    otpauth_uri: str
    qr_svg: str


def _b32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def start_enrolment(staff: Any, *, confirmed: bool = False) -> Enrolment:
    """A fresh TOTP device (replacing unconfirmed ones). `confirmed=True` is used by
    `baomi createstaff`, which hands the secret to the person directly."""
    TOTPDevice.objects.filter(user=staff, confirmed=False).delete()
    if confirmed:
        TOTPDevice.objects.filter(user=staff).delete()
    device = TOTPDevice.objects.create(user=staff, name="totp", confirmed=confirmed)
    uri = device.config_url
    svg = segno.make(uri, error="m").svg_inline(scale=4)
    return Enrolment(_b32(device), uri, svg)


def pending_enrolment(staff: Any) -> Enrolment | None:
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).order_by("-id").first()
    if device is None:
        return None
    uri = device.config_url
    return Enrolment(_b32(device), uri, segno.make(uri, error="m").svg_inline(scale=4))


def confirm_enrolment(staff: Any, code: str) -> list[str]:
    """Confirm the pending device with a first code; returns 10 new recovery codes (shown
    once). An empty list means the code was wrong."""
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).order_by("-id").first()
    if device is None or not device.verify_token(_clean(code)):
        return []
    TOTPDevice.objects.filter(user=staff, confirmed=True).delete()
    device.confirmed = True
    device.save()
    return new_recovery_codes(staff)


def _digest(code: str) -> str:
    return hashlib.sha256(_clean(code).upper().encode()).hexdigest()


def new_recovery_codes(staff: Any) -> list[str]:
    RecoveryCode.objects.filter(staff=staff).delete()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(24))  # 24 × 5 bits = 120 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 24, 4)))
    RecoveryCode.objects.bulk_create(RecoveryCode(staff=staff, digest=_digest(c)) for c in codes)
    return codes


def _clean(code: str) -> str:
    return "".join(ch for ch in str(code) if ch.isalnum())


@dataclass(frozen=True)
class Verified:
    ok: bool
    recovery: bool = False


def verify(staff: Any, code: str | None) -> Verified:
    """Check a TOTP code (each time step accepted once) or a single-use recovery code."""
    if not code:
        return Verified(False)
    token = _clean(code)
    if len(token) <= 8:
        for device in TOTPDevice.objects.filter(user=staff, confirmed=True):
            if device.verify_token(token):
                return Verified(True)
        return Verified(False)
    used = RecoveryCode.objects.filter(staff=staff, digest=_digest(token)).delete()[0]
    return Verified(bool(used), recovery=bool(used))


def recovery_codes_left(staff: Any) -> int:
    return RecoveryCode.objects.filter(staff=staff).count()


def reset(staff: Any) -> None:
    TOTPDevice.objects.filter(user=staff).delete()
    RecoveryCode.objects.filter(staff=staff).delete()
