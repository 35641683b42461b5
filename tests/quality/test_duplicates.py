"""The steward's duplicate queue through the API, the console and the CLI (issue #16 §2,
§4; R-K1, R-B4): scan from keyed-hash blocking keys, masked comparison, merge field by
field with lineage and audit, unmerge back to the exact state, "not a duplicate"
remembered, erasure clears the queue."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command

from baomi.audit.models import AuditEvent
from baomi.customers.synthetic import Synth
from baomi.quality.models import BlockingKey, DuplicatePair

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_customer: Any) -> dict[str, Any]:
    """张三 and 張三 (traditional characters, another e-mail and address — one person
    registered twice), and two unrelated customers."""
    s = Synth(seed=5)
    base = s.customer(foreign_share=0)
    a = make_customer(**{**base, "name": "张三丰"})
    twin = dict(base, name="張三豐", email="zsf.other@example.cn", id_number=None, id_type=None)
    b = make_customer(**twin)
    c = make_customer(**s.customer(foreign_share=0))
    d = make_customer(**s.customer(foreign_share=0))
    return {"a": a, "b": b, "c": c, "d": d, "base": base}


def steward(api_client: Any) -> tuple[Any, dict[str, str]]:
    return api_client("data_steward", "data_quality")


def scan(c: Any, h: dict[str, str]) -> dict[str, Any]:
    r = c.post("/api/v1/quality/duplicates/scan", headers=h)
    assert r.status_code == 200, r.content
    out: dict[str, Any] = r.json()
    return out


def the_pair(c: Any, h: dict[str, str], people: dict[str, Any]) -> dict[str, Any]:
    r = c.get("/api/v1/quality/duplicates", headers=h)
    assert r.status_code == 200
    ids = {str(people["a"].id), str(people["b"].id)}
    hits = [p for p in r.json()["pairs"] if {p["left"], p["right"]} == ids]
    assert len(hits) == 1, r.json()
    return hits[0]


def read(api_client: Any, customer: Any) -> Any:
    c, h = api_client("privacy_officer", "investigation")
    return c.get(f"/api/v1/customers/{customer.id}", headers=h)


def test_scan_finds_the_twin_from_keyed_hashes(api_client: Any, people: dict[str, Any]) -> None:
    c, h = steward(api_client)
    summary = scan(c, h)
    assert summary["queued"] >= 1 and summary["customers"] == 4
    pair = the_pair(c, h, people)
    assert pair["probability"] >= 0.5 and pair["state"] == "open"
    assert pair["levels"]["name"] == "close"  # 张三丰 / 張三豐: same pinyin
    assert pair["levels"]["phone"] == "agree" and pair["levels"]["email"] == "differ"
    # blocking keys are bucket numbers; nothing in the queue's tables holds a value
    assert BlockingKey.objects.filter(kind="name_pinyin").count() == 4
    # name and birth date together: the block that still works when a common name alone
    # is shared by more customers than a block may hold (10^6 customers)
    keys = BlockingKey.objects.filter(kind="name_birth")
    assert keys.count() == BlockingKey.objects.filter(kind="birth_date").count() > 0
    stored = json.dumps(list(DuplicatePair.objects.values()), default=str, ensure_ascii=False)
    for value in (people["base"]["phone"], "张三丰", "張三豐", people["base"]["birth_date"]):
        assert value not in stored
    # the bulk reads are audited under data_quality
    assert AuditEvent.objects.filter(
        action="customer.read", purpose="data_quality", detail__bulk__gte=2
    ).exists()
    # a second scan remembers: nothing new
    again = scan(c, h)
    assert again["queued"] == 0 and again["updated"] >= 1


def test_merge_takes_fields_and_unmerge_restores(api_client: Any, people: dict[str, Any]) -> None:
    c, h = steward(api_client)
    scan(c, h)
    pair = the_pair(c, h, people)
    a, b = people["a"], people["b"]
    survivor = "left" if pair["left"] == str(a.id) else "right"
    before = read(api_client, a).json()
    r = c.post(
        f"/api/v1/quality/duplicates/{pair['id']}/merge",
        {"survivor": survivor, "take": ["email"]},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "merged"
    after = read(api_client, a).json()
    assert after["email"] == "zsf.other@example.cn"  # taken from the twin
    assert after["name"] == before["name"] and after["id_number"] == before["id_number"]
    assert after["lineage"]["email"]["merged_from"] == str(b.id)
    # the absorbed record is closed for ordinary reads (its own rights still reach it)
    fd, fh = api_client("front_desk", "reception")
    assert fd.get(f"/api/v1/customers/{b.id}", headers=fh).status_code == 403
    assert AuditEvent.objects.filter(action="quality.merged").count() == 1
    assert AuditEvent.objects.filter(action="customer.merged", object_id=str(a.id)).exists()
    # merging again is refused; unmerge puts everything back
    again = c.post(
        f"/api/v1/quality/duplicates/{pair['id']}/merge",
        {"survivor": survivor},
        content_type="application/json",
        headers=h,
    )
    assert again.status_code == 409
    r = c.post(f"/api/v1/quality/duplicates/{pair['id']}/unmerge", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "unmerged"
    restored = read(api_client, a).json()
    assert restored["email"] == before["email"] and restored["lineage"] == before["lineage"]
    assert fd.get(f"/api/v1/customers/{b.id}", headers=fh).status_code == 200
    # search by the e-mail finds the survivor again under its own value (index restored)
    s = fd.post(
        "/api/v1/customers/search",
        {"email": before["email"]},
        content_type="application/json",
        headers=fh,
    )
    assert s.status_code == 200 and [x["id"] for x in s.json()["items"]] == [str(a.id)]
    assert AuditEvent.objects.filter(action="quality.unmerged").count() == 1


def test_dismissed_is_remembered(api_client: Any, people: dict[str, Any]) -> None:
    c, h = steward(api_client)
    scan(c, h)
    pair = the_pair(c, h, people)
    r = c.post(f"/api/v1/quality/duplicates/{pair['id']}/dismiss", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "dismissed"
    summary = scan(c, h)
    assert summary["remembered"] >= 1
    listed = c.get("/api/v1/quality/duplicates", headers=h).json()
    assert pair["id"] not in [p["id"] for p in listed["pairs"]]
    assert listed["counts"]["dismissed"] == 1


@pytest.mark.parametrize(
    ("role", "purpose", "status"),
    [("front_desk", "reception", 403), ("privacy_officer", "investigation", 403)],
)
def test_only_the_steward(
    api_client: Any, people: dict[str, Any], role: str, purpose: str, status: int
) -> None:
    c, h = api_client(role, purpose)
    assert c.get("/api/v1/quality/duplicates", headers=h).status_code == status
    assert c.post("/api/v1/quality/duplicates/scan", headers=h).status_code == status


def test_bad_requests(api_client: Any, people: dict[str, Any]) -> None:
    c, h = steward(api_client)
    scan(c, h)
    pair = the_pair(c, h, people)
    assert c.post("/api/v1/quality/duplicates/999999/dismiss", headers=h).status_code == 404
    r = c.post(
        f"/api/v1/quality/duplicates/{pair['id']}/merge",
        {"survivor": "left", "take": ["preferences"]},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422 and r["Content-Type"].startswith("application/problem+json")
    assert c.post(f"/api/v1/quality/duplicates/{pair['id']}/unmerge", headers=h).status_code == 409
    assert c.get("/api/v1/quality/duplicates?state=bogus", headers=h).status_code == 422
    nop = {k: v for k, v in h.items() if k != "X-Purpose"}
    assert c.get("/api/v1/quality/duplicates", headers=nop).status_code == 400


def test_erasure_clears_the_queue(api_client: Any, people: dict[str, Any], make_staff: Any) -> None:
    from baomi.rights.services import erase_customer

    c, h = steward(api_client)
    scan(c, h)
    assert (
        DuplicatePair.objects.filter(left=people["b"]).exists()
        or DuplicatePair.objects.filter(right=people["b"]).exists()
    )
    erase_customer(make_staff("privacy_officer"), people["b"].id, basis="test")
    assert not DuplicatePair.objects.filter(left=people["b"]).exists()
    assert not DuplicatePair.objects.filter(right=people["b"]).exists()
    assert not BlockingKey.objects.filter(customer=people["b"]).exists()


def test_dedupe_cli(people: dict[str, Any], make_staff: Any) -> None:
    s = make_staff("data_steward")
    out = io.StringIO()
    call_command("dedupe", "--as", s.username, stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["queued"] >= 1
    assert AuditEvent.objects.filter(
        action="quality.dedupe_run", actor_username=s.username
    ).exists()


def test_console_queue_and_pair_masked_in_chinese(
    staff_client: Any, people: dict[str, Any]
) -> None:
    c, _ = staff_client("data_steward", "data_quality")
    r = c.post("/quality/duplicates/scan/")
    assert r.status_code == 302
    page = c.get("/quality/duplicates/").content.decode()
    assert "重复客户待审" in page and 'data-testid="pair-row"' in page
    pair = DuplicatePair.objects.get(
        left__in=[people["a"], people["b"]], right__in=[people["a"], people["b"]]
    )
    detail = c.get(f"/quality/duplicates/{pair.pk}/").content.decode()
    assert "相近" in detail and "合并" in detail
    # a nationality in words, never the code (issue #17: no raw codes in the Chinese UI)
    row = re.search(r'data-field="nationality">.*?<td class="val">([^<]*)</td>', detail, re.S)
    assert row is not None and row.group(1).strip() == "中国"
    assert "张三丰" not in detail and "張三豐" not in detail  # masked
    assert people["base"]["phone"] not in detail
    r = c.post(f"/quality/duplicates/{pair.pk}/", {"action": "dismiss"})
    assert r.status_code == 302
    pair.refresh_from_db()
    assert pair.state == "dismissed"


def test_console_refuses_other_roles(staff_client: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    assert c.get("/quality/duplicates/").status_code == 403
