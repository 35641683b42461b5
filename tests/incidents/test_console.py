"""The incidents console, zh-Hans by default, walked through a whole case (R-H2)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from baomi.access.enums import Role
from baomi.core import clock
from baomi.customers import gate
from baomi.incidents.models import Incident, Notice

SH = ZoneInfo("Asia/Shanghai")
RAW_CODES = (
    "unauthorised_access",
    "not_breach",
    "reported",
    "customer_notice",
    "pending",
    "plain",
    "masked",
    "zh-hans",
    "obligation",
)


def _visible(html: str) -> str:
    """Text a reader sees: no tags, attribute values, scripts or option values."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _local(dt: Any) -> str:
    return dt.astimezone(SH).strftime("%Y-%m-%dT%H:%M")


def test_a_case_from_start_to_notified_in_the_console(
    staff_client: Any, make_customer: Any, make_staff: Any
) -> None:
    people = [make_customer() for _ in range(2)]
    suspect = make_staff(Role.FRONT_DESK)
    for p in people:
        gate.access_customer(suspect, "reception", p.id, related=False)
    c, _ = staff_client("privacy_officer")
    detected = clock.now() - timedelta(hours=3)
    r = c.post(
        "/incidents/new/",
        {
            "title": "账号被盗用",
            "kind": "unauthorised_access",
            "severity": "medium",
            "detected_at": _local(detected),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    inc = Incident.objects.get()
    # typed in Beijing time, stored in UTC, to the minute
    assert abs((inc.detected_at - detected).total_seconds()) < 60
    page = c.get(f"/incidents/{inc.pk}/").content.decode()
    assert "初步处置（24 小时）" in page and "省级网信部门" in page
    assert (inc.detected_at + timedelta(hours=24)).astimezone(SH).strftime("%Y-%m-%d %H:%M") in page
    for code in RAW_CODES:
        assert code not in _visible(page), code
    act = f"/incidents/{inc.pk}/act/"
    for to in ("triaged", "contained"):
        assert c.post(act, {"op": "transition", "to": to}).status_code == 302
    win = (_local(clock.now() - timedelta(hours=1)), _local(clock.now() + timedelta(minutes=2)))
    c.post(
        act,
        {
            "op": "scope",
            "method": "account",
            "actor": suspect.username,
            "from": win[0],
            "to": win[1],
        },
    )
    assert inc.scopes.get().affected == 2
    c.post(
        act,
        {
            "op": "texts",
            "notice_what": "账号被盗用",
            "notice_measures": "已停用",
            "notice_advice": "警惕诈骗",
            "notice_contact": "400-000-0000",
        },
    )
    c.post(act, {"op": "prepare"})
    c.post(act, {"op": "send"})
    assert set(Notice.objects.values_list("status", flat=True)) == {"sent"}
    r = c.post(act, {"op": "transition", "to": "notified"}, follow=True)
    assert "状态已更新" in r.content.decode()
    inc.refresh_from_db()
    assert inc.state == "notified"
    n = Notice.objects.first()
    assert n is not None
    text = c.get(f"/incidents/notices/{n.pk}/").content.decode()
    assert "涉及您的信息" in text
    report = c.get(f"/incidents/{inc.pk}/report/regulator/").content.decode()
    assert "网络安全事件报告" in report and 'data-testid="report-affected">2<' in report
    for name in [p.id for p in people]:
        assert str(name) not in report  # counts and field names only


def test_errors_come_back_bilingual(staff_client: Any, open_case: Any) -> None:
    inc = open_case()
    c, _ = staff_client("privacy_officer")
    r = c.post(f"/incidents/{inc.pk}/act/", {"op": "transition", "to": "closed"}, follow=True)
    assert "当前状态不能执行这一步" in r.content.decode()
    r = c.post(
        "/incidents/new/", {"title": "", "kind": "other", "severity": "low", "detected_at": "bad"}
    )
    assert r.status_code == 422 and "请填写标题" in r.content.decode()


def test_pages_by_role(staff_client: Any, open_case: Any) -> None:
    inc = open_case()
    for role in ("privacy_officer", "security_admin", "security_auditor"):
        c, _ = staff_client(role)
        for url in (
            "/incidents/",
            f"/incidents/{inc.pk}/",
            "/incidents/plan/",
            "/incidents/drills/",
            "/incidents/assessments/",
            f"/incidents/{inc.pk}/report/management/",
        ):
            assert c.get(url).status_code == 200, (role, url)
    c, _ = staff_client("front_desk")
    assert c.get("/incidents/").status_code == 403
    assert c.get(f"/incidents/{inc.pk}/").status_code == 403
    assert c.get("/incidents/plan/").status_code == 200  # every staff member reads the plan


def test_storage_check_drill_and_plan_in_the_console(staff_client: Any) -> None:
    c, _ = staff_client("security_admin")
    r = c.post(
        "/incidents/assessments/", {"op": "storage", "m_backups_encrypted": "1"}, follow=True
    )
    page = r.content.decode()
    assert "存储安全检查已完成并记录" in page and "密钥文件权限" in page
    assert 'data-share="' in page and 'data-share=""' not in page
    r = c.post(
        "/incidents/drills/",
        {
            "held_on": "2026-01-15",
            "kind": "tabletop",
            "scenario": "客服误发邮件",
            "participants": "客服部，法务",
        },
        follow=True,
    )
    assert "演练已记录" in r.content.decode() and "客服部、法务" in r.content.decode()
    r = c.post(
        "/incidents/drills/",
        {"held_on": "", "kind": "tabletop", "scenario": "x", "participants": "a"},
        follow=True,
    )
    assert "日期格式应为" in r.content.decode()
    po, _ = staff_client("privacy_officer")
    r = po.post(
        "/incidents/plan/",
        {
            "op": "publish",
            "title": "应急预案",
            "body": "正文",
            **{
                f"dept_{s}": "信息安全部"
                for s in ("triage", "contain", "scope", "notify", "authorities", "review")
            },
            **{
                f"role_{s}": "security_admin"
                for s in ("triage", "contain", "scope", "notify", "authorities", "review")
            },
        },
        follow=True,
    )
    assert "新版本已发布" in r.content.decode()
    desk, _ = staff_client("front_desk")
    r = desk.post("/incidents/plan/", {"op": "ack", "version": "1"}, follow=True)
    assert "您已确认阅读此版本" in r.content.decode()
