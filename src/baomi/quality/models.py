"""The data steward's duplicate queue (issue #16 §2, R-K1, R-B4).

No personal value is stored here: pairs hold customer ids, the match probability and the
per-field comparison levels (the evidence: which fields agree, never what they say).
A merge keeps the survivor's state before it — its sealed columns as ciphertext under its
own key, lineage and blind-index buckets — so an unmerge puts them back without
decrypting; erasing either customer deletes both (the eraser)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from baomi.customers.models import Customer
from baomi.vault.fields import SealedField

from .enums import PairState


class DuplicatePair(models.Model):
    left = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    right = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField()
    weight = models.FloatField()
    levels = models.JSONField(default=dict)  # field code → comparison level (0 exact … 3)
    source = models.CharField(max_length=16, default="scan")  # scan | import
    state = models.CharField(max_length=16, default=PairState.OPEN)
    found_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "quality_duplicate_pair"
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="quality_pair_once"),
        ]
        indexes = [models.Index(fields=["state", "-probability"], name="quality_pair_queue")]


class Merge(models.Model):
    pair = models.ForeignKey(DuplicatePair, on_delete=models.PROTECT, related_name="merges")
    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    absorbed = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=list)  # codes taken from the absorbed customer
    snapshot = models.JSONField(default=dict)  # survivor before: ciphertext (hex), lineage
    merged_at = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "quality_merge"


class BlockingKey(models.Model):
    """A keyed hash (truncated HMAC, a blind-index bucket under the vault's index root) of
    a normalised value that brings spellings of one person together — the name in sorted
    pinyin (张三 = 張三 = san zhang), the birth date — computed in the gate's bulk path.
    Never the value itself."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24)
    bucket = models.BigIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "quality_blocking_key"
        indexes = [models.Index(fields=["kind", "bucket"], name="quality_block_bucket")]


class CustomerFacts(models.Model):
    """What a metrics run learned about one customer's values, as bits — one per profile
    field (`services.metrics.FIELDS` order): present, valid under today's rules — and
    whether gender and birth date agree with a resident ID number (None: not checkable).
    Recomputed only for customers changed since (incremental); never a value."""

    customer = models.OneToOneField(Customer, on_delete=models.PROTECT, related_name="+")
    present = models.IntegerField(default=0)
    valid = models.IntegerField(default=0)
    consistent = models.BooleanField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "quality_customer_facts"


class MetricsRun(models.Model):
    """One computation of the quality metrics: counts only (numerators and denominators per
    metric, per field, per channel). The dashboard and the indicators read the latest."""

    computed_at = models.DateTimeField(db_index=True)
    customers = models.IntegerField()
    recomputed = models.IntegerField()
    totals = models.JSONField(default=dict)  # metric → {"num": n, "den": d}
    by_field = models.JSONField(default=dict)  # field → metric → {"num", "den"}
    by_channel = models.JSONField(default=dict)  # channel → metric → {"num", "den"}
    run_by = models.CharField(max_length=150, default="")

    class Meta:
        db_table = "quality_metrics_run"


class HeldValue(models.Model):
    """Values an import held back instead of overwriting (survivorship, issue #16): which
    fields, why, from where — and the values themselves sealed under the customer's data
    key (opened only by the gate, for the steward's masked comparison or to apply them);
    cleared once decided. Erasure shreds them with the key and the eraser deletes them."""

    id = models.UUIDField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=list)
    reason = models.CharField(max_length=24)  # identity_conflict | confirmed_value
    source = models.CharField(max_length=120)  # "import:<file name>" — no value
    row = models.IntegerField(default=0)
    values = SealedField()
    state = models.CharField(max_length=12, default="open")  # open | kept | taken
    held_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "quality_held_value"
        indexes = [models.Index(fields=["state", "held_at"], name="quality_held_queue")]
