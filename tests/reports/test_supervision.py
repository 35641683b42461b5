"""Supervision and reports (issue #19; R-N1, R-N2, R-B2): an inspection from plan to
verified findings through the API, the owner's overdue banner, and the four reports as
files whose figures equal `GET /api/v1/kpis` for the same period."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from baomi.audit.models import AuditEvent
from baomi.core import clock
from baomi.reports.models import Finding, Inspection

pytestmark = pytest.mark.django_db


def _post(c: Any, h: dict[str, str], url: str, body: dict[str, Any]) -> Any:
    return c.post(url, body, content_type="application/json", headers=h)


def test_an_inspection_runs_from_plan_to_verified_findings(
    api_client: Any, make_staff: Any
) -> None:
    from baomi.contract import kpis

    half = kpis.current_period(kpis.HALF).code
    ins, ih = api_client("inspector")
    desk, dh = api_client("front_desk")
    assert _post(desk, dh, "/api/v1/inspections", {"period": half, "scope": "x"}).status_code == 403
    bad = _post(ins, ih, "/api/v1/inspections", {"period": "2026Q4", "scope": "全部门店"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "half_year"
    r = _post(ins, ih, "/api/v1/inspections", {"period": half, "scope": "全部门店与客服中心"})
    assert r.status_code == 201, r.content
    plan = r.json()
    codes = {c["code"] for c in plan["checks"]}
    assert {i.code for i in kpis.registered()} <= codes  # drawn from every indicator
    assert {"access_review", "audit_verified", "keys_rotated"} <= codes
    assert plan["tree_size"] > 0 and len(plan["root_hash"]) == 64
    again = _post(ins, ih, "/api/v1/inspections", {"period": half, "scope": "again"})
    assert again.status_code == 409
    iid = plan["id"]
    failing = next(c for c in plan["checks"] if c["code"] == "keys_rotated")
    no_evidence = _post(
        ins, ih, f"/api/v1/inspections/{iid}/checks/{failing['id']}", {"result": "fail"}
    )
    assert no_evidence.status_code == 422  # a failure needs its evidence
    r = _post(
        ins,
        ih,
        f"/api/v1/inspections/{iid}/checks/{failing['id']}",
        {"result": "fail", "evidence": "密钥自 2025-03 起未轮换（keys status）"},
    )
    assert r.status_code == 200
    owner = desk_owner = make_staff("security_admin")
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    r = _post(
        ins,
        ih,
        f"/api/v1/inspections/{iid}/findings",
        {
            "title": "数据密钥未按期轮换",
            "severity": "high",
            "owner": owner.username,
            "due_on": due,
            "check_id": failing["id"],
        },
    )
    assert r.status_code == 201, r.content
    fid = r.json()["id"]
    closing = _post(ins, ih, f"/api/v1/inspections/{iid}/close", {})
    assert closing.status_code == 409 and closing.json()["code"] == "checks_open"
    other = _post(desk, dh, f"/api/v1/findings/{fid}/transition", {"to": "rectified", "note": "x"})
    assert other.status_code == 403  # only the owner reports a rectification
    from baomi.reports import inspections as svc

    svc.move_finding(desk_owner, fid, "rectified", "已执行 baomi keys rotate，见审计事件")
    early = _post(ins, ih, f"/api/v1/findings/{fid}/transition", {"to": "rectified"})
    assert early.status_code == 409
    assert (
        _post(ins, ih, f"/api/v1/findings/{fid}/transition", {"to": "verified"}).json()["state"]
        == "verified"
    )
    for c in plan["checks"]:
        if c["id"] != failing["id"]:
            svc.record_check(
                Inspection.objects.get(pk=iid).lead, c["id"], result="pass", evidence=""
            )
    assert _post(ins, ih, f"/api/v1/inspections/{iid}/close", {}).json()["state"] == "closed"
    kp, kh = api_client("manager")
    board = kp.get(f"/api/v1/kpis?period={half}", headers=kh).json()
    rows = board if isinstance(board, list) else board.get("indicators", [])
    done = next(x for x in rows if x["code"] == "R-N1.inspections")
    assert done["value"] == 1 and done["met"] is True
    actions = set(
        AuditEvent.objects.filter(object_type__in=("inspection", "finding")).values_list(
            "action", flat=True
        )
    )
    assert {
        "inspection.planned",
        "inspection.checked",
        "finding.raised",
        "finding.moved",
        "inspection.closed",
    } <= actions


def test_an_owner_sees_overdue_findings_on_every_page(staff_client: Any, make_staff: Any) -> None:
    from baomi.reports import inspections as svc

    ins = make_staff("inspector")
    from baomi.contract import kpis

    insp = svc.plan(ins, period=kpis.current_period(kpis.HALF).code, scope="前台")
    c, owner = staff_client("front_desk")
    f = svc.raise_finding(
        ins,
        inspection_id=insp.pk,
        title="前台屏幕未设置自动锁屏",
        severity="medium",
        owner=owner.username,
        due_on=timezone.localdate() + timedelta(days=1),
    )
    assert 'data-testid="findings-overdue"' not in c.get("/supervision/").content.decode()
    Finding.objects.filter(pk=f.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    page = c.get("/supervision/").content.decode()
    assert 'data-testid="findings-overdue"' in page and "前台屏幕未设置自动锁屏" in page
    r = c.post(
        "/supervision/",
        {"op": "move", "finding": f.pk, "to": "rectified", "note": "已设置 5 分钟锁屏"},
    )
    assert r.status_code == 302
    assert Finding.objects.get(pk=f.pk).state == "rectified"


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    # pypdf reads fpdf2's two-byte CIDs with NULs between the characters (as in the label
    # test): drop them to get the text a reader copies out
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)
    return text.replace("\x00", "")


def test_reports_render_with_chinese_text_and_the_apis_figures(
    tmp_path: Path, api_client: Any, make_customer: Any
) -> None:
    from baomi.contract import kpis

    for _ in range(3):
        make_customer()
    quarter = kpis.current_period(kpis.QUARTER).code
    out = tmp_path / "m.pdf"
    buf = io.StringIO()
    call_command(
        "report",
        "--period",
        quarter,
        "--kind",
        "management",
        "--format",
        "pdf",
        "--out",
        str(out),
        stdout=buf,
    )
    printed = json.loads(buf.getvalue())
    body = out.read_bytes()
    assert body[:5] == b"%PDF-" and printed["sha256"] == hashlib.sha256(body).hexdigest()
    text = _pdf_text(out)
    assert "个人信息保护管理层报告" in text and quarter in text
    c, h = api_client("manager")
    board = c.get(f"/api/v1/kpis?period={quarter}", headers=h).json()
    rows = board if isinstance(board, list) else board.get("indicators", [])
    consent = next(x for x in rows if x["code"] == "consent.confirmed_share")
    shown = "—" if consent["value"] is None else f"{consent['value']:g}"
    assert shown in text
    ev = AuditEvent.objects.filter(action="report.generated").get()
    assert (
        ev.detail["sha256"] == printed["sha256"] and ev.detail["tree_size"] == printed["tree_size"]
    )
    for kind in ("quarterly", "inspection", "privacy"):
        f = tmp_path / f"{kind}.pdf"
        call_command(
            "report",
            "--period",
            quarter,
            "--kind",
            kind,
            "--format",
            "pdf",
            "--out",
            str(f),
            stdout=io.StringIO(),
        )
        assert _pdf_text(f).strip()
    assert "依法调取请求" in _pdf_text(tmp_path / "privacy.pdf")
    x = tmp_path / "m.xlsx"
    call_command(
        "report",
        "--period",
        quarter,
        "--kind",
        "management",
        "--format",
        "xlsx",
        "--out",
        str(x),
        stdout=io.StringIO(),
    )
    from openpyxl import load_workbook

    sheet = load_workbook(x).active
    assert sheet is not None and sheet["A1"].value == "个人信息保护管理层报告"
    with pytest.raises(CommandError):
        call_command(
            "report",
            "--period",
            "2026H2",
            "--kind",
            "quarterly",
            "--format",
            "pdf",
            "--out",
            str(tmp_path / "q.pdf"),
            stdout=io.StringIO(),
        )
    assert not (tmp_path / "q.pdf").exists()


def test_report_download_roles(api_client: Any) -> None:
    year = str(clock.now().year)
    c, h = api_client("manager")
    r = c.get(f"/api/v1/reports/privacy?period={year}&format=html", headers=h)
    assert r.status_code == 200 and "个人信息保护报告" in r.content.decode()
    assert r["X-Baomi-Report-Sha256"] == hashlib.sha256(r.content).hexdigest()
    d, dh = api_client("front_desk")
    assert d.get(f"/api/v1/reports/privacy?period={year}", headers=dh).status_code == 403
    bad = c.get("/api/v1/reports/gossip?period=2026", headers=h)
    assert bad.status_code == 422
