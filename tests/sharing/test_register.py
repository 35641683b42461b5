"""The partner register (R-G2): yearly audits against the agreement's obligations, a failed
audit suspending disclosures at once and a passed re-audit lifting it, lapsed agreements,
partners to notify after a withdrawal or an erasure, and the indicators."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from baomi.audit.models import AuditEvent
from baomi.sharing import selectors
from baomi.sharing.models import DisclosureState

from .conftest import OBLIGATIONS, local_today

pytestmark = pytest.mark.django_db


def checklist(ok: bool = True) -> list[dict[str, Any]]:
    return [{"item": o, "ok": ok or i > 0, "note": ""} for i, o in enumerate(OBLIGATIONS)]


def test_failed_audit_suspends_and_reaudit_lifts(
    api_client: Any, make_partner: Any, consenting: Any
) -> None:
    partner = make_partner()
    customer = consenting(partner_sharing=True)
    lc, lh = api_client("legal")
    url = f"/api/v1/partners/{partner.pk}/audits"
    r = lc.post(
        url,
        {"auditor": "内审部", "checklist": checklist(False), "result": "passed"},
        content_type="application/json",
        headers=lh,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "result_inconsistent"
    r = lc.post(
        url,
        {"auditor": "内审部", "checklist": checklist()[:2], "result": "passed"},
        content_type="application/json",
        headers=lh,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "items_missing"
    failed = {
        "auditor": "内审部",
        "checklist": checklist(False),
        "result": "failed",
        "findings": [
            {
                "text": "未按约定用途使用数据",
                "owner": "合作方数据保护负责人",
                "due_on": (local_today() + dt.timedelta(days=30)).isoformat(),
                "severity": "high",
            }
        ],
    }
    # a package prepared before the audit is voided when the partner is suspended
    fc, fh = api_client("front_desk")
    prepared = fc.post(
        "/api/v1/disclosures",
        {
            "partner_id": partner.pk,
            "purpose": "reception",
            "customer_ids": [str(customer.id)],
            "fields": ["name"],
        },
        content_type="application/json",
        headers=fh,
    ).json()
    r = lc.post(url, failed, content_type="application/json", headers=lh)
    assert r.status_code == 201 and r.json()["standing"] == "partner_suspended"
    assert r.json()["suspension_reason"] == "audit_failed"
    r = type(fc)().get(
        prepared["download"]["url"], headers={"X-Download-Token": prepared["download"]["token"]}
    )
    assert r.status_code == 410
    r = fc.post(
        "/api/v1/disclosures",
        {
            "partner_id": partner.pk,
            "purpose": "reception",
            "customer_ids": [str(customer.id)],
            "fields": ["name"],
        },
        content_type="application/json",
        headers=fh,
    )
    assert r.status_code == 409 and r.json()["code"] == "partner_suspended"
    # a manual reinstatement cannot lift an audit failure; a passed re-audit does
    r = lc.post(
        f"/api/v1/partners/{partner.pk}/reinstate",
        {"note": "已整改"},
        content_type="application/json",
        headers=lh,
    )
    assert r.status_code == 409 and r.json()["code"] == "reaudit_required"
    r = lc.post(
        url,
        {"auditor": "内审部", "checklist": checklist(), "result": "passed"},
        content_type="application/json",
        headers=lh,
    )
    assert r.status_code == 201 and r.json()["standing"] == "active"
    actions = list(
        AuditEvent.objects.filter(action__startswith="sharing.partner_")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "sharing.partner_registered",
        "sharing.partner_audited",
        "sharing.partner_suspended",
        "sharing.partner_audited",
        "sharing.partner_reinstated",
    ]


def test_indicators_from_the_register(
    make_partner: Any, legal: Any, consenting: Any, make_staff: Any
) -> None:
    from baomi.sharing.services import disclosures, partners

    assert selectors.partners_audited().value is None  # nothing to measure yet: null, not 0
    assert selectors.encrypted_transfers().value is None
    a = make_partner(name="甲")
    make_partner(
        name="乙", agreement={"expires_on": (local_today() + dt.timedelta(days=10)).isoformat()}
    )
    partners.record_audit(
        legal, a.pk, {"auditor": "内审部", "checklist": checklist(), "result": "passed"}
    )
    fig = selectors.partners_audited()
    assert (fig.value, fig.numerator, fig.denominator) == (50.0, 1, 2)
    assert selectors.agreements_expiring().value == 1
    desk = make_staff("front_desk")
    customer = consenting(partner_sharing=True)
    disclosures.prepare(
        desk,
        {
            "partner_id": a.pk,
            "purpose": "reception",
            "customer_ids": [str(customer.id)],
            "fields": ["name"],
        },
    )
    with pytest.raises(Exception):
        disclosures.prepare(
            desk,
            {
                "partner_id": a.pk,
                "purpose": "reception",
                "customer_ids": [str(customer.id)],
                "fields": ["email"],
            },
        )
    assert selectors.encrypted_transfers().value == 100.0
    ref = selectors.refusals()
    assert ref.value == 1 and ref.breakdown == {"field_out_of_scope": 1}


def test_withdrawal_and_erasure_list_partners_to_notify(
    make_partner: Any, legal: Any, consenting: Any, make_staff: Any, api_client: Any
) -> None:
    from baomi.consent import services as consent
    from baomi.rights.services import erase_customer
    from baomi.sharing.services import disclosures

    partner = make_partner()
    stays, leaves, erased = (consenting(partner_sharing=True) for _ in range(3))
    desk = make_staff("front_desk")
    result = disclosures.prepare(
        desk,
        {
            "partner_id": partner.pk,
            "purpose": "reception",
            "customer_ids": [str(stays.id), str(leaves.id), str(erased.id)],
            "fields": ["name"],
        },
    )
    assert len(result.included) == 3
    consent.record(
        desk,
        leaves.id,
        "partner_sharing",
        False,
        channel="store",
        method="signature",
        staff_purpose="reception",
    )
    erase_customer(make_staff("privacy_officer"), erased.id, basis="PIPL art. 47")
    # the package still waiting is now unlawful to hand over: the erasure voided it
    from django.test import Client

    r = Client().get(
        f"/api/v1/disclosures/{result.disclosure.pk}/package",
        headers={"X-Download-Token": result.token},
    )
    assert r.status_code == 410 and r.json()["code"] == "package_voided"
    result.disclosure.refresh_from_db()
    assert result.disclosure.state == DisclosureState.VOIDED
    assert result.disclosure.void_reason in ("erasure", "consent_withdrawn")
    assert result.disclosure.package is None
    lc, lh = api_client("legal")
    due = lc.get("/api/v1/partners/notifications", headers=lh).json()
    assert {(d["customer_id"], d["cause"]) for d in due} == {
        (str(leaves.id), "consent_withdrawn"),
        (str(erased.id), "erased"),
    }
    r = lc.post(
        f"/api/v1/partners/{partner.pk}/notices",
        {
            "customer_id": str(leaves.id),
            "cause": "consent_withdrawn",
            "method": "加密邮件至事件联系人",
            "reference": "NOTE-7",
        },
        content_type="application/json",
        headers=lh,
    )
    assert r.status_code == 201
    r = lc.post(
        f"/api/v1/partners/{partner.pk}/notices",
        {"customer_id": str(stays.id), "cause": "consent_withdrawn", "method": "邮件"},
        content_type="application/json",
        headers=lh,
    )
    assert r.status_code == 409 and r.json()["code"] == "nothing_to_notify"
    due = lc.get("/api/v1/partners/notifications", headers=lh).json()
    assert [(d["customer_id"], d["cause"]) for d in due] == [(str(erased.id), "erased")]
    assert AuditEvent.objects.filter(
        action="sharing.partner_notified", object_id=str(leaves.id)
    ).exists()


def test_sweep_records_lapsed_agreements(make_partner: Any) -> None:
    from baomi.sharing.services import partners

    make_partner(agreement={"signed_on": "2024-01-01", "expires_on": "2025-01-01"})
    assert partners.sweep()["lapsed"] == 1
    assert partners.sweep()["lapsed"] == 0  # idempotent
    assert AuditEvent.objects.filter(action="sharing.agreement_lapsed").count() == 1


def test_cli_sweep_and_transparency(make_partner: Any) -> None:
    import io
    import json

    from django.core.management import call_command

    make_partner(agreement={"signed_on": "2024-01-01", "expires_on": "2025-01-01"})
    out = io.StringIO()
    call_command("sharing", "sweep", stdout=out)
    assert json.loads(out.getvalue()) == {"lapsed": 1, "voided": 0}
    out = io.StringIO()
    call_command("sharing", "transparency", "--year", "2026", stdout=out)
    assert json.loads(out.getvalue())["total"] == 0


def test_register_reads_in_constant_queries(
    make_partner: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(6):
        make_partner(name=f"合作方{n}")
    with django_assert_max_num_queries(5):
        rows = selectors.register()
    assert len(rows) == 6 and all(r.standing.active for r in rows)
