"""Portal reads: the outbox (console) and a data subject's own overview."""

from __future__ import annotations

from dataclasses import dataclass

from .models import OutboxMessage
from .senders import get_sender, outbox_code


@dataclass
class OutboxRow:
    message: OutboxMessage
    code: str | None  # only while valid, only when the outbox is the delivery channel


def outbox(limit: int = 100) -> list[OutboxRow]:
    reveal = getattr(get_sender(), "reveals_codes", False)
    rows = OutboxMessage.objects.order_by("-created_at", "-id")[:limit]
    return [OutboxRow(m, outbox_code(m.pk) if reveal else None) for m in rows]


def latest_code(destination_masked: str) -> str | None:
    """The newest valid code sent to a masked destination (tests, demos)."""
    m = (
        OutboxMessage.objects.filter(destination_masked=destination_masked)
        .order_by("-created_at", "-id")
        .first()
    )
    return outbox_code(m.pk) if m else None
