"""The consent ledger in the participant contract (issue #10): the gate's consent closer,
the consents section of the access copy, the import columns (decision 0007) and the R-B3
indicator."""

from __future__ import annotations

import uuid
from typing import Any

from baomi.catalog.enums import Purpose, Role
from baomi.contract.participants import (
    AccessCopySection,
    DemoStep,
    EraseContext,
    Erasure,
    Kept,
    NavEntry,
    Participant,
    ReadCloser,
    register,
)
from baomi.core.i18n import Bi
from baomi.core.sql import exists_naming

from . import demo, selectors
from .imports import CONSENT_COLUMNS
from .indicators import CONSENT_SHARE, NOTICE_UPDATED, NOTICE_VISIBILITY
from .models import ConsentEvent, ConsentState, NoticeAction
from .purposes import GATE_CONSENT


def closed_without_consent(purpose: Purpose, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """A consent-bound purpose (marketing) reads only customers who gave that consent."""
    if purpose not in GATE_CONSENT:
        return set()
    return set(ids) - selectors.consented(ids, purpose)


def consent_sql(purpose: Purpose) -> tuple[str, list[Any]] | None:
    """`closed_without_consent` inside the gate's one query per read (decision 0040)."""
    code = GATE_CONSENT.get(purpose)
    if code is None:
        return None
    given = exists_naming(ConsentState, "customer", ["purpose = %s", "given = %s"])
    return f"NOT {given}", [str(getattr(code, "value", code)), True]


def erase(ctx: EraseContext) -> Erasure:
    """The ledger holds codes and times only (no personal values) and is append-only: it
    is kept as evidence that consent was asked and given (PIPL art. 14, 15; burden of
    proof on the processor), and the certificate says so."""
    n = ConsentEvent.objects.filter(customer_id=ctx.customer_id).count()
    kept = [
        Kept(
            "consent_event",
            n,
            ("purpose", "given", "channel", "method", "notice", "at"),
            "《个人信息保护法》第十四、十五条：同意及撤回的证明（仅代码与时间，无个人信息）",
            "PIPL art. 14, 15: evidence of consent and withdrawal (codes and times only, no "
            "personal values)",
            "与审计日志同期",
            "as long as the audit log",
        )
    ]
    return Erasure(kept=kept if n else [])


def _consents(actor: Any, customer_id: uuid.UUID) -> dict[str, Any]:
    return {
        "current": [line.__dict__ for line in selectors.state_of(customer_id)],
        "history": selectors.history(customer_id),
    }


def _notice_version(actor: Any, customer_id: uuid.UUID) -> int:
    from .services import current_notice

    return current_notice().version


register(
    Participant(
        app="consent",
        closers=(ReadCloser("no_consent", closed_without_consent, sql=consent_sql),),
        eraser=erase,
        access_copy=(
            AccessCopySection("consents", "同意记录", "Consents", _consents, 40),
            AccessCopySection(
                "privacy_notice_version",
                "隐私政策版本",
                "Privacy notice version",
                _notice_version,
                90,
            ),
        ),
        intake=(CONSENT_COLUMNS,),
        indicators=(CONSENT_SHARE, NOTICE_VISIBILITY, NOTICE_UPDATED),
        actions=(NoticeAction,),
        nav=(
            NavEntry(
                "notice_platforms",
                Bi("隐私政策公示", "Notice platforms"),
                "nav-notice-platforms",
                frozenset({Role.PRIVACY_OFFICER}),
                96,
            ),
        ),
        urls=(("", "baomi.consent.urls"),),
        demo=(DemoStep(10, demo.run),),
    )
)
