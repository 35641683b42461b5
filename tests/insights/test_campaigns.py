"""Campaigns: audience resolved at send time through consent, sent through the outbox,
conversion and repurchase as aggregates and indicators (issue #18 §4)."""

from __future__ import annotations

from typing import Any

import pytest

from baomi.consent import services as consent
from baomi.insights.models import Campaign, CampaignMessage

from .conftest import HIGH, POTENTIAL

pytestmark = pytest.mark.django_db

NEW = {
    "name": "冬季海岛",
    "segment": "lifecycle.active",
    "channel": "sms",
    "template_zh": "冬季海岛线路九折。",
    "template_en": "10 % off island trips this winter.",
    "window_days": 30,
}


def _campaign(c: Any, h: dict[str, str], **over: Any) -> dict[str, Any]:
    r = c.post("/api/v1/campaigns", {**NEW, **over}, content_type="application/json", headers=h)
    assert r.status_code == 201, r.content
    body: dict[str, Any] = r.json()
    return body


def test_send_resolves_the_audience_through_consent_and_measures_conversion(
    api_client: Any, population: Any, make_staff: Any
) -> None:
    from baomi.customers import services as customers

    active = population(13, bookings=HIGH)
    population(10, bookings=POTENTIAL)
    no_marketing = population(3, consents=("profiling",), bookings=HIGH)
    mk, h = api_client("marketing", "marketing")
    camp = _campaign(mk, h)
    assert camp["state"] == "draft" and camp["audience"] is None
    # a withdrawal after the campaign was made still keeps the customer out of the list
    consent.withdraw(None, active[0], "marketing", channel="store", method="checkbox")
    r = mk.post(f"/api/v1/campaigns/{camp['id']}/send", headers=h)
    assert r.status_code == 200, r.content
    sent = r.json()
    assert sent["state"] == "sent" and sent["audience"] == 12
    assert sent["excluded"]["no_marketing_consent"] is None  # 4 < k: a count not shown
    assert Campaign.objects.get(pk=camp["id"]).excluded["no_marketing_consent"] == 4
    ids = set(CampaignMessage.objects.values_list("customer_id", flat=True))
    assert ids == set(active[1:])
    assert active[0] not in ids and not ids & set(no_marketing)
    assert set(CampaignMessage.objects.values_list("status", flat=True)) == {"sent"}
    # nothing personal in the answer: counts and codes only
    assert str(active[1]) not in r.content.decode()
    assert mk.post(f"/api/v1/campaigns/{camp['id']}/send", headers=h).status_code == 409

    res = mk.get(f"/api/v1/campaigns/{camp['id']}/results", headers=h).json()
    assert res["recipients"] == 12 and res["converted"] == 0 and res["conversion_rate"] == 0
    desk = make_staff("front_desk")
    for cid in active[1:11]:  # 10 of 12 book again: 2 did not (below k) → suppressed
        customers.add_record(desk, "reception", cid, "booking", {"amount": "9000.00"})
    mgr, hm = api_client("manager")
    res = mgr.get(f"/api/v1/campaigns/{camp['id']}/results", headers=hm).json()
    assert res["converted"] is None and res["suppressed"] and res["reason"] == "below_k"
    for cid in active[11:]:
        customers.add_record(desk, "reception", cid, "booking", {"amount": "9000.00"})
    res = mgr.get(f"/api/v1/campaigns/{camp['id']}/results", headers=hm).json()
    assert res["converted"] == 12 and res["conversion_rate"] == 100.0

    kpis = {k["code"]: k for k in mgr.get("/api/v1/kpis", headers=hm).json()}
    conv = kpis["R-L2.marketing_conversion"]
    assert conv["value"] == 100.0 and conv["numerator"] == 12 and conv["denominator"] == 12
    detail = mgr.get("/api/v1/kpis/R-L2.marketing_conversion", headers=hm).json()
    assert detail["groups"] == [
        {
            "campaign": "冬季海岛",
            "segment": "lifecycle.active",
            "recipients": 12,
            "converted": 12,
            "rate": 100.0,
        }
    ]
    assert detail["records"] == []
    rep = kpis["R-L2.repurchase_rate"]
    assert rep["value"] is not None and rep["denominator"] >= 12


def test_small_audience_is_refused_and_nothing_written(api_client: Any, population: Any) -> None:
    population(12, bookings=HIGH)
    population(3, bookings=POTENTIAL)
    mk, h = api_client("marketing", "marketing")
    camp = _campaign(mk, h, segment="travel.potential")
    r = mk.post(f"/api/v1/campaigns/{camp['id']}/send", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "audience_below_k"
    assert not CampaignMessage.objects.exists()
    assert Campaign.objects.get(pk=camp["id"]).state == "draft"


def test_campaign_input_is_checked_and_roles_enforced(api_client: Any) -> None:
    mk, h = api_client("marketing", "marketing")
    r = mk.post(
        "/api/v1/campaigns",
        {**NEW, "segment": "nope", "channel": "fax", "purpose": "billing", "window_days": 0},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422
    codes = {e["code"] for e in r.json()["errors"]}
    assert codes == {"segment_unknown", "channel_invalid", "purpose_invalid", "window_invalid"}
    assert not Campaign.objects.exists()
    mgr, hm = api_client("manager")
    r = mgr.post("/api/v1/campaigns", NEW, content_type="application/json", headers=hm)
    assert r.status_code == 403
    assert mgr.get("/api/v1/campaigns/0/results", headers=hm).status_code == 404


def test_indicators_say_why_when_there_is_nothing_to_measure(api_client: Any) -> None:
    mgr, hm = api_client("manager")
    kpis = {k["code"]: k for k in mgr.get("/api/v1/kpis", headers=hm).json()}
    for code, reason in (
        ("R-L2.marketing_conversion", "no_campaign_sent"),
        ("R-L2.repurchase_rate", "no_purchases"),
        ("R-L1.segment_coverage", "no_run"),
    ):
        assert kpis[code]["value"] is None and kpis[code]["reason"] == reason
        assert kpis[code]["reason_text"] and kpis[code]["reason_text"] != reason


def test_erasure_unlinks_the_outbox(api_client: Any, population: Any) -> None:
    from baomi.insights.services import erase

    ids = population(12, bookings=HIGH)
    mk, h = api_client("marketing", "marketing")
    camp = _campaign(mk, h)
    mk.post(f"/api/v1/campaigns/{camp['id']}/send", headers=h)
    assert erase(ids[0]) == 1
    assert CampaignMessage.objects.filter(customer__isnull=True).count() == 1


def test_restricted_customer_is_left_out_of_runs_and_sends(
    api_client: Any, population: Any, make_staff: Any
) -> None:
    from baomi.rights import services as rights

    ids = population(13, bookings=HIGH)
    rights.restrict(make_staff("privacy_officer"), ids[0])
    mk, h = api_client("marketing", "marketing")
    run = mk.post("/api/v1/insights/runs", headers=h).json()
    assert run["profiling"] == 13 and run["analysed"] == 12
    camp = _campaign(mk, h)
    sent = mk.post(f"/api/v1/campaigns/{camp['id']}/send", headers=h).json()
    assert sent["audience"] == 12 and sent["excluded"]["closed"] is None
    assert not CampaignMessage.objects.filter(customer_id=ids[0]).exists()


def test_access_copy_lists_the_campaign_messages(api_client: Any, population: Any) -> None:
    from baomi.insights.participant import access_copy

    ids = population(12, bookings=HIGH)
    mk, h = api_client("marketing", "marketing")
    camp = _campaign(mk, h)
    mk.post(f"/api/v1/campaigns/{camp['id']}/send", headers=h)
    rows = access_copy(None, ids[0])
    assert len(rows) == 1 and rows[0]["campaign"] == "冬季海岛" and rows[0]["channel"] == "sms"
    assert rows[0]["message"] == NEW["template_zh"]


def test_campaigns_on_nested_segments_do_not_give_the_difference_away(
    api_client: Any, population: Any
) -> None:
    """active 15 ⊃ high value 12: both can be sent, but the high-value audience size (and
    its results) are not shown — 15 − 12 would single out 3 people."""
    from .conftest import PLAIN

    population(12, bookings=HIGH)
    population(3, bookings=PLAIN)
    mk, h = api_client("marketing", "marketing")
    wide = _campaign(mk, h)
    narrow = _campaign(mk, h, segment="travel.high_value")
    a = mk.post(f"/api/v1/campaigns/{wide['id']}/send", headers=h).json()
    b = mk.post(f"/api/v1/campaigns/{narrow['id']}/send", headers=h).json()
    assert a["audience"] == 15 and a["recipients"] == 15
    assert b["state"] == "sent" and b["audience"] is None and b["audience_suppressed"]
    assert b["recipients"] is None and b["converted"] is None and b["reason"] == "differencing"
    assert CampaignMessage.objects.filter(campaign_id=narrow["id"]).count() == 12
    res = mk.get(f"/api/v1/campaigns/{narrow['id']}/results", headers=h).json()
    assert res["recipients"] is None and res["audience"] is None
