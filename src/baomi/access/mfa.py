"""TOTP (django-otp) and single-use recovery codes (R-D3, ASVS V6.5/V6.6).

MFA is mandatory for every role that can see any sensitive-class field (plain or masked)
under some purpose, and for the three administrator roles. A TOTP code is refused on
second use (django-otp keeps the last accepted time step); recovery codes are deleted on use.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from baomi.catalog import fields as catalog
from baomi.catalog.enums import FieldClass, Purpose, Treatment

from .enums import ADMIN_ROLES, Role
from .policy import decide

RECOVERY_CODES = 10


def requires_mfa(role: str) -> bool:
    if role in ADMIN_ROLES:
        return True
    try:
        Role(role)
    except ValueError:
        return True
    return any(
        decide(role, p, spec) is not Treatment.WITHHELD
        for p in Purpose
        for spec in catalog.FIELDS
        if spec.klass == FieldClass.SENSITIVE
    )


def has_confirmed_device(staff: Any) -> bool:
    return TOTPDevice.objects.filter(user=staff, confirmed=True).exists()


@dataclass(frozen=True)
class Enrolment:
    secret_b32: str
    otpauth_uri: str
    qr_svg: str


def _b32(device: TOTPDevice) -> str:
    return base64.b32encode(bytes.fromhex(device.key)).decode().rstrip("=")


def start_enrolment(staff: Any, *, confirmed: bool = False) -> Enrolment:
    """A fresh TOTP device (replacing unconfirmed ones). `confirmed=True` is used by
    `baomi createstaff`, which hands the secret to the person directly."""
    TOTPDevice.objects.filter(user=staff, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=staff, name="totp", confirmed=confirmed)
    uri = device.config_url
    svg = segno.make(uri, error="m").svg_inline(scale=4)
    return Enrolment(_b32(device), uri, svg)


def confirm_enrolment(staff: Any, code: str) -> list[str]:
    """Confirm the pending device with a first code; returns 10 new recovery codes (shown
    once; stored by django-otp)."""
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).order_by("-id").first()
    if device is None or not device.verify_token(_clean(code)):
        return []
    TOTPDevice.objects.filter(user=staff, confirmed=True).delete()
    device.confirmed = True
    device.save()
    return new_recovery_codes(staff)


def new_recovery_codes(staff: Any) -> list[str]:
    StaticDevice.objects.filter(user=staff).delete()
    dev = StaticDevice.objects.create(user=staff, name="recovery", confirmed=True)
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
    for c in codes:
        StaticToken.objects.create(device=dev, token=c)
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
    for device in TOTPDevice.objects.filter(user=staff, confirmed=True):
        if device.verify_token(token):
            return Verified(True)
    for device in StaticDevice.objects.filter(user=staff, confirmed=True):
        if device.verify_token(token):  # deletes the token
            return Verified(True, recovery=True)
    return Verified(False)


def recovery_codes_left(staff: Any) -> int:
    return StaticToken.objects.filter(device__user=staff, device__confirmed=True).count()


def reset(staff: Any) -> None:
    TOTPDevice.objects.filter(user=staff).delete()
    StaticDevice.objects.filter(user=staff).delete()


def otp_issuer() -> str:
    return str(getattr(settings, "OTP_TOTP_ISSUER", "baomi"))
