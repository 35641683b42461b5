"""Staff accounts (one role each, R-D2/R-D4), API tokens stored hashed, password history,
policy overrides, four-eyes approvals and break-glass grants (R-D1..R-D6)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_otp.plugins.otp_totp.models import TOTPDevice

from .enums import Role
from .seeds import is_sealed, open_seed, seal


class Staff(AbstractUser):
    """One role per account: holding two of the three administrator roles is impossible by
    construction (三员分立). Role changes go through four-eyes approval."""

    role = models.CharField(max_length=32, choices=Role.choices)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # an administrator-issued (generated) password must be changed at first sign-in
    must_change_password = models.BooleanField(default=False)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # Four-eyes taint (issue #9 §2): ids of the staff members whose action set this
    # account's current credentials (a reset, an account created with a generated
    # password). While it is non-empty the account decides no approval those people
    # requested, nor one requested by this account for them; it clears once the account
    # has changed its password itself *and* enrolled its own authenticator.
    credentials_set_by = models.JSONField(default=list, blank=True)
    password_self_set = models.BooleanField(default=True)
    mfa_self_enrolled = models.BooleanField(default=True)
    # a temporary password and an MFA re-enrolment window end here (24 h after the reset)
    credentials_expire_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "access_staff"
        verbose_name = "staff member"

    @property
    def role_code(self) -> str:
        return str(self.role)


class ApiToken(models.Model):
    """Opaque bearer token; only its SHA-256 is stored. Expires; revocable."""

    id = models.BigAutoField(primary_key=True)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "access_api_token"


class PasswordHistory(models.Model):
    """Hashes (argon2) of a staff member's previous passwords: the last five are refused."""

    id = models.BigAutoField(primary_key=True)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "access_password_history"


class PolicyOverride(models.Model):
    """A per-field exception to the default policy (e.g. front desk sees the full ID number
    at check-in). Created only by an approved policy change; superseded, never edited."""

    id = models.BigAutoField(primary_key=True)
    role = models.CharField(max_length=32, choices=Role.choices)
    purpose = models.CharField(max_length=32)
    field = models.CharField(max_length=64)  # catalogue key "entity.code"
    treatment = models.CharField(max_length=10)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey("ApprovalRequest", on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "access_policy_override"


class ApprovalKind(models.TextChoices):
    ROLE_CHANGE = "role_change", "角色变更 / role change"
    POLICY_CHANGE = "policy_change", "策略变更 / policy change"
    BULK_EXPORT = "bulk_export", "批量导出 / bulk export"
    KEY_ROTATION = "key_rotation", "密钥轮换 / key rotation"
    CHECKPOINT_KEY_CHANGE = "checkpoint_key_change", "审计签名密钥变更 / checkpoint key change"
    CREDENTIAL_RESET = "credential_reset", "重置特权账号凭据 / credential reset"


class ApprovalState(models.TextChoices):
    REQUESTED = "requested", "待审批 / requested"
    APPROVED = "approved", "已批准并执行 / approved"
    REJECTED = "rejected", "已驳回 / rejected"
    EXPIRED = "expired", "已过期 / expired"


class ApprovalRequest(models.Model):
    """Four-eyes approval of a privileged operation: one person requests, a different
    security_admin approves before `expires_at`. The payload holds codes, never values."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=32)  # a registered kind (participant contract)
    payload = models.JSONField(default=dict)
    reason = models.CharField(max_length=500)
    state = models.CharField(
        max_length=16, choices=ApprovalState.choices, default=ApprovalState.REQUESTED
    )
    requested_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "access_approval"


class BreakGlassReason(models.TextChoices):
    """Why emergency access was opened (issue #9 §3): a category the auditor can count and
    compare, plus the free text."""

    LIFE_OR_HEALTH = "life_or_health", "人身安全或健康紧急情况 / threat to life or health"
    PUBLIC_SECURITY = "public_security", "公安机关现场核查 / public security on site"
    FRAUD_IN_PROGRESS = "fraud_in_progress", "正在发生的欺诈 / fraud in progress"
    CUSTOMER_EMERGENCY = "customer_emergency", "客户本人紧急求助 / customer's own emergency"
    SERVICE_OUTAGE = "service_outage", "系统故障下的必要服务 / essential service during an outage"


class BreakGlassGrant(models.Model):
    """Emergency, time-limited access to one named customer, granted at once, flagged and
    queued for the security auditor's review. It unmasks only what the purpose could need
    per the catalogue (issue #9 §3)."""

    id = models.BigAutoField(primary_key=True)
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="break_glass")
    customer_id = models.UUIDField(db_index=True)
    purpose = models.CharField(max_length=32)
    reason_category = models.CharField(max_length=32, choices=BreakGlassReason.choices, blank=True)
    reason = models.CharField(max_length=500)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "access_break_glass"


class OffboardingReview(models.Model):
    """Produced when an account is deactivated: every customer it read in the last 90 days,
    for the security auditor to review (R-D6)."""

    id = models.BigAutoField(primary_key=True)
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    window_days = models.PositiveSmallIntegerField(default=90)
    customers = models.JSONField(default=list)  # [{"customer": id, "reads": n, "last": iso}]
    reviewed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "access_offboarding_review"


class RecoveryCode(models.Model):
    """A single-use MFA recovery code: 120 random bits, stored as SHA-256 only."""

    id = models.BigAutoField(primary_key=True)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "access_recovery_code"
        indexes = [models.Index(fields=["staff", "digest"], name="access_recovery_lookup")]


class OperationReason(models.TextChoices):
    """Why a privileged command was run on the host instead of through a four-eyes request
    (issue #9 §2; docs/decisions/0017-cli-break-glass.md)."""

    BOOTSTRAP = "bootstrap", "首次部署 / first set-up"
    DISASTER_RECOVERY = "disaster_recovery", "灾难恢复 / disaster recovery"
    KEY_COMPROMISE = "key_compromise", "密钥疑似泄露 / suspected key compromise"
    APPROVED_CHANGE = "approved_change", "已批准的变更单 / approved change ticket"


class BreakGlassOperation(models.Model):
    """A privileged CLI command (`keys rotate|retire`, `restore`, `createstaff` for a
    privileged role) run on the host: recorded with its reason, alerted, and queued for the
    security auditor's review."""

    id = models.BigAutoField(primary_key=True)
    command = models.CharField(max_length=64)
    detail = models.JSONField(default=dict)  # codes only (version, role, file name)
    reason_category = models.CharField(max_length=32, choices=OperationReason.choices)
    reason = models.CharField(max_length=500)
    os_user = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "access_break_glass_operation"


class SealedTOTPDevice(TOTPDevice):
    """django-otp's TOTP device with its seed sealed under the vault's KEK (baomi.access.
    seeds). Same table and behaviour; `bin_key` opens the seed, `save` seals a plain one.
    baomi reads and creates TOTP devices through this class only."""

    class Meta:
        proxy = True
        app_label = "access"

    @property
    def bin_key(self) -> bytes:
        stored: str = self.key  # type: ignore[has-type]
        return open_seed(self.user_id, stored)

    def save(self, *args: Any, **kwargs: Any) -> None:
        stored: str = self.key  # type: ignore[has-type]
        if stored and not is_sealed(stored):
            self.key = seal(self.user_id, stored)
        super().save(*args, **kwargs)


class SignInThrottle(models.Model):
    """Sign-in attempts counted per account and per (account, client address) — issue #9
    §6, ASVS 5.0 V6.3.1. The key is an HMAC of the typed username (people type passwords
    into the username box; nothing typed is kept readable) so an unknown username is
    counted exactly like a real one and the table reveals no account (baomi.access.throttle).
    """

    key = models.CharField(max_length=64, primary_key=True)
    attempts = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "access_sign_in_throttle"


class RecentCustomer(models.Model):
    """The customers a member of staff opened lately (issue #17 §4: re-open today's guest
    in one tap). Only ids and a time — no value; names are read through the gate, under
    the purpose in force, each time the list is shown. Kept to the last `recent.KEEP`
    per member of staff; deleted with the customer by the access app's eraser."""

    id = models.BigAutoField(primary_key=True)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="recent_customers")
    customer_id = models.UUIDField(db_index=True)
    opened_at = models.DateTimeField()

    class Meta:
        db_table = "access_recent_customer"
        constraints = [
            models.UniqueConstraint(fields=["staff", "customer_id"], name="access_recent_once")
        ]
        indexes = [models.Index(fields=["staff", "-opened_at"], name="access_recent_by_staff")]
