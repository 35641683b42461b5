"""Supervision in the participant contract: audit actions, console entries, the overdue-
findings banner on every page of a finding's owner, and the R-N1 indicators."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from baomi.catalog.enums import Role
from baomi.contract import kpis
from baomi.contract.participants import Banner, DemoStep, NavEntry, Participant, register
from baomi.core import clock
from baomi.core.i18n import Bi

from . import demo
from .enums import FindingState, InspectionState, ReportsAction
from .figures import overdue_for
from .models import Finding, Inspection


def _inspections(period: kpis.Period) -> kpis.Measurement:
    if period.granularity != kpis.HALF:
        return kpis.Measurement(None, "half_years_only")
    n = Inspection.objects.filter(period=period.code, state=InspectionState.CLOSED).count()
    return kpis.Measurement(float(n), numerator=n)


def _rectified(period: kpis.Period) -> kpis.Measurement:
    """Findings due in the period that were verified (re-checked) — by now."""
    due = Finding.objects.filter(
        due_on__gte=period.start.date(),
        due_on__lt=period.end.date(),
        due_on__lte=timezone.localdate(clock.now()),
    )
    done = due.filter(state=FindingState.VERIFIED).count()
    return kpis.share(done, due.count(), "no_findings_due")


def _inspections_drill(period: kpis.Period) -> kpis.Drill:
    rows = [
        kpis.DrillRow(
            id=str(i.pk),
            cells={"period": i.period, "scope": i.scope, "state": InspectionState(i.state).label},
            counts=i.state == InspectionState.CLOSED,
            href=f"/supervision/inspections/{i.pk}/",
        )
        for i in Inspection.objects.filter(period=period.code)
    ]
    return kpis.Drill(groups=[], rows=rows)


def _drill(period: kpis.Period) -> kpis.Drill:
    rows = [
        kpis.DrillRow(
            id=str(f.pk),
            cells={
                "title": f.title,
                "due": f.due_on.isoformat(),
                "state": FindingState(f.state).label,
            },
            counts=f.state == FindingState.VERIFIED,
            href="/supervision/#findings",
        )
        for f in Finding.objects.filter(
            due_on__gte=period.start.date(), due_on__lt=period.end.date()
        )
    ]
    return kpis.Drill(groups=[], rows=rows)


INDICATORS = (
    kpis.Indicator(
        code="R-N1.inspections",
        name_zh="半年度监督检查（已完成）",
        name_en="Half-yearly inspections completed",
        requirement="R-N1",
        target=1,
        direction=kpis.AT_LEAST,
        unit="count",
        period=kpis.HALF,
        compute=_inspections,
        drill=_inspections_drill,
        columns=(
            ("period", "半年度", "Half-year"),
            ("scope", "范围", "Scope"),
            ("state", "状态", "State"),
        ),
        reasons=(("half_years_only", "按半年度统计", "Counted per half-year"),),
    ),
    kpis.Indicator(
        code="R-N1.findings_rectified",
        name_zh="到期问题已整改并复查",
        name_en="Findings due that were rectified and re-checked",
        requirement="R-N1",
        target=100,
        direction=kpis.AT_LEAST,
        unit="%",
        period=kpis.HALF,
        compute=_rectified,
        drill=_drill,
        columns=(("title", "问题", "Finding"), ("due", "期限", "Due"), ("state", "状态", "State")),
        reasons=(("no_findings_due", "本期没有到期的问题", "No finding was due in the period"),),
    ),
)


def _banner(request: Any, role: str) -> dict[str, Any] | None:
    uid = getattr(request.user, "pk", None)
    n = overdue_for(uid) if uid is not None else 0
    return {"overdue": n} if n else None


STAFF = frozenset(Role)

register(
    Participant(
        app="reports",
        actions=(ReportsAction,),
        nav=(
            NavEntry(
                "reports:home",
                Bi("监督与报告", "Supervision"),
                "nav-supervision",
                frozenset({Role.INSPECTOR, Role.MANAGER, Role.PRIVACY_OFFICER}),
                95,
            ),
        ),
        banners=(Banner("findings_overdue", "reports/banner.html", STAFF, _banner),),
        urls=(("supervision/", "baomi.reports.urls"),),
        indicators=INDICATORS,
        demo=(DemoStep(99, demo.run),),
    )
)
