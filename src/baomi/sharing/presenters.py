"""Labels for the console: every code the sharing pages show becomes words in the active
language (zh-Hans by default) — partner kinds, standings, reasons, purposes, fields."""

from __future__ import annotations

from typing import Any

from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose, Role
from baomi.core.i18n import bi, half

from .models import (
    AuditResult,
    AuthorityType,
    CustomerNotice,
    DataLocation,
    Delivery,
    DisclosureState,
    Exclusion,
    LawfulState,
    NoticeCause,
    PartnerKind,
    Refusal,
    Severity,
    Standing,
    SuspensionReason,
    VoidReason,
)

_ENUMS: tuple[Any, ...] = (
    PartnerKind,
    DataLocation,
    Standing,
    SuspensionReason,
    AuditResult,
    Severity,
    DisclosureState,
    Refusal,
    Exclusion,
    VoidReason,
    NoticeCause,
    AuthorityType,
    LawfulState,
    CustomerNotice,
    Delivery,
)


def label(enum: Any, code: str) -> str:
    try:
        return half(enum(code).label)
    except ValueError:
        return bi("（未知）", "(unknown)")


def purpose(code: str) -> str:
    return label(Purpose, code)


def field(key: str) -> str:
    spec = catalog.BY_KEY.get(key)
    if spec is None:
        return key
    entity = {
        "customer": ("", ""),
        "booking": ("预订·", "Booking · "),
        "stay": ("入住·", "Stay · "),
        "shipment": ("运单·", "Shipment · "),
        "payment_method": ("支付·", "Payment · "),
    }.get(spec.entity, ("", ""))
    return bi(entity[0] + spec.label_zh, entity[1] + spec.label_en)


def fields(keys: list[str]) -> str:
    return bi("、", ", ").join(field(k) for k in keys)


def choices(enum: Any) -> list[tuple[str, str]]:
    return [(c.value, half(c.label)) for c in enum]


STANDING_BADGE = {
    Standing.ACTIVE: "plain",
    Standing.AGREEMENT_MISSING: "withheld",
    Standing.AGREEMENT_EXPIRED: "withheld",
    Standing.SUSPENDED: "withheld",
}

MESSAGES: dict[str, tuple[str, str]] = {
    "agreement_missing": (
        "该合作方没有已签署的有效协议，不能对外提供。",
        "The partner has no signed agreement in force: nothing may be disclosed.",
    ),
    "agreement_expired": (
        "该合作方的协议已到期，对外提供已自动暂停。请先续签协议。",
        "The partner's agreement has expired; disclosures are suspended until it is renewed.",
    ),
    "partner_suspended": (
        "对该合作方的提供已暂停（审计未通过或人工暂停）。",
        "Disclosures to this partner are suspended (failed audit or suspended by staff).",
    ),
    "field_out_of_scope": (
        "以下字段不在协议约定范围内：",
        "These fields are outside the agreement:",
    ),
    "purpose_out_of_scope": (
        "协议未约定该用途。",
        "The agreement does not cover this purpose.",
    ),
    "field_not_permitted": (
        "您的岗位在当前用途下不能看到以下字段的明文，因此也不能对外提供：",
        "Your role does not see these fields in plain under this purpose, so it cannot "
        "disclose them:",
    ),
    "purpose_forbidden": (
        "您的岗位不能使用该用途。",
        "Your role may not use this purpose.",
    ),
    "purpose_required": ("请先选择处理目的。", "Choose a purpose first."),
    "role_required": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "four_eyes": (
        "登记人和经办人不能审批本请求。",
        "Neither the requester nor the handler may approve this request.",
    ),
    "already_decided": ("该岗位已经审批过。", "This role has already decided."),
    "not_pending": ("该请求已不在待审批状态。", "The request is no longer awaiting approval."),
    "not_approved": ("尚未获得两项审批。", "Two approvals are needed first."),
    "window_closed": ("调取期限已过或请求已办结。", "The window is closed."),
    "not_handler": ("只有指定经办人可以查阅。", "Only the named handler may read the scope."),
    "partner_exists": ("已登记同名合作方。", "A partner with this name is registered."),
    "already_suspended": ("已处于暂停状态。", "Already suspended."),
    "not_suspended": ("未处于暂停状态。", "Not suspended."),
    "reaudit_required": (
        "审计未通过导致的暂停，须复审通过后才能恢复。",
        "A suspension for a failed audit is lifted by a passed re-audit.",
    ),
    "nothing_to_notify": ("无需通知该合作方。", "Nothing to tell this partner."),
    "notice_not_decided": ("当前决定为不告知客户。", "The decision is not to tell the customers."),
    "legal_hold": ("机关要求的暂不告知期限尚未届满。", "The legal hold has not lifted yet."),
    "package_gone": (
        "数据包已下载、过期或作废。",
        "The package was downloaded, expired or voided.",
    ),
    "package_voided": ("数据包已作废。", "The package was voided."),
    "closed": ("该请求已办结。", "The request is closed."),
    "not_found": ("未找到。", "Not found."),
}


def message(code: str, fallback: str) -> str:
    pair = MESSAGES.get(code)
    return bi(*pair) if pair else fallback


def half_role(code: str) -> str:
    return label(Role, code)
