"""The consent panel of the console's 360 page (R-A4, R-B3): every consent purpose with its
current state (given / withdrawn / refused / never asked), when, channel, method, notice
version and who recorded it (self-service, or staff by role — never a name), and the full
history, newest first. Staff who may change customer data record a decision the customer
states at the counter or by phone from the same panel; it goes to the consent ledger
(`consent.services.record`, audited) and the gate applies it on the next read."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from baomi.audit.models import Action, AuditEvent, Outcome
from baomi.consent import services
from baomi.consent.models import ConsentEvent, ConsentState
from baomi.consent.purposes import CONSENTS
from baomi.customers import gate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_notice")]

NAME = "周杰"


def html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def customer(make_customer: Any) -> Any:
    return make_customer(name=NAME, phone="13600001234")


def portal(customer_id: Any) -> gate.DataSubject:
    return gate.DataSubject(customer_id=uuid.UUID(str(customer_id)))


def row(body: str, code: str) -> str:
    """The panel's row of one consent purpose (up to the next row)."""
    start = body.index(f'data-testid="consent-row-{code}"')
    return body[start : body.index("</tr>", start)]


def history(body: str, code: str) -> list[str]:
    """The states of one purpose's history, in the order shown."""
    start = body.index(f'data-testid="consent-history-{code}"')
    block = body[start : body.index("</details>", start)]
    return re.findall(r'data-testid="consent-event" data-state="([a-z]+)"', block)


def panel(body: str) -> str:
    start = body.index('data-testid="consents"')
    return body[start : body.index("</section>", start)]


def decision(**extra: str) -> dict[str, str]:
    return {
        "consent": "marketing",
        "decision": "refused",
        "channel": "call_center",
        "consent_method": "verbal_recorded",
        "consent_evidence": "REC:2026/11/30-0815",
        **extra,
    }


def ledger() -> tuple[int, int, int]:
    return (
        ConsentEvent.objects.count(),
        ConsentState.objects.count(),
        AuditEvent.objects.filter(
            action__in=[Action.CONSENT_GIVEN, Action.CONSENT_WITHDRAWN]
        ).count(),
    )


def refused_whatever_sent(c: Client, customer_id: Any, status: int) -> list[str]:
    """Post a valid and an invalid decision: both answered with `status`, nothing recorded."""
    before = ledger()
    bodies = []
    for data in (decision(), decision(consent_evidence="bad evidence!")):
        r = c.post(f"/customers/{customer_id}/consents/", data)
        assert r.status_code == status
        bodies.append(html(r))
    assert ledger() == before
    return bodies


# -- the panel ---------------------------------------------------------------------------
def test_the_panel_shows_state_and_history_of_api_and_portal_decisions(
    desk: Any, customer: Any, make_staff: Any
) -> None:
    agent = make_staff("customer_service", username="agent_wang_li")
    services.give(
        agent,
        customer.id,
        "marketing",
        channel="app",
        method="api",
        staff_purpose="customer_service",
    )
    services.give(portal(customer.id), customer.id, "profiling", channel="web", method="portal")
    services.withdraw(portal(customer.id), customer.id, "marketing", channel="web", method="portal")
    services.withdraw(
        agent,
        customer.id,
        "partner_sharing",
        channel="call_center",
        method="verbal_recorded",
        evidence="REC-0042",
        staff_purpose="customer_service",
    )
    version = services.current_notice().version
    c, _ = desk
    r = c.get(f"/customers/{customer.id}/")
    assert r.status_code == 200
    body = html(r)
    box = panel(body)
    assert 'href="#consents"' in body and "同意记录" in box
    for spec in CONSENTS:  # every purpose, in the catalogue's order
        assert f'data-testid="consent-row-{spec.code.value}"' in box
    states = re.findall(r'data-consent="([a-z_]+)" data-state="([a-z]+)"', box)
    assert dict(states) == {
        "marketing": "withdrawn",  # given, then withdrawn in the portal
        "partner_sharing": "refused",  # never given
        "profiling": "given",
        **{
            s.code.value: "never"
            for s in CONSENTS
            if s.code.value not in {"marketing", "partner_sharing", "profiling"}
        },
    }
    assert [code for code, _ in states] == [s.code.value for s in CONSENTS]
    marketing = row(box, "marketing")
    assert "已撤回" in marketing and "网站" in marketing and "自助服务" in marketing
    assert "客户自助" in marketing and 'data-by="self_service"' in marketing
    assert f"第 {version} 版" in marketing and f"/privacy?version={version}" in marketing
    partner = row(box, "partner_sharing")
    assert "拒绝" in partner and "呼叫中心" in partner and "电话录音" in partner
    assert "员工：客服" in partner and 'data-by="staff"' in partner
    assert "从未询问" in row(box, "cross_border")
    assert "单独同意" in row(box, "cross_border")
    # the history, newest first; never-asked purposes have none
    assert history(box, "marketing") == ["withdrawn", "given"]
    assert history(box, "partner_sharing") == ["refused"]
    assert 'data-testid="consent-history-cross_border"' not in box
    assert "REC-0042" in box  # the evidence code is in the history
    # staff by role, never by name
    assert agent.username not in body
    # front desk may write under reception: the decision form is there
    assert 'data-testid="consent-decision-form"' in box


def test_a_marketing_user_sees_the_panel_without_consent_but_no_form(
    staff_client: Any, customer: Any
) -> None:
    services.withdraw(portal(customer.id), customer.id, "marketing", channel="web", method="portal")
    c, _ = staff_client("marketing", "marketing")
    r = c.get(f"/customers/{customer.id}/")
    assert r.status_code == 200
    body = html(r)
    assert 'data-testid="nothing-shown"' in body and NAME not in body and "周*" not in body
    box = panel(body)
    assert 'data-consent="marketing" data-state="refused"' in box
    assert 'data-testid="consent-decision-form"' not in body
    assert "/consents/" not in body


# -- recording from the panel ------------------------------------------------------------------
def test_front_desk_records_a_withdrawal_and_the_marketing_read_is_withheld(
    desk: Any, staff_client: Any, customer: Any
) -> None:
    services.give(portal(customer.id), customer.id, "marketing", channel="web", method="portal")
    mk, mk_staff = staff_client("marketing", "marketing")
    assert gate.access_customer(mk_staff, "marketing", customer.id).fields["name"] == "周*"
    c, staff = desk
    r = c.post(f"/customers/{customer.id}/consents/", decision())
    assert r.status_code == 302, html(r)
    assert r["Location"] == f"/customers/{customer.id}/#consents"
    e = ConsentEvent.objects.filter(customer_id=customer.id).latest("id")
    assert (e.purpose, e.given, e.channel, e.method, e.evidence) == (
        "marketing",
        False,
        "call_center",
        "verbal_recorded",
        "REC:2026/11/30-0815",
    )
    assert (e.operator_id, e.operator_role, e.self_service) == (staff.pk, "front_desk", False)
    assert e.notice.version == services.current_notice().version
    state = ConsentState.objects.get(customer_id=customer.id, purpose="marketing")
    assert (state.given, state.event_id) == (False, e.pk)
    audit = AuditEvent.objects.filter(
        action=Action.CONSENT_WITHDRAWN, object_id=str(customer.id)
    ).latest("seq")
    assert (audit.actor_id, audit.actor_role, audit.purpose) == (
        staff.pk,
        "front_desk",
        "reception",
    )
    assert audit.detail["consent"] == "marketing" and audit.detail["method"] == "verbal_recorded"
    assert "REC:2026" not in str(audit.detail)
    # back on the 360 page: the message and the new state
    body = html(c.get(r["Location"]))
    assert "已记录同意决定：营销推广 — 拒绝或撤回。" in body
    marketing = row(panel(body), "marketing")
    assert 'data-state="withdrawn"' in marketing and "员工：前台" in marketing
    assert "呼叫中心" in marketing and "电话录音" in marketing
    assert staff.username not in panel(body)
    assert history(panel(body), "marketing") == ["withdrawn", "given"]
    # the next marketing read is withheld by the gate
    assert gate.access_customer(mk_staff, "marketing", customer.id).fields == {}
    assert 'data-testid="nothing-shown"' in html(mk.get(f"/customers/{customer.id}/"))
    read = AuditEvent.objects.filter(action=Action.CUSTOMER_READ, actor_id=mk_staff.pk).latest(
        "seq"
    )
    assert read.detail["withheld_because"] == "no_consent"


def test_a_given_consent_recorded_at_the_counter_opens_the_marketing_read(
    desk: Any, staff_client: Any, customer: Any
) -> None:
    c, _ = desk
    data = decision(decision="given", channel="store", consent_method="signature")
    assert c.post(f"/customers/{customer.id}/consents/", data).status_code == 302
    _, mk_staff = staff_client("marketing", "marketing")
    assert gate.access_customer(mk_staff, "marketing", customer.id).fields["name"] == "周*"


def test_a_marketing_post_is_refused_audited_and_records_nothing(
    staff_client: Any, customer: Any
) -> None:
    services.current_notice()
    c, staff = staff_client("marketing", "marketing")
    for body in refused_whatever_sent(c, customer.id, 403):
        assert 'data-testid="consent-decision-form"' not in body
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor_id=staff.pk)
    assert denied.count() == 2
    for ev in denied:
        assert ev.outcome == Outcome.DENIED and ev.object_type == "consent"
        assert ev.detail["reason"] == "write_not_allowed" and ev.purpose == "marketing"


def test_a_get_is_not_allowed(desk: Any, customer: Any) -> None:
    c, _ = desk
    assert c.get(f"/customers/{customer.id}/consents/").status_code == 405


def test_bad_evidence_records_nothing_and_is_shown_next_to_the_input(
    desk: Any, customer: Any
) -> None:
    services.current_notice()
    c, _ = desk
    before = ledger()
    r = c.post(f"/customers/{customer.id}/consents/", decision(consent_evidence="FORM 42 / 张三"))
    assert r.status_code == 422
    assert ledger() == before
    body = html(r)
    assert 'data-testid="error-consent_evidence"' in body and "凭证编号只能包含" in body
    assert '" open data-testid="consent-decision-box"' in body  # the form stays open
    # the 360 page itself is there, the inputs echoed back
    assert 'data-testid="profile"' in body and NAME in body
    assert 'value="FORM 42 / 张三"' in body
    assert '<option value="marketing" selected>' in body
    assert 'value="refused" checked' in body
    assert '<option value="verbal_recorded" selected>' in body
    c.post("/i18n/setlang/", {"language": "en"})
    body = html(c.post(f"/customers/{customer.id}/consents/", decision(consent_evidence="a b")))
    assert "evidence is a reference code" in body
    assert ledger() == before


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"consent": "selling_data"}, "consent"),
        ({"consent": ""}, "consent"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "not_asked"}, "decision"),
        ({"decision": ""}, "decision"),
        ({"consent_method": "portal"}, "consent_method"),
        ({"consent_method": "api"}, "consent_method"),
        ({"channel": "web"}, "channel"),
    ],
)
def test_bad_input_records_nothing(
    desk: Any, customer: Any, data: dict[str, str], error: str
) -> None:
    services.current_notice()
    c, _ = desk
    before = ledger()
    r = c.post(f"/customers/{customer.id}/consents/", decision(**data))
    assert r.status_code == 422
    assert f'data-testid="error-{error}"' in html(r)
    assert ledger() == before


def test_an_erased_customer_gets_the_410_page(desk: Any, customer: Any, make_staff: Any) -> None:
    from baomi.rights import services as rights

    rights.erase_customer(make_staff("privacy_officer"), customer.id, basis="test")
    c, _ = desk
    for body in refused_whatever_sent(c, customer.id, 410):
        assert 'data-testid="consents"' not in body
    r = c.post(f"/customers/{uuid.uuid4()}/consents/", decision())
    assert r.status_code == 404


def test_a_restricted_customer_shows_no_panel(desk: Any, customer: Any, make_staff: Any) -> None:
    from baomi.rights import services as rights

    services.give(portal(customer.id), customer.id, "marketing", channel="web", method="portal")
    rights.restrict(make_staff("privacy_officer"), customer.id)
    c, _ = desk
    r = c.get(f"/customers/{customer.id}/")
    assert r.status_code == 403
    assert 'data-testid="consents"' not in html(r)


# -- queries and languages ----------------------------------------------------------------------
def _page_queries(c: Client, customer_id: Any) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        r = c.get(f"/customers/{customer_id}/")
    assert r.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    return len(sql), sum(1 for s in sql if re.search(r'"consent_(event|state)"', s))


def test_the_panel_reads_the_ledger_in_two_queries(
    desk: Any, make_customer: Any, make_staff: Any
) -> None:
    quiet = make_customer(name="吴一", phone="13900000001")
    busy = make_customer(name="吴二", phone="13900000002")
    agent = make_staff("customer_service")
    for i in range(3):
        for spec in CONSENTS:
            services.record(
                agent,
                busy.id,
                spec.code.value,
                given=i % 2 == 0,
                channel="call_center",
                method="verbal_recorded",
                staff_purpose="customer_service",
            )
    c, _ = desk
    _page_queries(c, quiet.id)  # warm caches (notice, policy overrides)
    few, ledger_few = _page_queries(c, quiet.id)
    many, ledger_many = _page_queries(c, busy.id)
    assert ledger_few == ledger_many == 2  # state_of + history, whatever the history's length
    assert many == few, (few, many)


def test_both_languages_render(desk: Any, customer: Any) -> None:
    services.give(portal(customer.id), customer.id, "marketing", channel="web", method="portal")
    services.withdraw(portal(customer.id), customer.id, "marketing", channel="web", method="portal")
    c, _ = desk
    body = html(c.get(f"/customers/{customer.id}/"))
    box = panel(body)
    for zh in (
        "同意记录",
        "同意事项",
        "说明版本",
        "记录人",
        "历史记录（2）",
        "记录客户当场表示的决定",
    ):
        assert zh in box, zh
    for spec in CONSENTS:
        assert escape(spec.label_zh) in box
    # no English sentence on the Chinese page (as test_console's spot-check)
    english = re.compile(r">\s*[A-Z][a-z]+(?: [a-z]+){2,}[^<]*<")
    assert not english.findall(re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S))
    c.post("/i18n/setlang/", {"language": "en"})
    box = panel(html(c.get(f"/customers/{customer.id}/")))
    for en in (
        "Consents",
        "Consent item",
        "Notice version",
        "Recorded by",
        "Withdrawn",
        "Never asked",
        "Customer, self-service",
        "History (2)",
        "Record a decision the customer states now",
        "Refused or withdrawn",
        "Record decision",
    ):
        assert en in box, en
    for spec in CONSENTS:
        assert escape(spec.label_en) in box and spec.label_zh not in box
    r = c.post(f"/customers/{customer.id}/consents/", decision(decision="given"), follow=True)
    assert "Consent decision recorded: Marketing — Given." in html(r)
