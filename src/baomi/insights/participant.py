"""The insights app in the participant contract (issue #18): audit actions, the eraser
(the campaign outbox forgets the customer), indicators, the console pages and nav."""

from __future__ import annotations

from baomi.catalog.enums import Role
from baomi.contract.participants import EraseContext, Erasure, NavEntry, Participant, register
from baomi.core.i18n import bi

from . import indicators, services
from .enums import InsightsAction


class _Bi:
    """A nav label in the active language (the console renders `str(label)`)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return bi(self.zh, self.en)


def erase(ctx: EraseContext) -> Erasure:
    n = services.erase(ctx.customer_id)
    return Erasure(cleared={"insights_campaign_message": n} if n else {})


register(
    Participant(
        app="insights",
        actions=(InsightsAction,),
        eraser=erase,
        nav=(
            NavEntry(
                "insights:segments",
                _Bi("客户洞察", "Insights"),
                "nav-insights",
                frozenset({Role.MARKETING, Role.MANAGER}),
                70,
            ),
        ),
        urls=(("insights/", "baomi.insights.urls"),),
        indicators=indicators.INDICATORS,
    )
)
