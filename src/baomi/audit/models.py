"""Append-only audit log (R-E1). Events hold field *names* and treatments, never values.

Database triggers (migration 0002) refuse UPDATE and DELETE on this table on SQLite and
PostgreSQL. The Merkle tree and signed checkpoints come with the audit issue (#4) on top of
this table without changing callers of `audit.record`.
"""

from django.db import models


class Action(models.TextChoices):
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
    OFFBOARDING_REVIEWED = "staff.offboarding_reviewed"
    TOKEN_ISSUED = "auth.token_issued"
    TOKEN_REVOKED = "auth.token_revoked"
    PURPOSE_SELECTED = "auth.purpose_selected"
    STAFF_CREATED = "staff.created"
    CUSTOMER_READ = "customer.read"
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"
    CUSTOMER_MERGED = "customer.merged"
    CUSTOMER_SEARCHED = "customer.searched"
    CUSTOMER_SHREDDED = "customer.shredded"
    RECORD_CREATED = "record.created"
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
    BACKUP_RESTORED = "system.backup_restored"


class Outcome(models.TextChoices):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


class AuditEvent(models.Model):
    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    purpose = models.CharField(max_length=32, blank=True)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    fields = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    request_id = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audit_event"
        indexes = [models.Index(fields=["actor_id", "at"], name="audit_actor_at")]
