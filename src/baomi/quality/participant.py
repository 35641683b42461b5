"""The quality app in the participant contract (issue #16): its audit actions, the read
closer of merged-away customers, the eraser, the steward's console pages and nav entry."""

from __future__ import annotations

from baomi.catalog.enums import Role
from baomi.contract.participants import (
    EraseContext,
    Erasure,
    NavEntry,
    Participant,
    ReadCloser,
    register,
)

from . import indicators
from .enums import QualityAction
from .services import duplicates, metrics


class _Bi:
    """A nav label in the active language (the console renders `str(label)`)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        from baomi.consent.i18n import bi

        return bi(self.zh, self.en)


def erase(ctx: EraseContext) -> Erasure:
    cleared = duplicates.erase(ctx.customer_id)
    facts = metrics.erase(ctx.customer_id)
    if facts:
        cleared["customer_facts"] = facts
    return Erasure(cleared=cleared)


register(
    Participant(
        app="quality",
        actions=(QualityAction,),
        closers=(
            ReadCloser(
                "merged_duplicate",
                duplicates.closes_merged,
                refuse_single=True,
                refusal_code="customer_merged",
                refusal_message="this customer record was merged into another one",
            ),
        ),
        eraser=erase,
        nav=(
            NavEntry(
                "quality:queue",
                _Bi("重复客户", "Duplicates"),
                "nav-duplicates",
                frozenset({Role.DATA_STEWARD}),
                80,
            ),
            NavEntry(
                "quality:metrics",
                _Bi("数据质量", "Data quality"),
                "nav-quality",
                frozenset({Role.DATA_STEWARD}),
                79,
            ),
        ),
        urls=(("quality/", "baomi.quality.urls"),),
        indicators=indicators.INDICATORS,
    )
)
