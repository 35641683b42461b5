"""The retention domain in the participant contract: its audit actions, the legal holds
placed by hand (a hold source every retention rule respects), the console entry and the
indicator "items past retention not yet destroyed" (target 0)."""

from __future__ import annotations

from baomi.catalog.enums import Role
from baomi.contract import kpis
from baomi.contract.participants import DemoStep, HoldSource, NavEntry, Participant, register
from baomi.core.i18n import Bi

from . import demo, services
from .enums import RetentionAction
from .models import RetentionRun


def _past_due(period: kpis.Period) -> kpis.Measurement:
    """What the latest run in the period left past its retention without a hold (a real
    run: what failed to go; a dry run: what would go), plus paper archives past due."""
    if not kpis.is_current(period):
        return kpis.Measurement(None, "not_current")
    last = (
        RetentionRun.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
        .order_by("-id")
        .first()
    )
    if last is None:
        return kpis.Measurement(None, "no_run")
    s = last.summary
    left = (
        int(s.get("destroyed", 0))
        if last.dry_run
        else (int(s.get("expired", 0)) - int(s.get("destroyed", 0)) - int(s.get("held", 0)))
    )
    paper = len(services.archives_past_due())
    return kpis.Measurement(
        float(left + paper),
        detail={"run": last.pk, "dry_run": last.dry_run, "records": left, "paper": paper},
    )


def _drill(period: kpis.Period) -> kpis.Drill:
    rows = [
        kpis.DrillRow(
            id=f"paper-{a.pk}",
            cells={"what": a.title, "until": a.retain_until.isoformat()},
            counts=False,
            href="/retention/",
        )
        for a in services.archives_past_due()
    ]
    return kpis.Drill(groups=[], rows=rows)


INDICATOR = kpis.Indicator(
    code="R-C8.past_retention",
    name_zh="超过保存期限未销毁的项目",
    name_en="Items past retention not yet destroyed",
    requirement="R-C8",
    target=0,
    direction=kpis.AT_MOST,
    unit="count",
    period=kpis.MONTH,
    compute=_past_due,
    drill=_drill,
    columns=(("what", "项目", "Item"), ("until", "保存至", "Kept until")),
    description_zh="最近一次保存期限执行（或试运行）后仍未销毁、且无法定保留的记录，加上已过保存期限的纸质档案。",
    description_en="Records the latest retention run (or dry run) left past their period "
    "without a legal hold, plus paper archives past their retention.",
    reasons=(
        ("not_current", "仅当期可算", "Only the current period has this figure"),
        ("no_run", "本期尚未执行保存期限检查", "No retention run in this period yet"),
    ),
)


def _nav_roles() -> frozenset[Role]:
    return frozenset({Role.PRIVACY_OFFICER, Role.DATA_STEWARD, Role.LEGAL})


register(
    Participant(
        app="retention",
        actions=(RetentionAction,),
        holds=(
            HoldSource(
                "manual", "人工设置的法定保留", "a legal hold placed by hand", services.held_by_hand
            ),
        ),
        nav=(
            NavEntry(
                "retention:home", Bi("保存与销毁", "Retention"), "nav-retention", _nav_roles(), 85
            ),
        ),
        urls=(("retention/", "baomi.retention.urls"),),
        indicators=(INDICATOR,),
        demo=(DemoStep(95, demo.run),),
    )
)
