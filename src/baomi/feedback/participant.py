"""The feedback app in the participant contract (issue #15): its sealed fields, audit
actions, eraser, access-copy section, customer-360 panel, console pages, nav entries and
indicators."""

from __future__ import annotations

import uuid
from typing import Any

from baomi.catalog import masking
from baomi.catalog.enums import FieldClass, Purpose, Role
from baomi.catalog.fields import FieldSpec
from baomi.contract.participants import (
    AccessCopySection,
    CustomerPanel,
    DemoStep,
    EraseContext,
    Erasure,
    NavEntry,
    Participant,
    RetentionRule,
    register,
)
from baomi.core.i18n import Bi

from . import demo, indicators
from .enums import Channel, FeedbackAction, Kind, State, Topic
from .models import SurveyResponse, Ticket
from .services import surveys, tickets

R_TICKET = "3 years after the ticket is closed, then destroyed (R-C5)"
_P = (Purpose.CUSTOMER_SERVICE, Purpose.RIGHTS_REQUEST)


def _text(entity: str, code: str, zh: str, en: str, purposes: Any = _P) -> FieldSpec:
    return FieldSpec(
        entity, code, zh, en, FieldClass.BASIC, "text", purposes, R_TICKET, masking.hidden
    )


FIELDS = (
    _text("feedback_ticket", "text", "反馈内容", "Feedback text"),
    _text("feedback_ticket", "response", "首次答复", "First response"),
    _text("feedback_ticket", "resolution", "处理结果", "Resolution"),
    _text(
        "feedback_survey_response",
        "comment",
        "调查留言",
        "Survey comment",
        (Purpose.RIGHTS_REQUEST,),
    ),
)
NON_PERSONAL = {
    "feedback_ticket": frozenset(
        {
            "id",
            "customer",
            "channel",
            "kind",
            "topic",
            "record_kind",
            "record_id",
            "site",
            "team",
            "assignee_id",
            "state",
            "received_at",
            "first_response_due",
            "resolution_due",
            "assigned_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "escalated_at",
            "rights_request_id",
            "rating",
            "rated_at",
            "created_by_id",
            "created_by_role",
        }
    ),
    "feedback_survey_response": frozenset(
        {
            "id",
            "survey",
            "invitation",
            "customer",
            "channel",
            "site",
            "topic",
            "scores",
            "overall",
            "submitted_at",
        }
    ),
}


def erase(ctx: EraseContext) -> Erasure:
    """Tickets lose their texts (also shredded with the customer's key), survey answers
    their comment and their link to the customer; outbox messages go."""
    return Erasure(cleared=tickets.erase(ctx.customer_id) | surveys.erase(ctx.customer_id))


def _copy(actor: Any, customer_id: uuid.UUID) -> Any:
    """The customer's tickets with their texts (opened by the gate, audited) and labels."""
    rows = list(Ticket.objects.select_related("team").filter(customer_id=customer_id))
    texts = tickets.open_texts(actor, rows)
    return [
        {
            "id": t.pk,
            "channel": t.channel,
            "channel_label": Channel(t.channel).label,
            "kind": t.kind,
            "kind_label": Kind(t.kind).label,
            "topic": t.topic,
            "topic_label": Topic(t.topic).label,
            "state": t.state,
            "state_label": State(t.state).label,
            "received_at": t.received_at.isoformat(),
            "rating": t.rating,
            **texts.get(t.pk, {}),
        }
        for t in rows
    ]


def _panel(request: Any, view: Any) -> dict[str, Any] | None:
    from .presenters import customer_panel

    return customer_panel(request, view)


HANDLERS = frozenset({Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER})
INTAKE_ONLY = frozenset({Role.FRONT_DESK})
QUALITY = frozenset({Role.MANAGER, Role.INSPECTOR, Role.CUSTOMER_SERVICE, Role.PRIVACY_OFFICER})

register(
    Participant(
        app="feedback",
        entity_labels={
            "feedback_ticket": ("意见与投诉", "Feedback and complaints"),
            "feedback_survey_response": ("满意度调查回答", "Survey answers"),
        },
        texts_zh={R_TICKET: "工单关闭后保存 3 年，期满销毁"},
        fields=FIELDS,
        non_personal=NON_PERSONAL,
        models={"feedback_ticket": Ticket, "feedback_survey_response": SurveyResponse},
        actions=(FeedbackAction,),
        eraser=erase,
        access_copy=(
            AccessCopySection(
                "feedback",
                "意见与投诉",
                "Feedback and complaints",
                _copy,
                80,
                template="feedback/_copy_section.html",
            ),
        ),
        panels=(CustomerPanel("feedback", "feedback/_panel.html", _panel, 30),),
        nav=(
            NavEntry("feedback:queue", Bi("客户反馈", "Feedback"), "nav-feedback", HANDLERS, 30),
            NavEntry(
                "feedback:new",
                Bi("登记反馈", "Record feedback"),
                "nav-feedback-new",
                INTAKE_ONLY,
                31,
            ),
            NavEntry(
                "feedback:standards",
                Bi("服务质量", "Service quality"),
                "nav-service-quality",
                QUALITY,
                32,
            ),
        ),
        urls=(("feedback/", "baomi.feedback.urls"),),
        indicators=indicators.INDICATORS,
        retention=(
            RetentionRule(
                "feedback_ticket",
                "closed",
                tickets.RETENTION_DAYS,
                "反馈内容保存至关闭后 3 年，随后销毁",
                "feedback texts kept 3 years after closing, then destroyed",
                tickets.expire,
            ),
        ),
        demo=(DemoStep(50, demo.run),),
    )
)
