"""Demo of the incident programme (R-H1–R-H3, R-C6, R-D7, issue #19), through the domain's
own services only:

* the response plan published and acknowledged by the demo staff (the untrained newcomer
  has not read it yet — plan awareness is honest), a tabletop drill held this year, and a
  storage-security assessment (baomi's automatic checks plus the manual ones);
* two cases from last year — handled and closed, no customer notice needed — so this
  year's figure has a year to compare with;
* one case this quarter: an e-mail with three guests' names and phone numbers sent to the
  wrong address. Triaged and contained within hours, scoped from the imported list,
  the customers notified (sealed notices through the sender) well within 72 h, closed.

Past times go through the services' own clock (`DemoContext.at`), never edited later."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from baomi.contract import kpis
from baomi.contract.participants import DemoContext
from baomi.core import clock

from . import notices, programme, scoping, services
from .enums import ScopeMethod, State
from .inputs import local_zone
from .models import Incident

PLAN_BODY = (
    "发现 → 24 小时内研判 → 控制 → 72 小时内通知受影响客户 → 按规定向主管部门报告 → 结案复盘。"
)
LAST_YEAR = (
    ("loss_theft", "遗失一台未登录的收银平板", 200),
    ("unauthorised_access", "离职员工账号未及时停用", 100),
)


def _close_without_notice(ctx: DemoContext, kind: str, title: str, detected: datetime) -> None:
    officer, admin = ctx.staff["privacy_officer"], ctx.staff["security_admin"]
    with ctx.at(detected + timedelta(hours=1)):
        inc = services.open_incident(
            admin, title=title, kind=kind, severity="low", detected_at=detected.isoformat()
        )
    with ctx.at(detected + timedelta(hours=4)):
        services.transition(admin, inc.pk, State.TRIAGED, "已研判")
    with ctx.at(detected + timedelta(hours=8)):
        services.add_containment(admin, inc.pk, "停用设备与账号", "信息安全部")
        services.transition(admin, inc.pk, State.CONTAINED, "已控制")
    with ctx.at(detected + timedelta(hours=20)):
        services.decide_notice(
            officer,
            inc.pk,
            "not_required",
            "数据加密且密钥未泄露，无客户受影响",
        )
    with ctx.at(detected + timedelta(days=3)):
        services.transition(officer, inc.pk, State.CLOSED, "已复盘")


def _this_quarter(ctx: DemoContext, rng: random.Random, now: datetime, start: datetime) -> None:
    officer = ctx.staff["privacy_officer"]
    detected = now - min(timedelta(days=10), (now - start) / 2)
    span = min(timedelta(hours=30), (now - detected) * 0.9)

    def at(hours: float) -> datetime:  # hours into a 30-hour handling, squeezed if needed
        return detected + span * (hours / 30)

    with ctx.at(at(1)):
        inc = services.open_incident(
            officer,
            title="宾客名单误发至外部邮箱",
            kind="disclosure_mistake",
            severity="low",
            detected_at=detected.isoformat(),
            summary="前台将三位宾客的姓名和电话误发给外部地址，对方已确认删除。",
        )
    with ctx.at(at(3)):
        services.transition(officer, inc.pk, State.TRIAGED, "确认为误发")
    with ctx.at(at(4)):
        services.add_containment(officer, inc.pk, "收件人书面确认删除", "前厅部")
        services.transition(officer, inc.pk, State.CONTAINED, "已控制")
    who = rng.sample(list(ctx.customer_ids), min(3, len(ctx.customer_ids)))
    with ctx.at(at(5)):
        scoping.scope_incident(
            officer, inc.pk, ScopeMethod.IMPORT, scoping.import_params(who, ["name", "phone"])
        )
    with ctx.at(at(6)):
        services.set_notice_texts(
            officer,
            inc.pk,
            notice_what="您的姓名和电话被误发至一个外部邮箱。 / Your name and phone number "
            "were e-mailed to a wrong address.",
            notice_measures="收件人已确认删除，我们已加强邮件外发审核。 / The recipient confirmed "
            "deletion; outgoing e-mail is now checked.",
            notice_advice="请留意陌生来电。 / Please be wary of unexpected calls.",
            notice_contact="隐私官 400-000-0000 / privacy officer 400-000-0000",
        )
        services.decide_notice(officer, inc.pk, "required")
    with ctx.at(at(20)):
        notices.prepare(officer, inc.pk)
        notices.send(officer, inc.pk)
    with ctx.at(at(21)):
        services.transition(officer, inc.pk, State.NOTIFIED, "已通知")
    with ctx.at(at(30)):
        services.transition(officer, inc.pk, State.CLOSED, "已复盘")


def run(ctx: DemoContext) -> None:
    if Incident.objects.filter(drill=False).exists() or len(ctx.customer_ids) < 3:
        return  # re-running the demo keeps the cases
    rng = random.Random(ctx.seed + 13)
    now = clock.now()
    year = kpis.current_period(kpis.YEAR, now)
    quarter = kpis.current_period(kpis.QUARTER, now)
    for kind, title, days in LAST_YEAR:
        _close_without_notice(ctx, kind, title, year.start - timedelta(days=days))
    officer = ctx.staff["privacy_officer"]
    planned = max(year.start, quarter.start - timedelta(days=30), now - timedelta(days=90))
    with ctx.at(planned):
        programme.publish_plan(
            officer, title="个人信息安全事件应急预案 / Incident response plan", body=PLAN_BODY
        )
    for n, (_role, staff) in enumerate(sorted(ctx.staff.items())):
        with ctx.at(planned + (now - planned) * (n + 1) / (len(ctx.staff) + 2)):
            programme.acknowledge_plan(staff)
    drill_day = (planned + (now - planned) / 2).astimezone(local_zone()).date()
    programme.record_drill(
        officer,
        held_on=drill_day,
        kind="tabletop",
        scenario="合作方报告数据泄露，按预案研判与通知",
        participants=["隐私官", "信息安全部", "前厅部", "客服中心"],
        initial_handling_minutes=95,
        notice_minutes=1500,
        lessons="通知模板需要英文版本",
    )
    _this_quarter(ctx, rng, now, quarter.start)
    programme.storage_assessment(
        ctx.staff["security_admin"],
        manual={
            "backups_encrypted": True,
            "backup_restore_tested": True,
            "keys_stored_offline": True,
            "media_disposal": True,
            "server_room_access": True,
        },
    )
