"""Privacy notice and consent ledger (R-B2, R-B3): the notice is generated from the
catalogue, versioned by content and published in zh-Hans and English; consent decisions
are an append-only history per customer × purpose × channel × notice version; the gate
withholds every personal field from a marketing read without marketing consent, and a
withdrawal takes effect on the next read; the KPI counts customers with a recorded consent
for the notice in force, per channel."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from baomi.audit.models import Action, AuditEvent
from baomi.catalog import fields as catalog
from baomi.consent import notice, selectors, services
from baomi.consent.models import ConsentEvent, ConsentState, PrivacyNotice
from baomi.core.errors import Forbidden, Gone, ValidationFailed
from baomi.customers import gate
from baomi.customers import services as customers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_notice")]


# -- the privacy notice ---------------------------------------------------------------
def test_notice_is_published_once_per_content_and_in_two_languages(client: Client) -> None:
    first = services.current_notice()
    assert first.version == 1 and len(first.digest) == 64
    assert services.current_notice().pk == first.pk  # same content: same version
    assert AuditEvent.objects.filter(action=Action.NOTICE_PUBLISHED).count() == 1
    zh = client.get("/api/v1/privacy-notice", {"lang": "zh-hans"}).json()
    en = client.get("/api/v1/privacy-notice", {"lang": "en"}).json()
    assert (zh["version"], en["version"]) == (1, 1)
    assert zh["title"] == "个人信息保护说明" and en["title"] == "Privacy notice"
    assert {s["id"] for s in zh["sections"]} >= {
        "collection",
        "consents",
        "sharing",
        "legal_holds",
        "rights",
    }


def test_every_catalogued_item_is_in_the_notice() -> None:
    """R-B1/R-B2: 100 % of collected items are stated, with class, purposes and retention."""
    for lang in ("zh-hans", "en"):
        content = notice.render(lang)
        rows = [r for s in content["sections"] for t in s.get("tables", []) for r in t["rows"]]
        labels = {r[0] for r in rows}
        for f in catalog.FIELDS:
            assert (f.label_zh if lang == "zh-hans" else f.label_en) in labels, f.key
        for p in catalog.PREFERENCE_KEYS:
            assert (p.label_zh if lang == "zh-hans" else p.label_en) in labels
        assert all(r[2] for r in rows if len(r) == 5), "every item states a purpose"


def test_a_changed_catalogue_publishes_a_new_version(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = services.current_notice()
    hold = catalog.LEGAL_HOLDS[0]
    changed = (hold.__class__(**{**hold.__dict__, "period_en": "31 years"}),)
    monkeypatch.setattr(catalog, "LEGAL_HOLDS", changed + catalog.LEGAL_HOLDS[1:])
    notice.clear_cache()
    v2 = services.current_notice()
    assert v2.version == 2 and v2.digest != v1.digest
    assert "31 years" in str(v2.content["en"])
    r = client.get("/privacy?version=1")
    assert r.status_code == 200 and 'data-version="1"' in r.content.decode()
    page = client.get("/privacy", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="notice-version">2<' in page
    assert client.get("/api/v1/privacy-notice", {"version": 1}).json()["version"] == 1
    assert client.get("/api/v1/privacy-notice", {"version": 9}).status_code == 404


def test_privacy_page_in_both_languages(client: Client) -> None:
    zh = client.get("/privacy").content.decode()
    assert "个人信息保护说明" in zh and "证件号码" in zh
    client.post("/i18n/setlang/", {"language": "en", "next": "/privacy"})
    en = client.get("/privacy").content.decode()
    assert "Privacy notice" in en and "ID number" in en
    assert "/portal/" in en


# -- the consent ledger ---------------------------------------------------------------------
def test_api_records_consent_with_evidence_and_history(api_client: Any, make_customer: Any) -> None:
    c = make_customer()
    cl, h = api_client("front_desk", "reception")
    body = {
        "customer_id": str(c.id),
        "purpose": "marketing",
        "given": True,
        "channel": "store",
        "method": "signature",
        "evidence": "FORM-2026-0042",
    }
    r = cl.post("/api/v1/consents", body, content_type="application/json", headers=h)
    assert r.status_code == 201, r.content
    assert r.json()["notice_version"] == services.current_notice().version
    body.update(given=False, method="checkbox", evidence="")
    assert (
        cl.post("/api/v1/consents", body, content_type="application/json", headers=h).status_code
        == 201
    )
    got = cl.get("/api/v1/consents", {"customer_id": str(c.id)}, headers=h).json()
    marketing = next(x for x in got["current"] if x["purpose"] == "marketing")
    assert marketing["given"] is False
    assert [e["given"] for e in got["history"]] == [True, False]
    assert got["history"][0]["evidence"] == "FORM-2026-0042"
    assert got["history"][0]["operator_role"] == "front_desk"
    assert AuditEvent.objects.filter(action=Action.CONSENT_GIVEN, object_id=str(c.id)).exists()
    assert AuditEvent.objects.filter(action=Action.CONSENT_WITHDRAWN, object_id=str(c.id)).exists()


def test_consent_input_is_validated_and_roles_checked(api_client: Any, make_customer: Any) -> None:
    c = make_customer()
    cl, h = api_client("front_desk", "reception")
    bad = {
        "customer_id": str(c.id),
        "purpose": "selling_data",
        "given": True,
        "channel": "fax",
        "method": "telepathy",
        "evidence": "张三 13812345678",
    }
    r = cl.post("/api/v1/consents", bad, content_type="application/json", headers=h)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"purpose"} or fields >= {"channel", "method", "evidence"}
    mk, mh = api_client("marketing", "marketing")
    ok = {**bad, "purpose": "marketing", "channel": "web", "method": "checkbox", "evidence": ""}
    assert (
        mk.post("/api/v1/consents", ok, content_type="application/json", headers=mh).status_code
        == 403
    )
    r = cl.post(
        "/api/v1/consents",
        {**ok, "customer_id": str(uuid.uuid4())},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 404


def test_ledger_is_append_only(make_staff: Any, make_customer: Any) -> None:
    c = make_customer()
    desk = make_staff("front_desk")
    e = services.give(
        desk, c.id, "marketing", channel="web", method="checkbox", staff_purpose="reception"
    )
    for op in (
        lambda: ConsentEvent.objects.filter(pk=e.pk).update(given=False),
        lambda: ConsentEvent.objects.filter(pk=e.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            op()
    assert ConsentEvent.objects.get(pk=e.pk).given is True


def test_projection_follows_the_latest_decision(make_staff: Any, make_customer: Any) -> None:
    c = make_customer()
    desk = make_staff("front_desk")
    kw = {"channel": "store", "method": "signature", "staff_purpose": "reception"}
    services.give(desk, c.id, "partner_sharing", **kw)
    services.withdraw(desk, c.id, "partner_sharing", **kw)
    services.give(desk, c.id, "partner_sharing", **kw)
    state = ConsentState.objects.get(customer_id=c.id, purpose="partner_sharing")
    latest = ConsentEvent.objects.filter(customer_id=c.id, purpose="partner_sharing").latest("id")
    assert state.given is True and state.event_id == latest.pk
    assert ConsentEvent.objects.filter(customer_id=c.id).count() == 3


# -- the gate consults the ledger ---------------------------------------------------------
def test_marketing_read_needs_consent_and_withdrawal_applies_on_next_read(
    make_staff: Any, make_customer: Any
) -> None:
    c = make_customer(name="王小明", preferences={"language": "zh"})
    mk = make_staff("marketing")
    desk = make_staff("front_desk")
    before = gate.access_customer(mk, "marketing", c.id)
    assert before.fields == {} and set(before.withheld) == set(catalog.CUSTOMER_FIELDS)
    ev = AuditEvent.objects.filter(action=Action.CUSTOMER_READ, actor_id=mk.pk).latest("seq")
    assert ev.detail["withheld_because"] == "no_consent"
    kw = {"channel": "web", "method": "checkbox", "staff_purpose": "reception"}
    services.give(desk, c.id, "marketing", **kw)
    given = gate.access_customer(mk, "marketing", c.id)
    assert given.fields["name"] == "王**" and given.fields["preferences"] == {"language": "zh"}
    services.withdraw(desk, c.id, "marketing", **kw)
    after = gate.access_customer(mk, "marketing", c.id)
    assert after.fields == {}
    # other purposes do not depend on marketing consent
    assert gate.access_customer(desk, "reception", c.id).fields["name"] == "王小明"


def test_marketing_search_withholds_without_consent(make_staff: Any, make_customer: Any) -> None:
    a = make_customer(name="李雷", phone="13900000001")
    b = make_customer(name="李雷", phone="13900000002")
    desk = make_staff("front_desk")
    services.give(
        desk, a.id, "marketing", channel="web", method="checkbox", staff_purpose="reception"
    )
    mk = make_staff("marketing")
    page = customers.search_customers(mk, "marketing", {"name": "李雷"})
    by_id = {v.id: v for v in page.results}
    assert by_id[str(a.id)].fields["name"] == "李*"
    assert by_id[str(b.id)].fields == {}


def test_bulk_gate_reads_consent_once_per_batch(
    api_client: Any, make_staff: Any, make_customer: Any
) -> None:
    desk = make_staff("front_desk")
    one = make_customer(name="周一")
    services.give(
        desk, one.id, "marketing", channel="web", method="checkbox", staff_purpose="reception"
    )
    for i in range(10):
        c = make_customer(name="吴二", phone=f"1391234{i:04d}")
        if i % 2:
            services.give(
                desk, c.id, "marketing", channel="web", method="checkbox", staff_purpose="reception"
            )
    cl, h = api_client("marketing", "marketing")

    def run(name: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = cl.get("/api/v1/customers", {"name": name}, headers=h)
        assert r.status_code == 200
        return len(ctx.captured_queries)

    run("周一")
    assert run("吴二") == run("周一")


# -- entry points --------------------------------------------------------------------------
def test_capture_many_for_imports(make_customer: Any) -> None:
    cs = [make_customer() for _ in range(4)]
    n = services.capture_many(
        None,
        [(c.id, {"marketing": i % 2 == 0, "profiling": True}) for i, c in enumerate(cs)],
        channel="import",
    )
    assert n == 8
    assert selectors.consented([c.id for c in cs], gate.Purpose.MARKETING) == {cs[0].id, cs[2].id}
    assert ConsentState.objects.filter(purpose="profiling", given=True).count() == 4
    assert AuditEvent.objects.filter(action=Action.CONSENT_GIVEN).count() == 4


def test_data_subject_records_only_their_own_consent(make_customer: Any) -> None:
    me, other = make_customer(), make_customer()
    subject = gate.DataSubject(me.id)
    e = services.give(subject, me.id, "profiling", channel="web", method="portal")
    assert e.self_service and e.operator_id is None and e.operator_role == "data_subject"
    with pytest.raises(Forbidden):
        services.give(subject, other.id, "profiling", channel="web", method="portal")
    with pytest.raises(Forbidden):
        services.capture_many(subject, [(other.id, {"marketing": True})], channel="web")


def test_no_consent_for_erased_customers(make_staff: Any, make_customer: Any) -> None:
    from baomi.rights import services as rights

    c = make_customer()
    officer = make_staff("privacy_officer")
    rights.erase_customer(officer, c.id, basis="test")
    with pytest.raises(Gone):
        services.give(None, c.id, "marketing", channel="web", method="import")
    with pytest.raises(ValidationFailed):
        services.give(None, c.id, "nope", channel="web", method="import")


# -- the KPI ---------------------------------------------------------------------------------
def test_consent_kpi_per_channel_and_notice_version(
    api_client: Any, make_staff: Any, make_customer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_staff("front_desk")
    web = [make_customer(phone=f"1380000000{i}") for i in range(3)]
    for c in web:  # the factory creates through the store channel
        pass
    kw = {"channel": "store", "method": "signature", "staff_purpose": "reception"}
    services.give(desk, web[0].id, "marketing", **kw)
    services.withdraw(desk, web[1].id, "marketing", **kw)  # a recorded decision counts too
    k = selectors.kpi()
    assert (k["total"], k["confirmed"], k["share"]) == (3, 2, round(2 / 3, 4))
    assert k["per_channel"][0]["channel"] == "store" and not k["meets_target"]
    cl, h = api_client("privacy_officer")
    assert cl.get("/api/v1/consents/kpi", headers=h).json()["confirmed"] == 2
    mk, mh = api_client("marketing")
    assert mk.get("/api/v1/consents/kpi", headers=mh).status_code == 403
    # a new notice version: nobody has confirmed it yet
    monkeypatch.setattr(notice, "RECIPIENTS", notice.RECIPIENTS[:-1])
    notice.clear_cache()
    k2 = selectors.kpi()
    assert k2["notice_version"] == 2 and k2["confirmed"] == 0
    assert PrivacyNotice.objects.count() == 2


def test_consent_captured_with_post_customers(api_client: Any, synth: Any) -> None:
    """R-B3: a `consent` object sent with POST /customers lands in the ledger, audited;
    a malformed one is refused and nothing is written."""
    from baomi.audit.models import AuditEvent
    from baomi.consent.models import ConsentState
    from baomi.customers.models import Customer

    c, h = api_client("front_desk", "reception")
    data = {**synth.customer(), "channel": "web", "consent": {"marketing": True}}
    r = c.post("/api/v1/customers", data, content_type="application/json", headers=h)
    assert r.status_code == 201, r.content
    state = ConsentState.objects.get(customer_id=r.json()["id"], purpose="marketing")
    assert state.given is True
    assert AuditEvent.objects.filter(action="consent.given", object_id=r.json()["id"]).exists()
    bad = {**synth.customer(), "channel": "web", "consent": ["marketing"]}
    before = Customer.objects.count()
    r = c.post("/api/v1/customers", bad, content_type="application/json", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "consent"
    bad2 = {**synth.customer(), "channel": "web", "consent": {"no_such_purpose": True}}
    r = c.post("/api/v1/customers", bad2, content_type="application/json", headers=h)
    assert r.status_code in (400, 422)
    assert Customer.objects.count() == before


def test_the_chinese_notice_names_every_entity_and_retention_in_chinese() -> None:
    """No table codes or English retention texts in the zh-Hans notice: entities and texts
    of the newer domains come through the participant contract (entity_labels, texts_zh)."""
    import json
    import re

    from baomi.consent import notice

    r = notice.render("zh-hans")
    shown = [
        *(s.get("paragraphs") or [] for s in r["sections"]),
        *(s.get("bullets") or [] for s in r["sections"]),
        *(
            [t.get("caption"), *(cell for row in t.get("rows", []) for cell in row)]
            for s in r["sections"]
            for t in s.get("tables") or []
        ),
    ]
    text = json.dumps(shown, ensure_ascii=False)
    assert not re.findall(r"[a-z]+_[a-z_]+", text)  # no codes like feedback_ticket
    assert not re.findall(r"\b(?:after|years|destroyed|cleared|generated)\b", text)
