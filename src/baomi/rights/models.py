"""Data-subject requests, their transitions, restrictions and erasure tombstones (R-F1).

A `RightsRequest` is a state machine (received → verified → in_progress → completed /
refused) with one timestamp per state; every move is also a `RightsTransition` row
(append-only) and an audit event. The SLA clock is computed from `received_at` on the
mainland working-day calendar (rights.sla), never stored. Free text and proposed
corrections are personal, and so is what staff write about a request (a refusal reason, a
resolution, the reason for a move, why a restriction was lifted — "customer showed passport
E12345678"): all of it is sealed under the customer's data key (SealedField), opened only by
the gate (`open_attached*`), so erasing the customer shreds it too.
"""

from __future__ import annotations

from django.db import models

from baomi.catalog.enums import Channel
from baomi.customers.models import Customer
from baomi.vault.fields import SealedField


class RequestKind(models.TextChoices):
    ACCESS = "access", "查阅与复制 / access and copy"
    RECTIFY = "rectify", "更正 / rectification"
    ERASE = "erase", "删除 / erasure"
    RESTRICT = "restrict", "限制处理 / restriction"
    WITHDRAW_CONSENT = "withdraw_consent", "撤回同意 / withdraw consent"
    COMPLAINT = "complaint", "投诉 / complaint"


class RequestState(models.TextChoices):
    RECEIVED = "received", "已受理 / received"
    VERIFIED = "verified", "身份已核实 / identity verified"
    IN_PROGRESS = "in_progress", "处理中 / in progress"
    COMPLETED = "completed", "已完成 / completed"
    REFUSED = "refused", "已拒绝 / refused"


class Via(models.TextChoices):
    PORTAL = "portal", "自助服务 / portal"
    API = "api", "接口 / API"
    CONSOLE = "console", "员工录入 / staff console"


OPEN_STATES = (RequestState.RECEIVED, RequestState.VERIFIED, RequestState.IN_PROGRESS)
TERMINAL_STATES = (RequestState.COMPLETED, RequestState.REFUSED)


class RightsRequest(models.Model):
    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    state = models.CharField(
        max_length=16, choices=RequestState.choices, default=RequestState.RECEIVED
    )
    via = models.CharField(max_length=10, choices=Via.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    detail = SealedField()  # free text (complaint, explanation), sealed under the DEK
    changes = SealedField()  # rectify: proposed field values (JSON), sealed under the DEK
    consents = models.JSONField(default=list, blank=True)  # withdraw_consent: purpose codes
    received_at = models.DateTimeField(db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = SealedField()  # staff text (≤ 500 chars), sealed under the DEK
    resolution = SealedField()  # staff note on completion, sealed under the DEK
    outcome = models.JSONField(default=dict, blank=True)  # codes and counts, never values
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_by_role = models.CharField(max_length=32, blank=True)

    class Meta:
        db_table = "rights_request"
        indexes = [models.Index(fields=["state", "received_at"], name="rights_req_queue")]

    def __str__(self) -> str:
        return f"Rights request {self.pk} ({self.kind}, {self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def closed_at(self) -> object:
        return self.completed_at or self.refused_at


class RightsTransition(models.Model):
    """Append-only history of a request's moves (who by role and id, when, why).

    `reason` is sealed at insert (the table refuses UPDATE) and bound to `sealed_row` —
    request id and target state — because the row's own id does not exist before the
    insert; a request enters each state at most once, so the pair names one row."""

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey(RightsRequest, on_delete=models.PROTECT, related_name="moves")
    from_state = models.CharField(max_length=16, choices=RequestState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=RequestState.choices)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    reason = SealedField()  # staff text, sealed under the DEK (row: sealed_row)

    class Meta:
        db_table = "rights_transition"

    @property
    def sealed_row(self) -> str:
        return transition_row(self.request_id, self.to_state)


def transition_row(request_id: object, to_state: str) -> str:
    """The row id a transition's reason is sealed to (associated data): `<request>:<state>`."""
    return f"{request_id}:{to_state}"


class Restriction(models.Model):
    """Processing of a customer restricted (PIPL art. 44): only rights_request and
    legal_request may read it until lifted."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(
        RightsRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = SealedField()  # staff text, sealed under the DEK

    class Meta:
        db_table = "rights_restriction"
        indexes = [models.Index(fields=["customer", "lifted_at"], name="rights_restr_active")]


class Tombstone(models.Model):
    """What is left of an erased customer: id, time, legal basis and the erasure
    certificate (codes and counts only). Replayed by `baomi restore`."""

    id = models.BigAutoField(primary_key=True)
    customer_id = models.UUIDField(unique=True)
    erased_at = models.DateTimeField()
    basis = models.CharField(max_length=200)
    request_id = models.BigIntegerField(null=True, blank=True)
    certificate = models.JSONField(default=dict)

    class Meta:
        db_table = "rights_tombstone"

    def __str__(self) -> str:
        return f"Tombstone {self.customer_id}"
