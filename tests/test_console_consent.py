"""Consent captured at the counter (R-B3): the console's new-customer form asks, per
consent purpose, not asked / given / refused, with the method, an evidence reference and the
privacy-notice version in force. The customer and the decisions are saved in one
transaction: a refused consent input (bad method, bad evidence, a tampered purpose) leaves
no customer and no ledger row behind. The marketing gate then reads the ledger."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from baomi.audit.models import Action, AuditEvent
from baomi.consent import services
from baomi.consent.models import ConsentEvent, ConsentState
from baomi.consent.purposes import CONSENTS
from baomi.customers import gate
from baomi.customers.models import Customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_notice")]

NAME = "周杰"
PHONE = "13600001234"
FULL_ID = "11010519491231002X"


def html(response: Any) -> str:
    return response.content.decode()


def profile(**extra: str) -> dict[str, str]:
    return {
        "name": NAME,
        "phone": PHONE,
        "id_type": "cn_resident_id",
        "id_number": FULL_ID,
        "channel": "store",
        **extra,
    }


def counts() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        ConsentEvent.objects.count(),
        ConsentState.objects.count(),
        AuditEvent.objects.filter(
            action__in=[Action.CUSTOMER_CREATED, Action.CONSENT_GIVEN, Action.CONSENT_WITHDRAWN]
        ).count(),
    )


def checked(body: str, name: str) -> str:
    """The value of the checked radio button of that name."""
    for tag in re.findall(r"<input [^>]*>", body):
        if f'name="{name}"' in tag and " checked" in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return found.group(1) if found else ""
    return ""


# -- the form ----------------------------------------------------------------------------
def test_the_form_asks_every_consent_in_chinese_and_in_english(desk: Any) -> None:
    c, _ = desk
    version = services.current_notice().version
    body = html(c.get("/customers/new/"))
    assert 'data-testid="consent-fieldset"' in body and "客户同意" in body
    for spec in CONSENTS:  # none is filtered by industry
        name = f"consent_{spec.code.value}"
        assert escape(spec.label_zh) in body and escape(spec.text_zh) in body, spec.code
        for v in ("not_asked", "given", "refused"):
            assert f'name="{name}" value="{v}"' in body
        assert checked(body, name) == "not_asked"  # nothing is pre-ticked
    separate = re.findall(r'data-testid="separate-([a-z_]+)"', body)
    assert sorted(separate) == ["cross_border", "partner_sharing", "sensitive_processing"]
    assert "需单独同意" in body and "单独询问" in body
    assert "行业：旅行社" in body and "行业：酒店" in body and "行业：快递" in body
    assert "未询问" in body and "拒绝" in body
    # counter methods only, a signed form by default; the notice version and its page
    methods = re.findall(r'name="consent_method" value="([a-z_]+)"', body)
    assert methods == ["signature", "checkbox", "verbal_recorded"]
    assert checked(body, "consent_method") == "signature"
    assert "书面签字" in body and "电话录音" in body
    assert f'data-testid="consent-notice" data-version="{version}"' in body
    assert f"第 {version} 版" in body and f'href="/privacy?version={version}"' in body
    assert 'name="consent_evidence"' in body and "凭证编号" in body
    c.post("/i18n/setlang/", {"language": "en"})
    body = html(c.get("/customers/new/"))
    assert "Consent" in body and "Separate consent required" in body
    for spec in CONSENTS:
        assert escape(spec.label_en) in body and escape(spec.text_en) in body, spec.code
        assert spec.label_zh not in body
    assert "Not asked" in body and "Given" in body and "Refused" in body
    assert "Signed form" in body and "Industry: Hotel" in body
    assert f"Privacy notice in force: version {version}." in body


# -- recording ---------------------------------------------------------------------------
def test_given_refused_and_not_asked_become_exactly_those_ledger_rows(desk: Any) -> None:
    c, staff = desk
    data = profile(
        consent_marketing="given",
        consent_partner_sharing="refused",
        consent_sensitive_processing="not_asked",
        consent_hotel_preferences="given",
        consent_method="signature",
        consent_evidence="FORM-2026-0042",
    )
    r = c.post("/customers/new/", data)
    assert r.status_code == 302, html(r)
    cust = Customer.objects.get()
    assert r["Location"] == f"/customers/{cust.id}/"
    version = services.current_notice().version
    events = {e.purpose: e for e in ConsentEvent.objects.filter(customer_id=cust.id)}
    assert {p: e.given for p, e in events.items()} == {
        "marketing": True,
        "partner_sharing": False,
        "hotel_preferences": True,
    }  # "not asked" (and unanswered) purposes record nothing
    for e in events.values():
        assert (e.channel, e.method, e.evidence) == ("store", "signature", "FORM-2026-0042")
        assert e.notice.version == version
        assert (e.operator_id, e.operator_role, e.self_service) == (staff.pk, "front_desk", False)
    states = {s.purpose: s for s in ConsentState.objects.filter(customer_id=cust.id)}
    assert {p: s.given for p, s in states.items()} == {p: e.given for p, e in events.items()}
    assert all(states[p].event_id == e.pk for p, e in events.items())
    audits = AuditEvent.objects.filter(
        object_id=str(cust.id), action__in=[Action.CONSENT_GIVEN, Action.CONSENT_WITHDRAWN]
    )
    got = {(a.action, a.detail["consent"]) for a in audits}
    assert got == {
        (Action.CONSENT_GIVEN, "marketing"),
        (Action.CONSENT_WITHDRAWN, "partner_sharing"),
        (Action.CONSENT_GIVEN, "hotel_preferences"),
    }
    for a in audits:
        assert (a.actor_id, a.actor_role, a.purpose) == (staff.pk, "front_desk", "reception")
        assert a.detail["channel"] == "store" and a.detail["method"] == "signature"
        assert a.detail["notice_version"] == version
        assert "FORM-2026-0042" not in str(a.detail)  # the evidence stays in the ledger
    created = AuditEvent.objects.get(action=Action.CUSTOMER_CREATED, object_id=str(cust.id))
    assert created.seq < min(a.seq for a in audits)
    assert "客户已保存" in html(c.get(r["Location"]))


def test_the_consent_channel_is_the_form_channel_and_methods_are_kept(desk: Any) -> None:
    c, _ = desk
    data = profile(
        channel="call_center",
        consent_profiling="refused",
        consent_method="verbal_recorded",
        consent_evidence="REC:2026/11/30-0815",
    )
    assert c.post("/customers/new/", data).status_code == 302
    [e] = ConsentEvent.objects.all()
    assert (e.purpose, e.given, e.channel, e.method, e.evidence) == (
        "profiling",
        False,
        "call_center",
        "verbal_recorded",
        "REC:2026/11/30-0815",
    )


def test_nothing_asked_saves_the_customer_and_no_consent(desk: Any) -> None:
    c, _ = desk
    data = profile(**{f"consent_{s.code.value}": "not_asked" for s in CONSENTS})
    data.update(consent_method="signature", consent_evidence="")
    assert c.post("/customers/new/", data).status_code == 302
    assert Customer.objects.count() == 1
    assert ConsentEvent.objects.count() == 0 and ConsentState.objects.count() == 0


@pytest.mark.parametrize(("decision", "shown"), [("given", True), ("refused", False)])
def test_the_marketing_read_follows_the_decision_taken_at_the_counter(
    desk: Any, staff_client: Any, decision: str, shown: bool
) -> None:
    c, _ = desk
    data = profile(consent_marketing=decision, consent_method="checkbox")
    assert c.post("/customers/new/", data).status_code == 302
    cust = Customer.objects.get()
    mk, mk_staff = staff_client("marketing", "marketing")
    body = html(mk.get(f"/customers/{cust.id}/"))
    view = gate.access_customer(mk_staff, "marketing", cust.id)
    if shown:
        assert 'data-testid="nothing-shown"' not in body and "周*" in body
        assert view.fields["name"] == "周*"
    else:
        assert 'data-testid="nothing-shown"' in body and "周*" not in body and NAME not in body
        assert view.fields == {}
        ev = AuditEvent.objects.filter(action=Action.CUSTOMER_READ, actor_id=mk_staff.pk).latest(
            "seq"
        )
        assert ev.detail["withheld_because"] == "no_consent"


# -- refusals: nothing is saved --------------------------------------------------------------
def test_a_bad_evidence_value_saves_nothing_and_is_shown_next_to_the_input(desk: Any) -> None:
    c, _ = desk
    services.current_notice()  # published before counting (a GET would publish it too)
    before = counts()
    data = profile(
        consent_marketing="given",
        consent_partner_sharing="refused",
        consent_method="signature",
        consent_evidence="FORM 42 / 张三",
    )
    with CaptureQueriesContext(connection) as ctx:
        r = c.post("/customers/new/", data)
    assert r.status_code == 422
    assert counts() == before
    # refused before anything is written: no data key, customer or audit row attempted
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    body = html(r)
    assert 'data-testid="error-consent_evidence"' in body and "凭证编号只能包含" in body
    assert 'data-testid="errors"' in body  # "nothing was saved"
    # the inputs are echoed back, so the clerk corrects one field only
    assert checked(body, "consent_marketing") == "given"
    assert checked(body, "consent_partner_sharing") == "refused"
    assert checked(body, "consent_profiling") == "not_asked"
    assert checked(body, "consent_method") == "signature"
    assert f'value="{NAME}"' in body and 'value="FORM 42 / 张三"' in body
    c.post("/i18n/setlang/", {"language": "en"})
    body = html(c.post("/customers/new/", data))
    assert "evidence is a reference code" in body
    assert counts() == before
    # corrected, it saves
    assert c.post("/customers/new/", {**data, "consent_evidence": "FORM-42"}).status_code == 302
    assert ConsentEvent.objects.count() == 2


@pytest.mark.parametrize("method", ["telepathy", "portal", "api", ""])
def test_a_method_the_counter_cannot_use_saves_nothing(desk: Any, method: str) -> None:
    c, _ = desk
    services.current_notice()
    before = counts()
    r = c.post("/customers/new/", profile(consent_marketing="given", consent_method=method))
    assert r.status_code == 422
    assert 'data-testid="error-consent_method"' in html(r)
    assert counts() == before


@pytest.mark.parametrize("value", ["given", "not_asked", ""])
def test_a_tampered_purpose_is_refused_not_ignored(desk: Any, value: str) -> None:
    c, _ = desk
    services.current_notice()
    before = counts()
    data = profile(consent_marketing="given", consent_method="checkbox", consent_selling_data=value)
    r = c.post("/customers/new/", data)
    assert r.status_code == 422
    assert counts() == before
    body = html(r)
    errors = body.split('data-testid="consent-errors"')[1].split("</ul>")[0]
    assert "consent_selling_data" in errors and "同意事项代码无效" in errors


def test_a_tampered_decision_is_refused(desk: Any) -> None:
    c, _ = desk
    services.current_notice()
    before = counts()
    r = c.post("/customers/new/", profile(consent_marketing="maybe", consent_method="checkbox"))
    assert r.status_code == 422
    assert 'data-testid="error-consent_marketing"' in html(r)
    assert counts() == before


def test_profile_and_consent_problems_are_reported_together(desk: Any) -> None:
    c, _ = desk
    services.current_notice()
    before = counts()
    data = profile(phone="12345", consent_selling_data="given", consent_marketing="maybe")
    r = c.post("/customers/new/", data)
    assert r.status_code == 422
    body = html(r)
    assert 'data-testid="error-phone"' in body
    assert (
        'data-testid="consent-errors"' in body and 'data-testid="error-consent_marketing"' in body
    )
    assert counts() == before
    # a bad evidence code is reported in the same submit as a profile error
    data = profile(phone="12345", consent_marketing="given", consent_evidence="no spaces!")
    body = html(c.post("/customers/new/", data))
    assert 'data-testid="error-phone"' in body and 'data-testid="error-consent_evidence"' in body
    assert counts() == before


def test_a_duplicate_customer_records_no_consent(desk: Any) -> None:
    c, _ = desk
    data = profile(consent_marketing="given", consent_method="signature")
    assert c.post("/customers/new/", data).status_code == 302
    before = counts()
    r = c.post("/customers/new/", data)
    assert r.status_code == 409
    assert counts() == before
    assert checked(html(r), "consent_marketing") == "given"
