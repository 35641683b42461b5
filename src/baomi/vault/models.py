"""Vault tables: wrapped per-subject data keys, blind-index rows and plans, shred journal.

Nothing here holds plaintext: data keys are wrapped by a KEK that lives outside the
database, blind-index values are truncated keyed hashes.
"""

from django.db import models


class DataKey(models.Model):
    """One random AES-256 data key (DEK) per customer, wrapped by the KEK."""

    subject_id = models.UUIDField(primary_key=True)
    dek_version = models.PositiveIntegerField(default=1)
    kek_version = models.PositiveIntegerField(db_index=True)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "vault_data_key"


class BlindIndexPlan(models.Model):
    """The truncation chosen for a field's blind index, fixed when first used."""

    field = models.CharField(max_length=64, primary_key=True)
    bits = models.PositiveSmallIntegerField()
    planned_for = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "vault_blind_index_plan"


class BlindIndexEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    field = models.CharField(max_length=64)
    bucket = models.BigIntegerField()
    subject_id = models.UUIDField()

    class Meta:
        db_table = "vault_blind_index"
        indexes = [
            models.Index(fields=["field", "bucket"], name="vault_bidx_lookup"),
            # a customer's own rows (replace on merge / PATCH, shred): without it the
            # planner took (field, bucket) for `subject_id = ? AND field = ?` and walked
            # ~N/4 rows per merged row (issue #11: re-import quadratic). Also serves
            # `subject_id = ?` alone, so the single-column index is gone.
            models.Index(fields=["subject_id", "field"], name="vault_bidx_subject"),
        ]


class ShredJournal(models.Model):
    """Append-only record of crypto-shredded subjects; replayed after a restore."""

    id = models.BigAutoField(primary_key=True)
    subject_id = models.UUIDField(unique=True)
    shredded_at = models.DateTimeField(auto_now_add=True)
    basis = models.CharField(max_length=200)

    class Meta:
        db_table = "vault_shred_journal"
