"""Fixtures of the sharing tests: partners registered through the service, customers with
consent decisions recorded through the consent ledger, age key pairs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pyrage import x25519

from baomi.access.enums import Role


def local_today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


OBLIGATIONS = ["仅用于约定目的", "不得再向第三方提供", "事件24小时内通报", "合同终止后删除"]


@pytest.fixture
def age_key() -> x25519.Identity:
    return x25519.Identity.generate()


def agreement(**over: Any) -> dict[str, Any]:
    today = local_today()
    data = {
        "document_ref": "DPA-2026-001",
        "signed_on": (today - dt.timedelta(days=30)).isoformat(),
        "expires_on": (today + dt.timedelta(days=335)).isoformat(),
        "signatories": ["甲方：本公司法务部", "乙方：合作方法务部"],
        "purposes": ["reception"],
        "fields": ["customer.name", "customer.phone", "customer.id_number"],
        "obligations": OBLIGATIONS,
    }
    data.update(over)
    return data


def partner_body(key: x25519.Identity, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "东方航空示例",
        "kind": "airline",
        "data_location": "mainland",
        "public_key": str(key.to_public()),
        "incident_contact": "安全事件热线 400-000-0000",
        "agreement": agreement(**over.pop("agreement", {})),
    }
    data.update(over)
    return data


@pytest.fixture
def legal(make_staff: Any) -> Any:
    return make_staff(Role.LEGAL)


@pytest.fixture
def officer(make_staff: Any) -> Any:
    return make_staff(Role.PRIVACY_OFFICER)


@pytest.fixture
def make_partner(legal: Any, age_key: x25519.Identity) -> Any:
    from baomi.sharing.services import partners

    def make(key: x25519.Identity | None = None, **over: Any) -> Any:
        return partners.register_partner(legal, partner_body(key or age_key, **over))

    return make


@pytest.fixture
def consenting(make_customer: Any, make_staff: Any) -> Any:
    """customer with the given consents recorded (True given, False withdrawn)."""
    from baomi.consent import services as consent

    desk = make_staff(Role.FRONT_DESK)

    def make(**decisions: bool) -> Any:
        customer = make_customer()
        for code, given in decisions.items():
            consent.record(
                desk,
                customer.id,
                code,
                given,
                channel="store",
                method="signature",
                staff_purpose="reception",
            )
        return customer

    return make
