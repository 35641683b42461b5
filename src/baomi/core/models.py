"""Core tables: idempotency records of API writes (issue #11)."""

from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an `Idempotency-Key`, so that a retry (the
    response was lost in a crash or a timeout) gets that answer instead of a 409.

    Holds no personal value: the key and the request body are kept only as keyed hashes
    (HMAC under the server's secret), the answer only as its status and the id of what it
    created; a replay renders that object anew through the gate (audited)."""

    id = models.BigAutoField(primary_key=True)
    key_digest = models.CharField(max_length=64, unique=True)  # HMAC(actor, scope, key)
    fingerprint = models.CharField(max_length=64)  # HMAC(request body)
    actor_id = models.BigIntegerField(null=True)
    scope = models.CharField(max_length=64)  # "POST /customers"
    status = models.PositiveSmallIntegerField()
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "core_idempotency"
