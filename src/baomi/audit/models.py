"""Append-only audit log (R-E1). Events hold field *names* and treatments, never values.

The log is an RFC 6962 Merkle tree (docs/audit.md): `AuditEvent` rows are its leaves in
`seq` order (seq = leaf index + 1, contiguous, assigned under the `AuditHead` lock);
`AuditNode` keeps the hash of every leaf and of every completed perfect subtree;
`Checkpoint` rows are signed tree heads. Database triggers (migrations 0002, 0004) refuse
UPDATE and DELETE on events, nodes and checkpoints on SQLite and PostgreSQL.
"""

from typing import Any

from django.db import models


class Action(models.TextChoices):
    """The core's action codes. Domains declare their own enums and register them
    (`baomi.audit.actions`, through the participant contract); the column stores any
    declared code, with no `choices=` (adding an action needs no migration)."""

    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    LOCKED_OUT = "auth.locked_out"
    MFA_ENROLLED = "auth.mfa_enrolled"
    MFA_FAILED = "auth.mfa_failed"
    MFA_RESET = "auth.mfa_reset"
    PASSWORD_RESET = "auth.password_reset"
    SESSIONS_TERMINATED = "auth.sessions_terminated"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    PASSWORD_CHANGED = "auth.password_changed"
    STAFF_DEACTIVATED = "staff.deactivated"
    STAFF_ROLE_CHANGED = "staff.role_changed"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_DECIDED = "approval.decided"
    POLICY_CHANGED = "policy.changed"
    BREAK_GLASS = "access.break_glass"
    BREAK_GLASS_REVIEWED = "access.break_glass_reviewed"
    BREAK_GLASS_OPERATION = "system.break_glass_operation"  # a privileged CLI command
    BREAK_GLASS_OPERATION_REVIEWED = "system.break_glass_op_reviewed"
    OFFBOARDING_REVIEWED = "staff.offboarding_reviewed"
    TOKEN_ISSUED = "auth.token_issued"
    TOKEN_REVOKED = "auth.token_revoked"
    PURPOSE_SELECTED = "auth.purpose_selected"
    STAFF_CREATED = "staff.created"
    CUSTOMER_READ = "customer.read"
    CASE_TEXT_READ = "case_text.read"  # staff text of a case, sealed under the case's key
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_CREATE_REFUSED = "customer.create_refused"  # duplicate: an existence probe
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_MERGED = "customer.merged"
    # one event per import batch naming every customer it created or merged (decision 0023)
    CUSTOMER_IMPORTED = "customer.imported"
    CUSTOMER_SEARCHED = "customer.searched"
    CUSTOMER_SHREDDED = "customer.shredded"
    RECORD_CREATED = "record.created"
    RECORD_UPDATED = "record.updated"
    RECORD_DESTROYED = "record.destroyed"  # retention: a record's sealed columns cleared
    PAYMENT_ADDED = "payment.added"
    IMPORT_STARTED = "import.started"
    IMPORT_FINISHED = "import.finished"
    ACCESS_DENIED = "access.denied"
    KEY_ROTATED = "key.rotated"
    KEY_REWRAPPED = "key.rewrapped"
    KEY_RETIRED = "key.retired"
    KEYS_CREATED = "key.created"
    DEMO_LOADED = "system.demo_loaded"
    # consent, privacy notice, data-subject rights, portal, backups (issue #5)
    NOTICE_PUBLISHED = "privacy.notice_published"
    CONSENT_GIVEN = "consent.given"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    RIGHTS_REQUESTED = "rights.requested"
    RIGHTS_TRANSITION = "rights.transition"
    RIGHTS_COPY = "rights.access_copy"
    CUSTOMER_RESTRICTED = "customer.restricted"
    RESTRICTION_LIFTED = "customer.restriction_lifted"
    PORTAL_CODE_SENT = "portal.code_sent"
    PORTAL_CODE_REFUSED = "portal.code_refused"
    PORTAL_SIGNED_IN = "portal.signed_in"
    PORTAL_SIGN_IN_FAILED = "portal.sign_in_failed"
    PORTAL_SIGNED_OUT = "portal.signed_out"
    BACKUP_CREATED = "system.backup_created"
    BACKUP_RESTORED = "system.backup_restored"  # before issue #9; restores now log RESTORED
    RESTORED = "system.restored"
    # the audit log itself and its monitoring (issue #4)
    AUDIT_CHECKPOINT = "audit.checkpoint"
    AUDIT_VERIFIED = "audit.verified"
    AUDIT_VERIFY_FAILED = "audit.verify_failed"
    AUDIT_SEARCHED = "audit.searched"
    AUDIT_PROOF = "audit.proof"
    ALERT_TRANSITIONED = "alert.transitioned"
    # checkpoints kept outside the database (issue #9 §5)
    WITNESS_FAILED = "audit.witness_failed"
    RESTORE_ACKNOWLEDGED = "audit.restore_acknowledged"


class Outcome(models.TextChoices):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    """Events enter the log only through `baomi.audit.record` / `record_many`, which give
    them their seq number and leaf hash; updates and deletes are refused outright."""

    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("append audit events with baomi.audit.services.record_many")

    def update(self, **kwargs: Any) -> int:
        raise TypeError("the audit log is append-only")

    def delete(self) -> Any:
        raise TypeError("the audit log is append-only")


class AuditEvent(models.Model):
    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=40, db_index=True)  # a declared code: audit.actions
    purpose = models.CharField(max_length=32, blank=True)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    fields = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    request_id = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        db_table = "audit_event"
        indexes = [
            models.Index(fields=["actor_id", "at"], name="audit_actor_at"),
            models.Index(fields=["client_ip", "at"], name="audit_ip_at"),
        ]

    def __str__(self) -> str:
        return f"audit event {self.seq}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("append audit events with baomi.audit.record(...)")

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the audit log is append-only")


class AuditEventSubject(models.Model):
    """Which customers an event names besides its `object_id`: the import's batch event
    (decision 0023) names up to a batch of customers, each listed in the event's own
    `detail` (and so in its Merkle leaf); these rows let a customer's history and access
    copy find it by an index. Written with the event, in its transaction; append-only
    like the events (triggers, migration 0006)."""

    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField()  # the naming event's seq
    subject_id = models.CharField(max_length=64)

    class Meta:
        db_table = "audit_event_subject"
        indexes = [models.Index(fields=["subject_id", "seq"], name="audit_subject_seq")]


class AuditHead(models.Model):
    """The single row that serialises appends (locked FOR UPDATE on PostgreSQL).

    It caches the tree size and its right edge (roots of the perfect subtrees, largest
    first) so an append reads one row and writes only new nodes; `baomi audit verify`
    recomputes both from the events. Also remembers the last checkpoint for auto-signing.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    frontier = models.BinaryField(default=b"")
    checkpoint_size = models.BigIntegerField(default=0)
    checkpoint_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "audit_head"


class AuditNode(models.Model):
    """Hash of a leaf or of a completed perfect subtree, keyed by in-order position
    (`merkle.node_id(level, index)`: leaf i is 2i). Written once, never changed."""

    id = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        db_table = "audit_node"


class Checkpoint(models.Model):
    """A signed tree head: (tree size, root hash, time), Ed25519 over a C2SP signed note."""

    id = models.BigAutoField(primary_key=True)
    tree_size = models.BigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    created_at = models.DateTimeField()
    origin = models.CharField(max_length=200)
    key_id = models.CharField(max_length=8)
    signature = models.BinaryField(max_length=64)
    text = models.TextField()

    class Meta:
        db_table = "audit_checkpoint"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint {self.id} (size {self.tree_size})"


class VerificationRun(models.Model):
    """Outcome of one full `baomi audit verify` (shown on the checkpoint page)."""

    id = models.BigAutoField(primary_key=True)
    started_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    ok = models.BooleanField()
    tree_size = models.BigIntegerField(default=0)
    checkpoints = models.IntegerField(default=0)
    first_bad_seq = models.BigIntegerField(null=True, blank=True)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "audit_verification"
        ordering = ["-id"]


class Severity(models.TextChoices):
    LOW = "low", "低 / low"
    MEDIUM = "medium", "中 / medium"
    HIGH = "high", "高 / high"
    CRITICAL = "critical", "紧急 / critical"


class AlertState(models.TextChoices):
    OPEN = "open", "待处理 / open"
    INVESTIGATING = "investigating", "调查中 / investigating"
    CLOSED = "closed", "已关闭 / closed"


class Alert(models.Model):
    """An anomaly found by a monitoring rule; worked open → investigating → closed."""

    id = models.BigAutoField(primary_key=True)
    rule = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    state = models.CharField(
        max_length=16, choices=AlertState.choices, default=AlertState.OPEN, db_index=True
    )
    dedupe_key = models.CharField(max_length=200, unique=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    first_seq = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_note = models.TextField(blank=True)

    class Meta:
        db_table = "audit_alert"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"alert {self.id} ({self.rule})"


class AlertTransition(models.Model):
    """The alert's own trail (each transition is also an audit event)."""

    id = models.BigAutoField(primary_key=True)
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="transitions")
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        db_table = "audit_alert_transition"
        ordering = ["id"]


class InboxMessage(models.Model):
    """The console inbox: the default alert notification channel (one per role)."""

    id = models.BigAutoField(primary_key=True)
    recipient_role = models.CharField(max_length=32, db_index=True)
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="messages")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "audit_inbox"
        ordering = ["-id"]


class ActorBaseline(models.Model):
    """Cached hourly read baseline per actor (recomputed at most once an hour)."""

    actor_id = models.BigIntegerField(primary_key=True)
    computed_for = models.DateTimeField()
    hourly_mean = models.FloatField()

    class Meta:
        db_table = "audit_actor_baseline"
