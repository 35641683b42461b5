"""One-time sign-in codes for the self-service portal and the outbox of messages sent.

Nothing here holds a code or an address in clear: the code is kept as an HMAC, the address
as an HMAC (for rate limiting) and masked for display (`138****5678`, `w***@example.com`).
"""

from __future__ import annotations

from django.db import models

from baomi.customers.models import Customer


class AddressKind(models.TextChoices):
    SMS = "sms", "短信 / SMS"
    EMAIL = "email", "电子邮件 / e-mail"


class Challenge(models.Model):
    """One code request. `customer` is empty when the address matched no single customer
    (the answer to the visitor is the same either way, and nothing is sent)."""

    id = models.BigAutoField(primary_key=True)
    token = models.CharField(max_length=48, unique=True)  # kept in the visitor's session
    kind = models.CharField(max_length=8, choices=AddressKind.choices)
    address_digest = models.CharField(max_length=64, db_index=True)
    ip_digest = models.CharField(max_length=64, db_index=True)
    destination_masked = models.CharField(max_length=80)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    code_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "portal_challenge"


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "待发送 / queued"
    SENT = "sent", "已发送 / sent"
    FAILED = "failed", "发送失败 / failed"


class OutboxMessage(models.Model):
    """Every message handed to a sender. With the default outbox sender this *is* the
    delivery: the console shows it (the code itself only from process memory, while valid)."""

    id = models.BigAutoField(primary_key=True)
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=AddressKind.choices)
    destination_masked = models.CharField(max_length=80)
    template = models.CharField(max_length=32, default="portal_code")
    sender = models.CharField(max_length=64)
    status = models.CharField(
        max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "portal_outbox"
