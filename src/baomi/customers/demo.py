"""Demo data: one staff account per role and synthetic customers, loaded through the real
services (validation, encryption, blind indexes, audit) — no shortcut around the vault."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from stdnum import luhn

from baomi import audit
from baomi.access import mfa
from baomi.access.enums import Role
from baomi.access.models import Staff
from baomi.access.services import create_staff_with_mfa
from baomi.audit.models import Action
from baomi.catalog.enums import Channel, Purpose
from baomi.core import clock
from baomi.core.errors import Conflict

from . import services
from .synthetic import Synth


@dataclass
class DemoAccount:
    username: str
    role: str
    password: str
    totp_secret: str | None


def demo_staff() -> list[DemoAccount]:
    """One account per role (username demo_<role>), with a TOTP secret for roles that need
    MFA. Re-running resets passwords and TOTP secrets (printed once each time)."""
    out = []
    for role in Role:
        username = f"demo_{role.value}"
        password = secrets.token_urlsafe(12)
        existing = Staff.objects.filter(username=username).first()
        if existing is None:
            new = create_staff_with_mfa(None, username, role.value, password)
            secret = new.totp_secret
        else:
            existing.set_password(password)
            existing.password_changed_at = clock.now()
            existing.is_active = True
            existing.save(update_fields=["password", "password_changed_at", "is_active"])
            secret = None
            if mfa.requires_mfa(role.value):
                mfa.reset(existing)
                secret = mfa.start_enrolment(existing, confirmed=True).secret_b32
        out.append(DemoAccount(username, role.value, password, secret))
    return out


def card_number(rng: Any, prefix: str) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    return body + luhn.calc_check_digit(body)


# What the demo records of each new customer besides the profile (the consent ledger's
# capture, composed by the `baomi demo` command: customers imports no domain app):
# (clerk, customer id, channel, random generator), inside the customer's transaction.
AfterCreate = Callable[[Any, Any, str, Any], None]


def load_customers(
    n: int,
    industry: str = "all",
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
    after_create: AfterCreate | None = None,
) -> int:
    actor = Staff.objects.get(username="demo_front_desk")
    synth = Synth(seed)
    industries = ["travel", "hotel", "courier"] if industry == "all" else [industry]
    channels = [c.value for c in Channel if c != Channel.IMPORT]
    created = 0
    for i in range(n):
        ind = industries[i % len(industries)]
        data = synth.customer()
        data["preferences"] = synth.preferences(ind)
        if synth.rng.random() < 0.3:
            data["payment_card"] = {
                "number": card_number(synth.rng, synth.rng.choice(["62", "4"])),
                "expiry": f"{synth.rng.randrange(1, 13):02d}/{synth.rng.randrange(27, 31)}",
            }
        ch = synth.rng.choice(channels)
        try:
            with transaction.atomic():
                c = services.create_customer(actor, Purpose.RECEPTION, data, channel=ch)
                if after_create:
                    after_create(actor, c.id, ch, synth.rng)
                for _ in range(synth.rng.randrange(1, 3)):
                    if ind == "travel":
                        services.add_record(
                            actor, Purpose.RECEPTION, c.id, "booking", synth.booking(), channel=ch
                        )
                    elif ind == "hotel":
                        services.add_record(
                            actor, Purpose.RECEPTION, c.id, "stay", synth.stay(), channel=ch
                        )
                    else:
                        services.add_record(
                            actor, Purpose.RECEPTION, c.id, "shipment", synth.shipment(), channel=ch
                        )
            created += 1
        except Conflict:
            continue  # synthetic duplicate: skip
        if progress:
            progress(1)
    audit.record(Action.DEMO_LOADED, None, detail={"customers": created, "industry": industry})
    return created
