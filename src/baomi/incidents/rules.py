"""Regulator reporting duties as data (R-H2). A `ReportingRule` row says: for incidents of
at least this grade, detected on/after this date, at an operator of this class, report to
this recipient within so many minutes. `sync_obligations` turns the rules that apply to a
case into `Obligation` rows — one per incident × rule — with the due time stored.

Shipped rules (migration 0002): the CAC's 国家网络安全事件报告管理办法 (in force
2025-11-01): incidents graded 较大 or above reported to the provincial CAC within 4 h by an
ordinary operator, within 1 h by a critical-information-infrastructure operator. Which class
baomi's operator is: `BAOMI_OPERATOR_CLASS` (ordinary | cii). Add a rule with
`baomi incidents rule-add` (audited) — no code change.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from baomi import audit
from baomi.core import clock
from baomi.core.errors import Conflict, NotFound

from .enums import SEVERITY_RANK, IncidentAction, ObligationStatus, OperatorClass, Severity
from .inputs import _choice, _text, invalid, pk
from .models import Incident, Obligation, ReportingRule

CAC_RULES: list[dict[str, Any]] = [
    {
        "code": "cac-2025-ordinary",
        "regime": "cac_2025",
        "name_zh": "国家网络安全事件报告管理办法（较大及以上，一般运营者）",
        "name_en": "CAC incident reporting measures (major or above, ordinary operator)",
        "recipient_zh": "省级网信部门",
        "recipient_en": "Provincial Cyberspace Administration",
        "min_severity": Severity.MEDIUM.value,
        "operator_class": OperatorClass.ORDINARY.value,
        "minutes": 240,
        "effective_from": date(2025, 11, 1),
        "basis": "国家网络安全事件报告管理办法（2025年11月1日起施行）",
    },
    {
        "code": "cac-2025-cii",
        "regime": "cac_2025",
        "name_zh": "国家网络安全事件报告管理办法（较大及以上，关键信息基础设施运营者）",
        "name_en": "CAC incident reporting measures (major or above, critical infrastructure)",
        "recipient_zh": "省级网信部门及保护工作部门",
        "recipient_en": "Provincial Cyberspace Administration and the sector protection body",
        "min_severity": Severity.MEDIUM.value,
        "operator_class": OperatorClass.CII.value,
        "minutes": 60,
        "effective_from": date(2025, 11, 1),
        "basis": "国家网络安全事件报告管理办法（2025年11月1日起施行）",
    },
]


def operator_class() -> str:
    return str(getattr(settings, "BAOMI_OPERATOR_CLASS", OperatorClass.ORDINARY.value))


def applies(rule: ReportingRule, inc: Incident) -> bool:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        rule.active
        and SEVERITY_RANK[Severity(inc.severity)] >= SEVERITY_RANK[Severity(rule.min_severity)]
        and rule.operator_class in (OperatorClass.ANY.value, operator_class())
        and inc.detected_at.astimezone(zone).date() >= rule.effective_from
    )


def due_at(rule: ReportingRule, inc: Incident) -> datetime:
    return inc.detected_at + timedelta(minutes=rule.minutes)


def sync_obligations(
    inc: Incident, now: datetime, *, actor: Any = None, why: str = ""
) -> list[str]:
    """Create the duties that apply and do not exist yet; a pending duty whose rule no
    longer applies (the case was re-graded) is decided not required, with the reason.
    Filed or decided duties are frozen. Returns the codes of the rules added."""
    existing = {o.rule_id: o for o in inc.obligations.select_related("rule")}
    added = []
    for rule in ReportingRule.objects.filter(active=True):
        ob = existing.get(rule.pk)
        if applies(rule, inc):
            if ob is None:
                Obligation.objects.create(
                    incident=inc,
                    rule=rule,
                    recipient_zh=rule.recipient_zh,
                    recipient_en=rule.recipient_en,
                    due_at=due_at(rule, inc),
                )
                added.append(rule.code)
        elif ob is not None and ob.status == ObligationStatus.PENDING:
            decide_not_required(ob, actor, f"rule no longer applies: {why}", now)
    return added


def decide_not_required(ob: Obligation, actor: Any, reason: str, now: datetime) -> None:
    ob.status = ObligationStatus.NOT_REQUIRED
    ob.reason = reason[:2000]
    ob.decided_at = now
    ob.decided_by_id = getattr(actor, "pk", None)
    ob.save(update_fields=["status", "reason", "decided_at", "decided_by_id"])
    audit.record(
        IncidentAction.OBLIGATION_DECIDED,
        actor,
        object_type="incident_obligation",
        object_id=ob.pk,
        detail={"status": ob.status, "incident": ob.incident_id},
    )


def get_obligation(obligation_id: object) -> Obligation:
    try:
        ob = (
            Obligation.objects.select_for_update()
            .select_related("rule")
            .filter(pk=pk(obligation_id))
            .first()
        )
    except ValueError:
        ob = None
    if ob is None:
        raise NotFound("no such reporting duty", code="obligation_not_found")
    return ob


@transaction.atomic
def add_rule(actor: Any, **fields: Any) -> ReportingRule:
    """A new reporting rule (configuration). It applies to cases opened or re-graded from now
    on; existing cases keep their duties."""
    code = _text(fields.get("code"), "code", 64, "规则代码")
    if ReportingRule.objects.filter(code=code).exists():
        raise Conflict("a rule with this code exists", code="rule_exists")
    try:
        minutes = int(fields.get("minutes") or 0)
    except (TypeError, ValueError):
        minutes = 0
    if minutes <= 0:
        raise invalid(
            "minutes", "invalid", "a positive number of minutes", "时限应为正整数（分钟）"
        )
    try:
        start = date.fromisoformat(str(fields.get("effective_from") or ""))
    except ValueError:
        raise invalid(
            "effective_from", "invalid_date", "expected YYYY-MM-DD", "生效日期应为 YYYY-MM-DD"
        ) from None
    rule = ReportingRule.objects.create(
        code=code,
        regime=_text(fields.get("regime"), "regime", 64, "制度"),
        name_zh=_text(fields.get("name_zh"), "name_zh", 200, "中文名称"),
        name_en=_text(fields.get("name_en"), "name_en", 200, "英文名称"),
        recipient_zh=_text(fields.get("recipient_zh"), "recipient_zh", 120, "报告对象"),
        recipient_en=_text(fields.get("recipient_en"), "recipient_en", 120, "报告对象（英文）"),
        min_severity=_choice(Severity, fields.get("min_severity"), "min_severity", "最低分级"),
        operator_class=_choice(
            OperatorClass, fields.get("operator_class") or "any", "operator_class", "运营者类别"
        ),
        minutes=minutes,
        effective_from=start,
        basis=_text(fields.get("basis"), "basis", 300, "依据", required=False),
    )
    audit.record(
        IncidentAction.RULE_CHANGED,
        actor,
        object_type="incident_reporting_rule",
        object_id=rule.pk,
        detail={"code": rule.code, "minutes": minutes, "at": clock.now().isoformat()},
    )
    return rule
