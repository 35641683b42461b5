"""Demo of supervision (R-N1, issue #19), through `reports.inspections`: a privacy working
meeting earlier this half-year whose action (a finding with an owner and a due date) was
rectified by its owner and verified by the inspector before it fell due; and this
half-year's inspection, planned last (its checklist measures every indicator the demo has
just filled) and partly checked — one programme check failed with a finding still open."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from baomi.contract import kpis
from baomi.contract.participants import DemoContext
from baomi.core import clock

from . import inspections
from .models import Inspection


def run(ctx: DemoContext) -> None:
    now = clock.now()
    half = kpis.current_period(kpis.HALF, now)
    if Inspection.objects.filter(period=half.code).exists():
        return  # re-running the demo keeps the half-year's inspection
    officer, inspector = ctx.staff["privacy_officer"], ctx.staff["inspector"]
    manager = ctx.staff["manager"]
    held = now - min(timedelta(days=20), (now - half.start) / 2)
    due = timezone.localdate(held + (now - held) / 2)
    with ctx.at(held):
        m = inspections.record_meeting(
            officer,
            {
                "held_on": timezone.localdate(held).isoformat(),
                "title": "隐私工作例会",
                "attendees": [officer.username, inspector.username, manager.username],
                "decisions": "前台屏幕加装防窥膜；外发邮件增加收件人核对。"
                "front-desk screens; a recipient check on outgoing e-mail.",
            },
        )
        f = inspections.raise_finding(
            officer,
            meeting_id=m.pk,
            title="前台屏幕加装防窥膜",
            severity="medium",
            owner=manager.username,
            due_on=due.isoformat(),
        )
    with ctx.at(held + (now - held) / 4):
        inspections.move_finding(manager, f.pk, "rectified", "已为全部前台屏幕加装")
    with ctx.at(held + (now - held) / 3):
        inspections.move_finding(inspector, f.pk, "verified", "现场复查通过")
    insp = inspections.plan(inspector, period=half.code, scope="全部门店与系统")
    checks = {c.code: c for c in insp.checks.all()}
    inspections.record_check(
        inspector,
        checks["audit_verified"].pk,
        result="pass",
        evidence="审计日志完整性验证通过（baomi audit verify）",
    )
    inspections.record_check(
        inspector, checks["notice_published"].pk, result="pass", evidence="隐私政策公示登记簿"
    )
    failed = inspections.record_check(
        inspector,
        checks["paper_records"].pk,
        result="fail",
        evidence="外滩酒店（SH-BUND）档案柜未上锁",
    )
    inspections.raise_finding(
        inspector,
        inspection_id=insp.pk,
        check_id=failed.pk,
        title="档案柜上锁并登记钥匙",
        severity="low",
        owner=manager.username,
        due_on=(timezone.localdate(now) + timedelta(days=14)).isoformat(),
    )
