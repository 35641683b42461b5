"""Shapes for the feedback pages: labels in the active language, never raw codes; times in
Asia/Shanghai (the configured zone)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone

from baomi.core.errors import BaomiError
from baomi.core.i18n import bi, half

from .enums import Channel, ItemState, Kind, MessageKind, PauseReason, State, Step, Topic
from .models import Ticket
from .services import tickets

ERRORS = {
    "ticket_unknown": ("没有这条反馈。", "No such ticket."),
    "transition_invalid": ("当前状态下不能这样处理。", "This move is not possible now."),
    "ticket_not_closed": ("反馈关闭后才能评价。", "A ticket is rated after it is closed."),
    "already_rated": ("您已评价过。", "Already rated."),
    "anonymous_ticket": ("匿名反馈无法评价。", "Anonymous feedback cannot be rated."),
    "team_unknown": ("没有这个客服班组。", "No such team."),
    "record_unknown": ("该客户没有这条记录。", "This customer has no such record."),
    "customer_unknown": ("没有这位客户。", "No such customer."),
    "subject_scope": ("只能提交自己的反馈。", "You can only file your own feedback."),
    "role_required": ("您的岗位不能办理此业务。", "Your role may not do this."),
    "link_invalid": (
        "此调查链接无效、已使用或已过期。",
        "This survey link is unknown, used or expired.",
    ),
    "rectification_closed": ("该整改项已关闭。", "This item is already closed."),
    "rectification_unknown": ("没有这个整改项。", "No such rectification item."),
    "erased": ("该客户的信息已删除。", "This customer's data was erased."),
}

BADGE = {
    "ok": "plain",
    "met": "plain",
    "near": "masked",
    "overdue": "withheld",
    "missed": "withheld",
}
BADGE_TEXT = {
    "ok": ("计时中", "on time"),
    "met": ("按时", "in time"),
    "near": ("即将到期", "near due"),
    "overdue": ("已逾期", "overdue"),
    "missed": ("超时", "late"),
}


def error_text(exc: BaomiError) -> str:
    zh, en = ERRORS.get(exc.code, ("操作未完成。", "The action did not complete."))
    return bi(zh, en)


def label(enum: Any, code: str) -> str:
    try:
        return half(enum(code).label)
    except ValueError:
        return code or "—"


def local(dt: Any) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else "—"


@dataclass
class Badge:
    css: str
    text: str
    due: str


def badge(c: Any) -> Badge:
    key = c.badge()
    zh, en = BADGE_TEXT[key]
    return Badge(BADGE[key], bi(zh, en), local(c.due_at))


def row(t: Ticket) -> dict[str, Any]:
    c = tickets.clocks(t)
    return {
        "t": t,
        "href": reverse("feedback:ticket", args=[t.pk]),
        "channel": label(Channel, t.channel),
        "kind": label(Kind, t.kind),
        "topic": label(Topic, t.topic),
        "state": label(State, t.state),
        "received": local(t.received_at),
        "first_response": badge(c.first_response),
        "resolution": badge(c.resolution),
        "escalate": c.escalate,
        "anonymous": t.customer_id is None,
    }


def choices(enum: Any) -> list[tuple[str, str]]:
    return [(e.value, half(e.label)) for e in enum]


def moves(t: Ticket) -> list[tuple[str, str]]:
    return [(s, label(State, s)) for s in State if s.value in tickets.MOVES[t.state]]


def pause_reasons() -> list[tuple[str, str]]:
    return choices(PauseReason)


def step_label(code: str) -> str:
    return label(Step, code)


def item_state(code: str) -> str:
    return label(ItemState, code)


def message_label(code: str) -> str:
    return label(MessageKind, code)


def customer_panel(request: Any, view: Any) -> dict[str, Any] | None:
    """The 360 page's tickets for the roles that see tickets (customer service: all of the
    customer's; the privacy officer: privacy ones) — codes, states and clocks, no text."""
    actor = request.user
    qs = tickets.visible(actor).filter(customer_id=view.id).order_by("-received_at")[:20]
    rows = [row(t) for t in qs]
    if not rows and getattr(actor, "role_code", "") not in ("customer_service", "privacy_officer"):
        return None
    return {"rows": rows}
