"""Demo of data sharing (R-G1–R-G3, R-C3, issue #19), through `sharing.services`: legal
registers an airline partner with its signed agreement, audits it against the
agreement's obligations, and the front desk prepares one encrypted disclosure — customers
without a partner-sharing consent are left out with their reason, as in real life."""

from __future__ import annotations

from datetime import timedelta

from pyrage import x25519

from baomi.contract.participants import DemoContext

from .models import Partner
from .services import disclosures, partners
from .services.common import today

NAME = "东方航空（演示）"
OBLIGATIONS = ["仅用于约定目的", "不得再向第三方提供", "事件24小时内通报", "合同终止后删除"]


def run(ctx: DemoContext) -> None:
    if Partner.objects.filter(name=NAME).exists():
        return  # re-running the demo keeps the register
    legal = ctx.staff["legal"]
    day = today()
    # the partner's own key pair: only its public half is registered (the private half
    # stays with the partner — here, nowhere: nobody opens the demo package)
    public = str(x25519.Identity.generate().to_public())
    partner = partners.register_partner(
        legal,
        {
            "name": NAME,
            "kind": "airline",
            "data_location": "mainland",
            "public_key": public,
            "incident_contact": "安全事件热线 400-000-0000",
            "agreement": {
                "document_ref": "DPA-DEMO-001",
                "signed_on": (day - timedelta(days=120)).isoformat(),
                "expires_on": (day + timedelta(days=245)).isoformat(),
                "signatories": ["甲方：本公司法务部", "乙方：合作方法务部"],
                "purposes": ["reception"],
                "fields": ["customer.name", "customer.phone"],
                "obligations": OBLIGATIONS,
            },
        },
    )
    partners.record_audit(
        legal,
        partner.pk,
        {
            "audited_on": (day - timedelta(days=20)).isoformat(),
            "auditor": "法务部",
            "checklist": [{"item": o, "ok": True, "note": ""} for o in OBLIGATIONS],
            "result": "passed",
        },
    )
    disclosures.prepare(
        ctx.staff["front_desk"],
        {
            "partner_id": partner.pk,
            "purpose": "reception",
            "customer_ids": [str(c) for c in ctx.customer_ids],
            "fields": ["name", "phone"],
        },
    )
