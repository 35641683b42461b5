"""The partner register (R-G2): partners, agreements, yearly audits with findings, and the
automatic suspension of disclosures when an agreement lapses or an audit fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pyrage
from django.db import transaction

from baomi import audit
from baomi.core import clock
from baomi.core.errors import Conflict, NotFound

from ..enums import SharingAction
from ..models import (
    Agreement,
    AuditFinding,
    AuditResult,
    DataLocation,
    Partner,
    PartnerAudit,
    PartnerKind,
    Severity,
    SuspensionReason,
    VoidReason,
)
from . import common as c
from .disclosures import void_out_of_standing, void_pending

AUDIT_INTERVAL = dt.timedelta(days=365)


def _choice(value: object, choices: Any, field: str, zh: str) -> str:
    code = str(value or "").strip()
    if code not in choices.values:
        raise c.invalid(field, "choice_invalid", f"one of {', '.join(choices.values)}", zh)
    return code


def clean_public_key(value: object) -> str:
    """An age X25519 recipient (`age1…`), parsed by the age library itself."""
    key = str(value or "").strip()
    if not key:
        raise c.invalid("public_key", "required", "the partner's age public key", "须填写公钥")
    try:
        pyrage.x25519.Recipient.from_str(key)
    except Exception:
        raise c.invalid(
            "public_key",
            "public_key_invalid",
            "not an age X25519 public key (age1…)",
            "不是有效的 age 公钥（以 age1 开头）",
        ) from None
    return key


def clean_agreement(data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    signed = c.date(data.get("signed_on"), "agreement.signed_on")
    expires = c.date(data.get("expires_on"), "agreement.expires_on")
    assert signed is not None and expires is not None
    if expires <= signed:
        raise c.invalid(
            "agreement.expires_on",
            "term_invalid",
            "expires after it is signed",
            "到期日应晚于签署日",
        )
    if signed > today:
        raise c.invalid(
            "agreement.signed_on", "signed_in_future", "not signed yet", "签署日期不能晚于今天"
        )
    return {
        "document_ref": c.text(data.get("document_ref"), "agreement.document_ref", limit=100),
        "signed_on": signed,
        "expires_on": expires,
        "signatories": c.lines(data.get("signatories"), "agreement.signatories"),
        "purposes": c.purposes(data.get("purposes"), "agreement.purposes"),
        "fields": c.field_keys(data.get("fields"), "agreement.fields"),
        "obligations": c.lines(data.get("obligations"), "agreement.obligations", limit=40),
    }


@transaction.atomic
def register_partner(actor: Any, data: Mapping[str, Any]) -> Partner:
    """A partner with its signed agreement (an agreement is what makes a partner)."""
    c.require(actor, c.REGISTER_ROLES, "keep the partner register")
    name = c.text(data.get("name"), "name")
    kind = _choice(data.get("kind"), PartnerKind, "kind", "合作方类型无效")
    location = _choice(data.get("data_location"), DataLocation, "data_location", "数据存放地无效")
    assessment = c.text(data.get("assessment_ref"), "assessment_ref", required=False, limit=100)
    if location == DataLocation.CROSS_BORDER and not assessment:
        raise c.invalid(
            "assessment_ref",
            "assessment_required",
            "a cross-border partner needs the assessment / certification / standard-contract "
            "filing reference (PIPL art. 38)",
            "境外接收方须填写出境安全评估、认证或标准合同备案编号（个人信息保护法第三十八条）",
        )
    key = clean_public_key(data.get("public_key"))
    contact = c.text(data.get("incident_contact"), "incident_contact")
    agreement = data.get("agreement")
    if not isinstance(agreement, Mapping):
        raise c.invalid("agreement", "required", "the signed agreement", "须登记已签署的协议")
    terms = clean_agreement(agreement, c.today())
    if Partner.objects.filter(name=name).exists():
        raise Conflict("a partner with this name is registered", code="partner_exists")
    now = clock.now()
    partner = Partner.objects.create(
        name=name,
        kind=kind,
        data_location=location,
        assessment_ref=assessment,
        public_key=key,
        incident_contact=contact,
        created_at=now,
        created_by=actor,
    )
    audit.record(
        SharingAction.PARTNER_REGISTERED,
        actor,
        object_type="partner",
        object_id=partner.pk,
        detail={"kind": kind, "data_location": location},
    )
    _agreement(actor, partner, terms)
    return partner


def _agreement(actor: Any, partner: Partner, terms: dict[str, Any]) -> Agreement:
    agreement = Agreement.objects.create(
        partner=partner, created_at=clock.now(), created_by=actor, **terms
    )
    audit.record(
        SharingAction.AGREEMENT_RECORDED,
        actor,
        object_type="partner",
        object_id=partner.pk,
        detail={
            "agreement": agreement.pk,
            "signed_on": terms["signed_on"].isoformat(),
            "expires_on": terms["expires_on"].isoformat(),
            "purposes": terms["purposes"],
            "fields": terms["fields"],
        },
    )
    return agreement


_partner = c.get_partner  # one lookup for partners and disclosures (no import circle)


@transaction.atomic
def add_agreement(actor: Any, partner_id: object, data: Mapping[str, Any]) -> Agreement:
    """A renewed or amended agreement; from its signing day it is the one in force."""
    c.require(actor, c.REGISTER_ROLES, "keep the partner register")
    partner = _partner(partner_id, lock=True)
    return _agreement(actor, partner, clean_agreement(data, c.today()))


def _checklist(value: object, obligations: Sequence[str]) -> tuple[list[dict[str, Any]], bool]:
    """Every obligation of the agreement answered once: [{item, ok, note}]."""
    if not isinstance(value, list | tuple):
        raise c.invalid(
            "checklist", "list_required", "one answer per obligation", "应逐项填写检查结果"
        )
    answers: dict[str, dict[str, Any]] = {}
    for row in value:
        if not isinstance(row, Mapping):
            raise c.invalid("checklist", "item_invalid", "{item, ok, note}", "检查项格式无效")
        item = c.text(row.get("item"), "checklist.item")
        if item not in obligations:
            raise c.invalid(
                "checklist.item",
                "item_unknown",
                "not an obligation of the agreement",
                "不是协议约定的义务",
            )
        if not isinstance(row.get("ok"), bool):
            raise c.invalid("checklist.ok", "required", "true or false", "须填写是否符合")
        note = c.text(row.get("note"), "checklist.note", required=False, limit=c.MAX_TEXT)
        answers[item] = {"item": item, "ok": row["ok"], "note": note}
    missing = [o for o in obligations if o not in answers]
    if missing:
        raise c.invalid(
            "checklist",
            "items_missing",
            f"{len(missing)} obligation(s) not checked",
            f"还有 {len(missing)} 项义务未检查",
        )
    rows = [answers[o] for o in obligations]
    return rows, all(r["ok"] for r in rows)


def _findings(value: object) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise c.invalid("findings", "list_required", "a list", "应为列表")
    out = []
    for row in value:
        if not isinstance(row, Mapping):
            raise c.invalid(
                "findings", "finding_invalid", "{text, owner, due_on}", "整改项格式无效"
            )
        severity = str(row.get("severity") or Severity.MEDIUM)
        if severity not in Severity.values:
            raise c.invalid(
                "findings.severity", "choice_invalid", "low, medium or high", "等级无效"
            )
        out.append(
            {
                "text": c.text(row.get("text"), "findings.text", limit=c.MAX_TEXT),
                "owner": c.text(row.get("owner"), "findings.owner", limit=100),
                "due_on": c.date(row.get("due_on"), "findings.due_on"),
                "severity": severity,
            }
        )
    return out


@transaction.atomic
def record_audit(actor: Any, partner_id: object, data: Mapping[str, Any]) -> PartnerAudit:
    """The yearly audit against the obligations of the agreement in force. A failed audit
    suspends disclosures to the partner at once; a passed re-audit lifts that suspension."""
    c.require(actor, c.REGISTER_ROLES, "audit partners")
    partner = _partner(partner_id, lock=True)
    today = c.today()
    audited_on = c.date(data.get("audited_on") or today, "audited_on")
    assert audited_on is not None
    if audited_on > today:
        raise c.invalid("audited_on", "in_future", "not in the future", "审计日期不能晚于今天")
    from ..selectors import agreement_on

    agreement = agreement_on(partner, audited_on) or (
        partner.agreements.order_by("-signed_on", "-pk").first()
    )
    if agreement is None:
        raise Conflict("the partner has no agreement to audit against", code="agreement_missing")
    checklist, all_ok = _checklist(data.get("checklist"), agreement.obligations)
    findings = _findings(data.get("findings"))
    result = _choice(data.get("result"), AuditResult, "result", "审计结论无效")
    if result == AuditResult.PASSED and (not all_ok or findings):
        raise c.invalid(
            "result",
            "result_inconsistent",
            "an item failed or findings are open: passed_with_findings or failed",
            "有不符合项或整改项时，结论应为“有整改项通过”或“未通过”",
        )
    if result != AuditResult.PASSED and not findings:
        raise c.invalid(
            "findings",
            "findings_required",
            "record the findings with owners and due dates",
            "须登记整改项（责任人与期限）",
        )
    audit_row = PartnerAudit.objects.create(
        partner=partner,
        agreement=agreement,
        audited_on=audited_on,
        auditor=c.text(data.get("auditor"), "auditor"),
        checklist=checklist,
        result=result,
        next_due_on=audited_on + AUDIT_INTERVAL,
        created_at=clock.now(),
        created_by=actor,
    )
    for f in findings:
        AuditFinding.objects.create(audit=audit_row, **f)
    audit.record(
        SharingAction.PARTNER_AUDITED,
        actor,
        object_type="partner",
        object_id=partner.pk,
        detail={
            "audit": audit_row.pk,
            "result": result,
            "items": len(checklist),
            "failed_items": sum(1 for r in checklist if not r["ok"]),
            "findings": len(findings),
        },
    )
    if result == AuditResult.FAILED:
        _suspend(actor, partner, SuspensionReason.AUDIT_FAILED, audit_row.pk)
    elif partner.suspension_reason == SuspensionReason.AUDIT_FAILED:
        _reinstate(actor, partner, audit_row.pk)
    return audit_row


def _suspend(actor: Any, partner: Partner, reason: SuspensionReason, ref: object) -> None:
    partner.suspended_at = clock.now()
    partner.suspension_reason = reason
    partner.save(update_fields=["suspended_at", "suspension_reason"])
    audit.record(
        SharingAction.PARTNER_SUSPENDED,
        actor,
        object_type="partner",
        object_id=partner.pk,
        detail={"reason": reason.value, "ref": str(ref)},
    )
    void_pending(actor, partner_id=partner.pk, reason=VoidReason.PARTNER_OUT_OF_STANDING)


def _reinstate(actor: Any, partner: Partner, ref: object) -> None:
    was = partner.suspension_reason
    partner.suspended_at = None
    partner.suspension_reason = ""
    partner.save(update_fields=["suspended_at", "suspension_reason"])
    audit.record(
        SharingAction.PARTNER_REINSTATED,
        actor,
        object_type="partner",
        object_id=partner.pk,
        detail={"was": was, "ref": str(ref)},
    )


@transaction.atomic
def suspend(actor: Any, partner_id: object, note: str) -> Partner:
    c.require(actor, c.REGISTER_ROLES, "suspend partners")
    note = c.text(note, "note", limit=c.MAX_TEXT)
    partner = _partner(partner_id, lock=True)
    if partner.suspended_at is not None:
        raise Conflict("already suspended", code="already_suspended")
    _suspend(actor, partner, SuspensionReason.MANUAL, "manual")
    return partner


@transaction.atomic
def reinstate(actor: Any, partner_id: object, note: str) -> Partner:
    """Lift a manual suspension. An audit failure is lifted only by a passed re-audit."""
    c.require(actor, c.REGISTER_ROLES, "reinstate partners")
    c.text(note, "note", limit=c.MAX_TEXT)
    partner = _partner(partner_id, lock=True)
    if partner.suspended_at is None:
        raise Conflict("not suspended", code="not_suspended")
    if partner.suspension_reason == SuspensionReason.AUDIT_FAILED:
        raise Conflict("a failed audit is lifted by a passed re-audit", code="reaudit_required")
    _reinstate(actor, partner, "manual")
    return partner


@transaction.atomic
def close_finding(actor: Any, finding_id: object) -> AuditFinding:
    c.require(actor, c.REGISTER_ROLES, "close findings")
    finding = AuditFinding.objects.select_related("audit").filter(pk=int(str(finding_id))).first()
    if finding is None:
        raise NotFound("no such finding")
    if finding.closed_on is not None:
        raise Conflict("already closed", code="finding_closed")
    finding.closed_on = c.today()
    finding.save(update_fields=["closed_on"])
    audit.record(
        SharingAction.FINDING_CLOSED,
        actor,
        object_type="partner",
        object_id=finding.audit.partner_id,
        detail={"finding": finding.pk, "audit": finding.audit_id},
    )
    return finding


@transaction.atomic
def sweep(actor: Any = None) -> dict[str, int]:
    """Record the agreements that lapsed since the last sweep (standing is computed at
    every disclosure anyway, so nothing waits for this), and void the ready packages of
    partners no longer in good standing. Idempotent; `baomi sharing sweep` runs it."""
    from ..selectors import agreement_on

    today = c.today()
    lapsed = 0
    for agreement in Agreement.objects.select_related("partner").filter(
        expires_on__lt=today, expiry_recorded_at__isnull=True
    ):
        superseded = agreement_on(agreement.partner, today)
        agreement.expiry_recorded_at = clock.now()
        agreement.save(update_fields=["expiry_recorded_at"])
        if superseded is None:
            lapsed += 1
            audit.record(
                SharingAction.AGREEMENT_LAPSED,
                actor,
                object_type="partner",
                object_id=agreement.partner_id,
                detail={"agreement": agreement.pk, "expired_on": agreement.expires_on.isoformat()},
            )
    voided = void_out_of_standing(actor)
    return {"lapsed": lapsed, "voided": voided}
