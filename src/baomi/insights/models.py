"""Insights (issue #18). Runs, segment sizes and campaign results are counts; the campaign
outbox (`CampaignMessage`) holds ids and codes only — never a contact detail or a text
about a customer. No row holds a pseudonym: the per-run key dies with the run."""

from __future__ import annotations

import uuid

from django.db import models

from .enums import CampaignChannel, CampaignState, MessageStatus, SegmentKind


class InsightRun(models.Model):
    """One segment run: who was considered and why some were left out (counts only)."""

    id = models.BigAutoField(primary_key=True)
    period = models.CharField(max_length=7, db_index=True)  # month code, Asia/Shanghai
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField()
    k = models.PositiveIntegerField()
    considered = models.PositiveIntegerField()  # live customers
    profiling = models.PositiveIntegerField()  # of them with current profiling consent
    analysed = models.PositiveIntegerField()  # of those, read through the gate
    segmented = models.PositiveIntegerField()  # of those, in at least one segment
    rfm = models.JSONField(default=dict)  # industry → score cell → count
    run_by_role = models.CharField(max_length=32)

    class Meta:
        db_table = "insights_run"
        ordering = ["-started_at", "-id"]


class SegmentSize(models.Model):
    """The size of one segment (at its definition version) in one run. `suppressed` says
    why the size is not shown to aggregate viewers (blank: shown)."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(InsightRun, on_delete=models.CASCADE, related_name="sizes")
    code = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=SegmentKind.choices)
    industry = models.CharField(max_length=12, blank=True)
    size = models.PositiveIntegerField()
    suppressed = models.CharField(max_length=16, blank=True)
    avg_recency_days = models.FloatField(null=True, blank=True)
    avg_frequency = models.FloatField(null=True, blank=True)
    avg_monetary = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "insights_segment_size"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "code"], name="insights_size_one_per_run")
        ]


class Campaign(models.Model):
    """A segment + purpose + channel + message template. The audience is resolved at send
    time (consent, restrictions) inside the sender; marketing sees counts only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=120)
    segment = models.CharField(max_length=64)
    segment_version = models.PositiveIntegerField()
    purpose = models.CharField(max_length=32, default="marketing")
    channel = models.CharField(max_length=12, choices=CampaignChannel.choices)
    template_zh = models.CharField(max_length=500)
    template_en = models.CharField(max_length=500, blank=True)
    window_days = models.PositiveIntegerField(default=30)
    state = models.CharField(max_length=8, choices=CampaignState.choices)
    created_by_role = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    audience = models.PositiveIntegerField(null=True, blank=True)
    excluded = models.JSONField(default=dict)  # reason → count
    # why the audience size is not shown (the segment's size would single people out at
    # send time: below_k / differencing / complementary); blank: shown
    audience_suppressed = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        db_table = "insights_campaign"
        ordering = ["-created_at"]


class CampaignMessage(models.Model):
    """The campaign outbox: one row per customer the message went to (ids and codes only;
    with the outbox sender the row is the delivery). An erasure unlinks the customer."""

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=12, choices=CampaignChannel.choices)
    status = models.CharField(max_length=8, choices=MessageStatus.choices)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "insights_campaign_message"
        ordering = ["id"]


class Recommendations(models.Model):
    """The next-best-product table of one run (issue #18 §3): product → products booked
    by the same customers, counts of customers, pairs and products seen with fewer than k
    customers dropped. An aggregate: it names no one and no one's history."""

    id = models.BigAutoField(primary_key=True)
    run = models.OneToOneField(InsightRun, on_delete=models.CASCADE, related_name="recs")
    customers = models.PositiveIntegerField()  # histories it was trained on
    buyers = models.JSONField(default=dict)  # product → customers
    pairs = models.JSONField(default=dict)  # product → {product: customers}

    class Meta:
        db_table = "insights_recommendations"
