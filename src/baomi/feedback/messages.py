"""Delivery of the feedback outbox (`Message`): "your feedback was answered / resolved" and
survey invitations with their one-time link.

With the portal's default outbox sender (`BAOMI_PORTAL_SENDER`), the message row *is* the
delivery, as for incident notices: the console lists it, and a survey link lives only in
this process's memory until the link expires — never in the database, a log or a file
(the database keeps its HMAC). With a real sender (SMTP / SMS) the rows stay `queued` for
that sender; reading the customer's address for it goes through the gate (not wired yet:
docs/feedback.md, known limits)."""

from __future__ import annotations

import threading
from datetime import datetime

from baomi.core import clock as core_clock
from baomi.portal.senders import get_sender

from .enums import MessageKind, MessageStatus
from .models import Invitation, Message
from .services.surveys import Sent, digest

_links: dict[int, tuple[str, datetime]] = {}
_lock = threading.Lock()


def outbox_delivers() -> bool:
    return get_sender().name == "outbox"


def deliver_links(sent: Sent) -> int:
    """Hand the invitations just sent to the outbox (memory only) and mark them sent."""
    if not sent.invited or not outbox_delivers():
        return 0
    tokens = {digest(token): token for _, token in sent.invited}
    now = core_clock.now()
    rows = list(
        Message.objects.select_related("invitation").filter(
            kind=MessageKind.SURVEY,
            status=MessageStatus.QUEUED,
            invitation__token_digest__in=list(tokens),
        )
    )
    with _lock:
        for k in [k for k, (_, exp) in _links.items() if exp <= now]:
            del _links[k]
        for m in rows:
            inv: Invitation | None = m.invitation
            if inv is not None:
                _links[m.pk] = (tokens[inv.token_digest], inv.expires_at)
    Message.objects.filter(pk__in=[m.pk for m in rows]).update(
        status=MessageStatus.SENT, sent_at=now
    )
    return len(rows)


def link_token(message_id: int) -> str | None:
    """The one-time token of an outbox invitation while it is valid (process memory)."""
    with _lock:
        hit = _links.get(message_id)
    if hit is None or hit[1] <= core_clock.now():
        return None
    return hit[0]
