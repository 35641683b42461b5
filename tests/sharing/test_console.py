"""The sharing console pages (zh-Hans by default): the register kept by legal, a disclosure
refused and one prepared by front desk, the lawful-request desk from registration through
two approvals to the handler's scoped read. Refusals show words, never raw codes."""

from __future__ import annotations

import re
from typing import Any

import pyrage
import pytest
from pyrage import x25519

from baomi.audit.models import AuditEvent
from baomi.sharing.models import LawfulRequest, Partner

from .conftest import OBLIGATIONS, local_today

pytestmark = pytest.mark.django_db


def test_legal_registers_a_partner_and_sees_the_register(
    staff_client: Any, age_key: x25519.Identity
) -> None:
    c, _ = staff_client("legal")
    today = local_today()
    form = {
        "name": "南方保险示例",
        "kind": "insurer",
        "data_location": "mainland",
        "public_key": str(age_key.to_public()),
        "incident_contact": "安全部 400-111-2222",
        "document_ref": "DPA-9",
        "signed_on": today.replace(year=today.year - 1).isoformat(),
        "expires_on": today.replace(year=today.year + 1).isoformat(),
        "signatories": "甲方法务\n乙方法务",
        "purposes": ["reception"],
        "fields": ["customer.name"],
        "obligations": "\n".join(OBLIGATIONS),
    }
    bad = {**form, "data_location": "cross_border"}
    r = c.post("/sharing/partners/new/", bad)
    assert r.status_code == 422
    assert "出境安全评估" in r.content.decode()
    r = c.post("/sharing/partners/new/", form)
    assert r.status_code == 302
    r = c.get("/sharing/")
    page = r.content.decode()
    assert r.status_code == 200 and "南方保险示例" in page and "可提供" in page
    assert "从未审计" in page and "应审计" in page
    assert "active" not in re.sub(r'data-[a-z-]+="[^"]*"', "", page)  # no raw codes shown
    # front desk may not open the register
    fc, _ = staff_client("front_desk", "reception")
    assert fc.get("/sharing/").status_code == 403


def test_front_desk_disclosure_refused_then_prepared(
    staff_client: Any, make_partner: Any, consenting: Any, age_key: x25519.Identity
) -> None:
    partner = make_partner()
    yes, no = consenting(partner_sharing=True), consenting()
    c, _ = staff_client("front_desk", "reception")
    form = {
        "partner_id": partner.pk,
        "customer_ids": f"{yes.id}\n{no.id}",
        "fields": ["customer.name", "customer.email"],
    }
    r = c.post("/sharing/disclose/", form)
    page = r.content.decode()
    assert r.status_code == 422 and "不在协议约定范围内" in page and "电子邮箱" in page
    assert "field_out_of_scope" not in page
    assert AuditEvent.objects.filter(action="sharing.disclosure_refused").count() == 1
    r = c.post("/sharing/disclose/", {**form, "fields": ["customer.name"]})
    page = r.content.decode()
    assert r.status_code == 201 and "未同意向合作方提供" in page
    token = re.search(r'data-testid="download-token"[^>]*>([^<]+)<', page).group(1)
    d_id = Partner.objects.get(pk=partner.pk).disclosures.get(state="ready").pk
    blob = (
        type(c)()
        .get(f"/api/v1/disclosures/{d_id}/package", headers={"X-Download-Token": token})
        .content
    )
    assert pyrage.decrypt(blob, [age_key])
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(blob, [x25519.Identity.generate()])


def test_lawful_desk_two_approvals_then_scoped_read(staff_client: Any, make_customer: Any) -> None:
    requester, _ = staff_client("legal")
    handler_c, handler = staff_client("legal")
    approver_legal, _ = staff_client("legal")
    approver_po, _ = staff_client("privacy_officer")
    a, b = make_customer(), make_customer()
    form = {
        "authority_type": "procuratorate",
        "authority_name": "某区人民检察院",
        "officer_0": "赵检察官",
        "badge_0": "J-01",
        "officer_1": "钱检察官",
        "badge_1": "J-02",
        "document_type": "调取证据通知书",
        "document_no": "检调〔2026〕9号",
        "legal_basis": "《刑事诉讼法》第五十四条",
        "customer_ids": str(a.id),
        "fields": ["customer.name", "customer.nationality"],
        "deadline": local_today().isoformat(),
        "handler_id": handler.pk,
        "customer_notice": "legal_hold",
    }
    r = requester.post("/sharing/lawful/new/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    req = LawfulRequest.objects.get()
    url = f"/sharing/lawful/{req.pk}/"
    # the handler cannot read before the approvals
    r = handler_c.post(url + "scope/")
    assert r.status_code == 409 and "尚未获得两项审批" in r.content.decode()
    # the requester is not offered the decision and is refused if they try
    assert 'data-testid="decision-form"' not in requester.get(url).content.decode()
    assert requester.post(url + "decision/", {"approve": "yes"}).status_code == 403
    for c in (approver_legal, approver_po):
        assert 'data-testid="decision-form"' in c.get(url).content.decode()
        assert c.post(url + "decision/", {"approve": "yes"}).status_code == 302
    r = handler_c.post(url + "scope/")
    page = r.content.decode()
    assert r.status_code == 200 and 'data-testid="scope-table"' in page and str(a.id) in page
    assert str(b.id) not in page
    page = requester.get(url).content.decode()
    assert 'data-testid="reads"' in page and str(a.id) in page
    r = handler_c.post(url + "outcome/", {"outcome": "answered", "delivery": "paper"})
    assert r.status_code == 302
    page = requester.get("/sharing/lawful/").content.decode()
    assert "检察机关" in page and "已提供：1" in page
