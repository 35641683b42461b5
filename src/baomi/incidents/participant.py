"""The incidents domain in the participant contract (issue #10): the sealed notice text in
the catalogue, its eraser and access-copy section, audit actions, console nav entries and
the overdue / near-due banner for the people on the response plan, the notice retention
rule and the eight indicators of issue #13 §6. The core names no part of this app."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from baomi.catalog import masking
from baomi.catalog.enums import FieldClass, Purpose, Role
from baomi.catalog.fields import FieldSpec
from baomi.contract import kpis
from baomi.contract.participants import (
    AccessCopySection,
    Banner,
    DemoStep,
    EraseContext,
    Erasure,
    HoldSource,
    Kept,
    NavEntry,
    Participant,
    RetentionRule,
    register,
)
from baomi.core.i18n import Bi

from . import demo, indicators, notices, selectors, texts
from .enums import IncidentAction, State
from .models import Notice, ScopeMember

R_CASE = "3 years after the case is closed (evidence of breach handling), then destroyed"
R_NOTICE = "3 years after the case is closed (evidence of notification, R-H2), then destroyed"
CASE_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.SECURITY_ADMIN, Role.SECURITY_AUDITOR})

FIELDS = (
    # the breach notice names the customer and which of their data was involved: sealed
    # under the customer's data key (vault.seal_for), opened only by the gate
    FieldSpec(
        "incident_notice",
        "body",
        "安全事件告知内容",
        "Breach notice text",
        FieldClass.SENSITIVE,
        "text",
        (Purpose.INVESTIGATION,),
        R_NOTICE,
        masking.hidden,
        method="generated",
    ),
    # staff-written case texts may name colleagues or customers: sealed under the case's
    # own key (vault.seal_case), opened by the gate for the case roles (decision 0034)
    *(
        FieldSpec(
            entity,
            code,
            zh,
            en,
            FieldClass.SENSITIVE,
            "text",
            (Purpose.INVESTIGATION,),
            R_CASE,
            masking.hidden,
            method="form",
        )
        for entity, code, zh, en in (
            ("incident", "summary", "事件概述", "Incident summary"),
            ("incident_transition", "note", "状态变更说明", "Note on a state change"),
            ("incident_authority", "note", "联系监管机关备注", "Note on an authority contact"),
            ("incident_whistle", "summary", "举报标题", "Whistle-blowing report title"),
            ("incident_whistle", "text", "举报内容", "Whistle-blowing report text"),
        )
    ),
)
_INCIDENT_COLUMNS = (
    "id title kind severity source drill alert whistle partner state detected_at reported_at "
    "triaged_at contained_at notified_at closed_at dismissed_at plan owners notice_decision "
    "notice_reason notice_decided_at notice_what notice_measures notice_advice notice_contact "
    "created_by_id created_by_role"
)
NON_PERSONAL = {
    # the case's labels, codes and times, and the notice template texts (about the incident,
    # shown to every affected customer): no customer values
    "incident": frozenset(_INCIDENT_COLUMNS.split()),
    "incident_transition": frozenset(
        {"id", "incident", "from_state", "to_state", "at", "actor_id", "actor_role"}
    ),
    "incident_authority": frozenset(
        {"id", "incident", "kind", "authority", "contact", "reference", "at", "created_by_id"}
    ),
    "incident_whistle": frozenset(
        {"id", "anonymous", "reporter_id", "received_on", "state", "reviewed_at", "reviewed_by_id"}
    ),
    "incident_notice": frozenset(
        {
            "id",
            "incident",
            "customer",
            "lang",
            "channel",
            "destination_masked",
            "status",
            "prepared_at",
            "sent_at",
        }
    ),
}


def erase(ctx: EraseContext) -> Erasure:
    cleared = notices.erase_customer(ctx.customer_id)
    kept_n = ScopeMember.objects.filter(customer_id=ctx.customer_id).count()
    kept = (
        [
            Kept(
                "incident_scope_member",
                kept_n,
                ("customer", "fields", "events", "first_seq", "last_seq"),
                "《个人信息保护法》第五十七条：安全事件处置的证明（仅客户编号与字段名称，无个人信息）",
                "PIPL art. 57: evidence of breach handling (customer id and field names only, no "
                "personal values)",
                "与审计日志同期",
                "as long as the audit log",
            )
        ]
        if kept_n
        else []
    )
    return Erasure(cleared={"incident_notice": cleared} if cleared else {}, kept=kept)


def _copy(actor: Any, customer_id: uuid.UUID) -> Any:
    return notices.copy_for(actor, customer_id)


def _banner(request: Any, role: str) -> dict[str, Any] | None:
    match = getattr(request, "resolver_match", None)
    if match is not None and (match.namespace, match.url_name) == ("incidents", "dashboard"):
        return None  # the register shows the same counts
    return selectors.banner(role)


def _in_open_cases(ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Customers in the affected set of an incident still open: their data is evidence."""
    return set(
        ScopeMember.objects.filter(customer_id__in=ids)
        .exclude(scope__incident__state__in=(State.CLOSED, State.NOT_BREACH))
        .values_list("customer_id", flat=True)
    )


def _expire(now: datetime, dry_run: bool) -> int:
    return notices.expire(now, dry_run)


def _indicator(ind: indicators.Indicator) -> kpis.Indicator:
    def compute(period: kpis.Period) -> kpis.Measurement:
        f = ind.compute(period.start, period.end)
        return kpis.Measurement(f.value, f.reason or None, f.numerator, f.denominator)

    def drill(period: kpis.Period) -> kpis.Drill:
        f = ind.compute(period.start, period.end)
        cells = indicators.describe(ind.code, [pk for pk, _ in f.rows])
        rows = [
            kpis.DrillRow(
                id=str(pk),
                cells=cells.get(pk, ({}, ""))[0],
                counts=ok,
                href=cells.get(pk, ({}, ""))[1],
            )
            for pk, ok in f.rows
        ]
        met = sum(1 for _, ok in f.rows if ok)
        groups = [{"group": "all", "label": "全部 / all", "total": len(rows), "counted": met}]
        return kpis.Drill(groups=groups if rows else [], rows=rows)

    granularity = {"quarter": kpis.QUARTER, "year": kpis.YEAR}.get(ind.period, kpis.YEAR)
    return kpis.Indicator(
        code=ind.code,
        name_zh=ind.name_zh,
        name_en=ind.name_en,
        requirement=ind.requirement,
        target=ind.target,
        direction=kpis.AT_LEAST if ind.direction == ">=" else kpis.AT_MOST,
        unit=ind.unit,
        period=granularity,
        compute=compute,
        drill=drill,
        columns=indicators.COLUMNS,
        reasons=indicators.REASONS,
    )


register(
    Participant(
        app="incidents",
        entity_labels={
            "incident": ("安全事件", "Security incidents"),
            "incident_transition": ("事件处理记录", "Incident handling notes"),
            "incident_authority": ("与监管机关的联系", "Contacts with the authorities"),
            "incident_whistle": ("内部举报", "Whistle-blowing reports"),
            "incident_notice": ("安全事件告知", "Breach notices"),
        },
        texts_zh={
            R_CASE: "结案后保存 3 年（事件处置凭证），期满销毁",
            R_NOTICE: "结案后保存 3 年（告知凭证），期满销毁",
        },
        fields=FIELDS,
        non_personal=NON_PERSONAL,
        models={"incident_notice": Notice},
        eraser=erase,
        access_copy=(
            AccessCopySection("incident_notices", "安全事件告知", "Breach notices", _copy, 70),
        ),
        actions=(IncidentAction,),
        nav=(
            NavEntry(
                "incidents:dashboard",
                Bi("事件应急", "Incidents"),
                "nav-incidents",
                CASE_ROLES,
                90,
            ),
        ),
        banners=(Banner("incidents_due", "incidents/banner_due.html", frozenset(Role), _banner),),
        urls=(("incidents/", "baomi.incidents.urls"),),
        retention=(
            RetentionRule(
                "incident_notice",
                "closed",
                notices.RETENTION_DAYS,
                "通知证明保存至结案后 3 年",
                "notice evidence kept 3 years after closing",
                _expire,
            ),
            RetentionRule(
                "incident",
                "closed",
                texts.RETENTION_DAYS,
                "事件与举报的文字记录保存至结案后 3 年，随后销毁（销毁密钥）",
                "case and whistle-blowing texts kept 3 years after settling, then destroyed "
                "(key shredded)",
                texts.expire,
            ),
        ),
        indicators=tuple(_indicator(i) for i in indicators.INDICATORS),
        holds=(
            HoldSource(
                "incident",
                "未结安全事件的影响范围",
                "in the scope of an open incident",
                _in_open_cases,
            ),
        ),
        demo=(DemoStep(60, demo.run),),
    )
)
