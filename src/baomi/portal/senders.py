"""Pluggable delivery of one-time codes (BAOMI_PORTAL_SENDER, a dotted class path).

* `OutboxSender` (default): the message is the outbox row the privacy officer's console
  shows; the code itself lives only in this process's memory until it expires — never in
  the database, a log or a file. For development, demos and tests.
* `SmtpSender`: e-mail through Django's mail settings (EMAIL_HOST …); SMS through the
  configured SMS sender.
* `SmsSender`: the interface an SMS gateway implements (`send_sms(number, text)`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import AddressKind, OutboxMessage


@dataclass(frozen=True)
class Message:
    outbox: OutboxMessage
    destination: str  # E.164 phone or e-mail, in memory only
    code: str
    expires_at: datetime

    def text(self, lang: str = "zh-hans") -> str:
        minutes = int((self.expires_at - self.outbox.created_at).total_seconds() // 60)
        if lang.startswith("zh"):
            return f"【baomi】您的验证码是 {self.code}，{minutes} 分钟内有效。请勿告诉他人。"
        return f"Your baomi code is {self.code}. It is valid for {minutes} minutes. Never share it."


class Sender(Protocol):
    name: str
    reveals_codes: bool  # the console may show the code (the outbox is the delivery)

    def deliver(self, message: Message) -> None: ...


_mailbox: dict[int, tuple[str, datetime]] = {}
_lock = threading.Lock()


class OutboxSender:
    name = "outbox"
    reveals_codes = True

    def deliver(self, message: Message) -> None:
        now = timezone.now()
        with _lock:
            for k in [k for k, (_, exp) in _mailbox.items() if exp <= now]:
                del _mailbox[k]
            _mailbox[message.outbox.pk] = (message.code, message.expires_at)


def outbox_code(message_id: int) -> str | None:
    """The code of an outbox message while it is valid (process memory; None otherwise)."""
    with _lock:
        item = _mailbox.get(message_id)
    if item is None or item[1] <= timezone.now():
        return None
    return item[0]


class SmsSender:
    """Subclass and implement `send_sms` for your SMS gateway."""

    name = "sms"
    reveals_codes = False

    def send_sms(self, number: str, text: str) -> None:
        raise NotImplementedError("configure an SMS gateway (BAOMI_PORTAL_SMS_SENDER)")

    def deliver(self, message: Message) -> None:
        self.send_sms(message.destination, message.text())


class SmtpSender:
    name = "smtp"
    reveals_codes = False

    def deliver(self, message: Message) -> None:
        if message.outbox.kind == AddressKind.EMAIL:
            from django.core.mail import send_mail

            send_mail(
                "baomi 验证码 / verification code",
                message.text("zh-hans") + "\n\n" + message.text("en"),
                getattr(settings, "DEFAULT_FROM_EMAIL", "noreply@localhost"),
                [message.destination],
            )
            return
        sms = import_string(
            getattr(settings, "BAOMI_PORTAL_SMS_SENDER", "baomi.portal.senders.SmsSender")
        )
        sms().deliver(message)


def get_sender() -> Sender:
    path = getattr(settings, "BAOMI_PORTAL_SENDER", "baomi.portal.senders.OutboxSender")
    sender: Sender = import_string(path)()
    return sender
