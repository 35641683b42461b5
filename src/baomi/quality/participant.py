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

from .enums import QualityAction
from .services import duplicates


class _Bi:
    """A nav label in the active language (the console renders `str(label)`)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        from baomi.consent.i18n import bi

        return bi(self.zh, self.en)


def erase(ctx: EraseContext) -> Erasure:
    return Erasure(cleared=duplicates.erase(ctx.customer_id))


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
        ),
        urls=(("quality/", "baomi.quality.urls"),),
    )
)
