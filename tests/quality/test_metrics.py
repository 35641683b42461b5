"""Quality metrics against hand counts on a planted data set (issue #16 §1, §4; R-K2,
R-K3, R-K1): computed through the gate in bulk, incremental, counts only; the API, the
console page, the CLI and the indicator registry."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from baomi.customers import services as customers
from baomi.customers.synthetic import Synth
from baomi.quality.models import MetricsRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(make_customer: Any, make_staff: Any) -> dict[str, Any]:
    """c1 complete; c2 name + phone only; c3 complete, then its birth date changed alone
    (no longer the one in its ID number); c4 complete, its address corrected through a
    rights request (confirmed)."""
    s = Synth(seed=3)
    c1 = make_customer(**s.customer(foreign_share=0))
    base = s.customer(foreign_share=0)
    c2 = make_customer(
        name=base["name"],
        phone=base["phone"],
        **{
            k: None
            for k in (
                "email",
                "id_type",
                "id_number",
                "gender",
                "birth_date",
                "nationality",
                "address",
            )
        },
    )
    c3 = make_customer(**s.customer(foreign_share=0))
    c4 = make_customer(**s.customer(foreign_share=0))
    desk = make_staff("front_desk")
    customers.update_customer(desk, "reception", c3.id, {"birth_date": "1901-01-01"})
    po = make_staff("privacy_officer")
    customers.update_customer(
        po, "rights_request", c4.id, {"address": "上海市浦东新区世纪大道100号"}
    )
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "values": [base["name"], base["phone"]]}


HAND = {  # metric → (numerator, denominator)
    "completeness": (29, 36),
    "validity": (28, 29),
    "accuracy": (1, 29),
    "timeliness": (10, 10),
    "consistency": (2, 3),
    "uniqueness": (4, 4),
    "compliance": (3, 4),
}


def test_metrics_match_hand_counts(api_client: Any, planted: dict[str, Any]) -> None:
    c, h = api_client("data_steward", "data_quality")
    r = c.post("/api/v1/quality/metrics", headers=h)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["customers"] == 4 and body["recomputed"] == 4
    got = {m: (v["numerator"], v["denominator"]) for m, v in body["totals"].items()}
    assert got == HAND
    assert body["totals"]["compliance"]["value"] == 75.0
    assert body["by_field"]["address"]["accuracy"] == {
        "numerator": 1,
        "denominator": 3,
        "value": 33.33,
    }
    assert body["by_field"]["birth_date"]["validity"]["numerator"] == 2
    assert body["by_channel"]["store"]["completeness"]["denominator"] == 36
    # counts only: no value of any customer in what is stored or answered
    stored = json.dumps(list(MetricsRun.objects.values()), default=str, ensure_ascii=False)
    for v in planted["values"]:
        assert v not in stored and v not in r.content.decode()


def test_incremental_and_readers(api_client: Any, planted: dict[str, Any], make_staff: Any) -> None:
    c, h = api_client("data_steward", "data_quality")
    assert c.post("/api/v1/quality/metrics", headers=h).json()["recomputed"] == 4
    assert c.post("/api/v1/quality/metrics", headers=h).json()["recomputed"] == 0
    customers.update_customer(
        make_staff("front_desk"), "reception", planted["c2"].id, {"email": "x.y@example.cn"}
    )
    again = c.post("/api/v1/quality/metrics", headers=h).json()
    assert again["recomputed"] == 1
    assert again["totals"]["completeness"]["numerator"] == 30
    # management reads the figures (no purpose needed: no personal data); computing is the steward's
    m, mh = api_client("manager")
    assert m.get("/api/v1/quality/metrics", headers=mh).json()["customers"] == 4
    assert (
        m.post("/api/v1/quality/metrics", headers={**mh, "X-Purpose": "data_quality"}).status_code
        == 403
    )
    fd, fh = api_client("front_desk", "reception")
    assert fd.get("/api/v1/quality/metrics", headers=fh).status_code == 403


def test_indicators_registered(api_client: Any, planted: dict[str, Any]) -> None:
    c, h = api_client("data_steward", "data_quality")
    c.post("/api/v1/quality/metrics", headers=h)
    po, ph = api_client("privacy_officer")
    rows = {k["code"]: k for k in po.get("/api/v1/kpis", headers=ph).json()}
    for m in HAND:
        assert rows[f"quality.{m}"]["requirement"] in ("R-K1", "R-K2", "R-K3")
    assert (
        rows["quality.compliance"]["value"] == 75.0 and rows["quality.compliance"]["met"] is False
    )
    assert rows["quality.uniqueness"]["value"] == 100.0
    assert rows["quality.open_duplicates"]["value"] == 0


def test_indicator_without_a_run_says_why(api_client: Any, db: Any) -> None:
    po, ph = api_client("privacy_officer")
    rows = {k["code"]: k for k in po.get("/api/v1/kpis", headers=ph).json()}
    assert rows["quality.completeness"]["value"] is None
    assert rows["quality.completeness"]["reason"] == "no_metrics_run"


def test_cli_and_console(staff_client: Any, planted: dict[str, Any], make_staff: Any) -> None:
    s = make_staff("data_steward")
    out = io.StringIO()
    call_command("quality", "metrics", "--as", s.username, stdout=out)
    assert json.loads(out.getvalue())["totals"]["validity"]["numerator"] == 28
    c, _ = staff_client("data_steward", "data_quality")
    page = c.get("/quality/").content.decode()
    assert "数据质量" in page and "完整性" in page and "80.6 %" in page and "29 / 36" in page
    assert c.post("/quality/compute/").status_code == 302


def test_large_runs_check_values_in_a_worker_with_the_same_counts(
    api_client: Any, planted: dict[str, Any], monkeypatch: Any
) -> None:
    """Above 20,000 stale customers the checks run in a forked worker while the gate opens
    the next chunk (issue #16: 10^6 customers in ≤ 60 s); the counts are the hand counts."""
    from baomi.quality.services import metrics

    monkeypatch.setattr(metrics, "spare", lambda n: 1)
    monkeypatch.setattr(metrics, "CHUNK", 1)  # four chunks: more than 2 in flight per worker
    c, h = api_client("data_steward", "data_quality")
    body = c.post("/api/v1/quality/metrics", headers=h).json()
    assert body["recomputed"] == 4
    assert {m: (v["numerator"], v["denominator"]) for m, v in body["totals"].items()} == HAND
