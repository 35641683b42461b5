"""Labels and layout for rights pages and the readable access copy (zh-Hans / English)."""

from __future__ import annotations

import json
from typing import Any

from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel, Purpose
from baomi.consent.models import ConsentMethod, ConsentPurpose
from baomi.contract import participants
from baomi.core.i18n import bi, half, is_zh

from .models import RequestKind, RequestState, Via

ENTITY_LABELS = {
    "customer": ("个人档案", "Profile"),
    "booking": ("旅行预订", "Bookings"),
    "stay": ("住宿记录", "Stays"),
    "shipment": ("运单", "Shipments"),
    "payment_method": ("支付方式", "Payment methods"),
}
ROLE_LABELS = {
    "front_desk": ("前台", "Front desk"),
    "finance": ("财务", "Finance"),
    "marketing": ("市场", "Marketing"),
    "customer_service": ("客服", "Customer service"),
    "courier": ("快递员", "Courier"),
    "privacy_officer": ("隐私官", "Privacy officer"),
    "security_admin": ("安全管理员", "Security admin"),
    "system_admin": ("系统管理员", "System admin"),
    "security_auditor": ("安全审计员", "Security auditor"),
    "data_subject": ("客户本人（自助服务）", "The customer (self-service)"),
    "system": ("系统", "System"),
}
ACTION_LABELS = {
    "customer.read": ("查阅", "read"),
    "customer.created": ("创建", "created"),
    "customer.updated": ("修改", "changed"),
    "customer.merged": ("合并", "merged"),
    "customer.imported": ("批量导入", "imported"),
    "customer.shredded": ("删除", "erased"),
    "customer.restricted": ("限制处理", "restricted"),
    "customer.restriction_lifted": ("解除限制", "restriction lifted"),
    "rights.access_copy": ("生成副本", "copy produced"),
    "consent.given": ("同意", "consent given"),
    "consent.withdrawn": ("撤回同意", "consent withdrawn"),
    "portal.signed_in": ("登录自助服务", "signed in to the portal"),
    "portal.signed_out": ("退出自助服务", "signed out of the portal"),
    "portal.code_sent": ("发送验证码", "code sent"),
    "access.denied": ("被拒绝的访问", "access refused"),
}


def label(enum: Any, code: object) -> str:
    try:
        return half(enum(code).label)
    except ValueError:
        return str(code)


def kind_label(code: str) -> str:
    return label(RequestKind, code)


MOVE_LABELS = {
    "verified": ("确认身份已核实", "Mark identity verified"),
    "in_progress": ("开始处理", "Start handling"),
    "completed": ("完成并执行", "Complete (carry out)"),
    "refused": ("拒绝", "Refuse"),
}


def move_label(code: str) -> str:
    zh, en = MOVE_LABELS.get(code, (code, code))
    return bi(zh, en)


def state_label(code: str) -> str:
    return label(RequestState, code) if code else bi("新建", "new")


def via_label(code: str) -> str:
    return label(Via, code)


def channel_label(code: str) -> str:
    return label(Channel, code)


def purpose_label(code: str) -> str:
    return label(Purpose, code) if code else "—"


def consent_label(code: str) -> str:
    return label(ConsentPurpose, code)


def method_label(code: str) -> str:
    return label(ConsentMethod, code)


def role_label(code: str) -> str:
    zh, en = ROLE_LABELS.get(code, (code, code))
    return bi(zh, en)


def action_label(code: str) -> str:
    zh, en = ACTION_LABELS.get(code, (code, code))
    return bi(zh, en)


def entity_label(entity: str) -> str:
    zh, en = ENTITY_LABELS.get(entity, (entity, entity))
    return bi(zh, en)


def field_label(entity: str, code: str) -> str:
    spec = catalog.BY_KEY.get(f"{entity}.{code}")
    if spec is None:
        return code
    return spec.label_zh if is_zh() else spec.label_en


def show(entity: str, code: str, value: Any) -> str:
    if value is None:
        return "—"
    if code == "preferences":
        data = value if isinstance(value, dict) else json.loads(str(value))
        parts = []
        for k, v in data.items():
            pk = catalog.PREFERENCES_BY_CODE.get(k)
            name = (pk.label_zh if is_zh() else pk.label_en) if pk else k
            parts.append(f"{name}: {', '.join(v) if isinstance(v, list) else v}")
        return "; ".join(parts) or "—"
    if code == "card":
        first6, _, last4 = str(value).partition("|")
        return f"{first6}******{last4}"
    return str(value)


def field_rows(entity: str, values: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(code, label, shown value) in catalogue order, for the fields present."""
    return [
        (f.code, field_label(entity, f.code), show(entity, f.code, values.get(f.code)))
        for f in catalog.fields_of(entity)
        if values.get(f.code) is not None
    ]


def copy_context(copy: dict[str, Any]) -> dict[str, Any]:
    """The access copy laid out for the readable HTML version."""
    records = []
    for entity, items in copy["records"].items():
        if items:
            records.append(
                {
                    "label": entity_label(entity),
                    "items": [
                        {"meta": r["meta"], "rows": field_rows(entity, r["fields"])} for r in items
                    ],
                }
            )
    consents = [
        {
            "label": consent_label(c["purpose"]),
            "given": c["given"],
            "refused": c.get("refused", False),
            "at": c["at"],
            "notice_version": c["notice_version"],
        }
        for c in copy["consents"]["current"]
    ]
    history = [
        {
            **h,
            "label": consent_label(h["purpose"]),
            "channel_label": channel_label(h["channel"]),
            "method_label": method_label(h["method"]),
            "by": bi("您本人", "you") if h["self_service"] else role_label(h["operator_role"]),
        }
        for h in copy["consents"]["history"]
    ]
    access = [
        {
            **a,
            "role_label": role_label(a["role"]),
            "purpose_label": purpose_label(a["purpose"]),
            "action_label": action_label(a["action"]),
        }
        for a in copy["access_log"]["by_role"]
    ]
    requests = [
        {
            **r,
            "kind_label": kind_label(r["kind"]),
            "state_label": state_label(r["state"]),
            "change_rows": field_rows("customer", r.get("changes") or {}),
        }
        for r in copy["requests"]
    ]
    sections = [  # other domains' sections with a readable form (participant contract)
        {"template": s.template, "section": copy[s.key]}
        for s in participants.access_copy_sections()
        if s.template and s.key in copy
    ]
    return {
        "sections": sections,
        "copy": copy,
        "profile": field_rows("customer", copy["profile"]),
        "records": records,
        "consents": consents,
        "consent_history": history,
        "access": access,
        "requests": requests,
        "lineage": [
            (field_label("customer", k), channel_label(v.get("channel", "")), v.get("at", ""))
            for k, v in copy["lineage"].items()
        ],
    }
