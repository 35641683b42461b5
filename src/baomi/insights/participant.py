"""The insights app in the participant contract (issue #18): audit actions, the eraser
(the campaign outbox forgets the customer), indicators, the console pages and nav."""

from __future__ import annotations

import uuid
from typing import Any

from baomi.catalog.enums import Role
from baomi.contract.participants import (
    AccessCopySection,
    DemoStep,
    EraseContext,
    Erasure,
    NavEntry,
    Participant,
    register,
)
from baomi.core.i18n import Bi

from . import demo, indicators, services
from .enums import InsightsAction
from .models import CampaignMessage


def erase(ctx: EraseContext) -> Erasure:
    n = services.erase(ctx.customer_id)
    return Erasure(cleared={"insights_campaign_message": n} if n else {})


def access_copy(actor: Any, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """The marketing messages sent to the customer (campaign, channel, text, when). No
    segment membership is kept, so none can be listed: each send resolved it anew."""
    rows = CampaignMessage.objects.select_related("campaign").filter(customer_id=customer_id)
    return [
        {
            "campaign": m.campaign.name,
            "channel": m.channel,
            "message": m.campaign.template_zh,
            "message_en": m.campaign.template_en,
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "status": m.status,
        }
        for m in rows
    ]


register(
    Participant(
        app="insights",
        actions=(InsightsAction,),
        eraser=erase,
        access_copy=(
            AccessCopySection(
                "marketing_messages", "营销消息", "Marketing messages", access_copy, 85
            ),
        ),
        nav=(
            NavEntry(
                "insights:segments",
                Bi("客户洞察", "Insights"),
                "nav-insights",
                frozenset({Role.MARKETING, Role.MANAGER}),
                70,
            ),
        ),
        urls=(("insights/", "baomi.insights.urls"),),
        indicators=indicators.INDICATORS,
        demo=(DemoStep(80, demo.run),),
    )
)
