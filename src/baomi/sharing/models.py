"""The register of third parties (R-G1, R-G2, R-G3).

* `Partner` + `Agreement`: who may receive what, for which purposes, where the data goes
  (mainland or cross-border with the assessment reference), the incident contact and the
  public key packages are encrypted to. A partner's standing (active / agreement missing /
  agreement expired / suspended) is computed from these rows and its audits, never stored
  by hand; `suspended_at` only records the suspensions a person or a failed audit made.
* `PartnerAudit` + `AuditFinding`: the yearly audit against the agreement's obligations.
* `Disclosure` + `DisclosureItem`: one prepared (or refused) disclosure and, per customer,
  whether they were included and why not — ids and reason codes, never a value. The
  package is age ciphertext to the partner's key (no plaintext is ever stored); it is
  dropped once downloaded, expired or voided.
* `PartnerNotice`: a partner told that a customer withdrew `partner_sharing` or was erased.
* `LawfulRequest` + `LawfulApproval`: requests from public security, state security and the
  procuratorate, approved by a privacy officer and a legal officer (neither the requester).

The names of partner signatories, contacts and officers are the business contacts of
organisations acting in their official capacity, not customer data; no customer value is
kept here (customer ids only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PartnerKind(models.TextChoices):
    OTA = "ota", "在线旅行平台 / OTA"
    AIRLINE = "airline", "航空公司 / airline"
    INSURER = "insurer", "保险公司 / insurer"
    HOTEL_SYSTEM = "hotel_system", "酒店系统供应商 / hotel-system vendor"
    COURIER_SUBCONTRACTOR = "courier_subcontractor", "快递分包商 / courier subcontractor"
    ANALYTICS = "analytics", "数据分析公司 / analytics firm"
    GROUP_COMPANY = "group_company", "集团关联公司 / group company"
    OTHER = "other", "其他 / other"


class DataLocation(models.TextChoices):
    MAINLAND = "mainland", "境内 / mainland"
    CROSS_BORDER = "cross_border", "境外 / cross-border"


class Standing(models.TextChoices):
    """A partner's standing for disclosures, computed (selectors.standing)."""

    ACTIVE = "active", "可提供 / active"
    AGREEMENT_MISSING = "agreement_missing", "无有效协议 / no agreement"
    AGREEMENT_EXPIRED = "agreement_expired", "协议已到期 / agreement expired"
    SUSPENDED = "partner_suspended", "已暂停 / suspended"


class SuspensionReason(models.TextChoices):
    AUDIT_FAILED = "audit_failed", "审计未通过 / audit failed"
    MANUAL = "manual", "人工暂停 / suspended by staff"


class AuditResult(models.TextChoices):
    PASSED = "passed", "通过 / passed"
    PASSED_WITH_FINDINGS = "passed_with_findings", "有整改项通过 / passed with findings"
    FAILED = "failed", "未通过 / failed"


class Severity(models.TextChoices):
    LOW = "low", "低 / low"
    MEDIUM = "medium", "中 / medium"
    HIGH = "high", "高 / high"


class Partner(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=PartnerKind.choices)
    data_location = models.CharField(max_length=16, choices=DataLocation.choices)
    assessment_ref = models.CharField(max_length=100, blank=True)  # 出境安全评估/认证/标准合同
    public_key = models.CharField(max_length=200)  # age X25519 recipient (age1…)
    incident_contact = models.CharField(max_length=200)  # department, phone or mailbox
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(
        max_length=16, choices=SuspensionReason.choices, blank=True
    )

    class Meta:
        db_table = "sharing_partner"

    def __str__(self) -> str:
        return f"partner {self.pk}"

    @property
    def cross_border(self) -> bool:
        return self.data_location == DataLocation.CROSS_BORDER


class Agreement(models.Model):
    """A signed privacy agreement (数据处理协议). Renewal = a new row; the one in force on a
    day is the latest signed one whose term covers that day."""

    id = models.BigAutoField(primary_key=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements")
    document_ref = models.CharField(max_length=100)
    signed_on = models.DateField()
    expires_on = models.DateField()
    signatories = models.JSONField(default=list)  # ["甲方: …", "乙方: …"]
    purposes = models.JSONField(default=list)  # processing purpose codes
    fields = models.JSONField(default=list)  # catalogue keys "customer.name", …
    obligations = models.JSONField(default=list)  # the audit checklist
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)  # sweep saw it lapse

    class Meta:
        db_table = "sharing_agreement"
        indexes = [models.Index(fields=["partner", "expires_on"], name="sharing_agr_term")]


class PartnerAudit(models.Model):
    id = models.BigAutoField(primary_key=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="audits")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="+")
    audited_on = models.DateField()
    auditor = models.CharField(max_length=200)
    checklist = models.JSONField(default=list)  # [{"item", "ok", "note"}]
    result = models.CharField(max_length=24, choices=AuditResult.choices)
    next_due_on = models.DateField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "sharing_partner_audit"
        indexes = [models.Index(fields=["partner", "audited_on"], name="sharing_audit_on")]


class AuditFinding(models.Model):
    id = models.BigAutoField(primary_key=True)
    audit = models.ForeignKey(PartnerAudit, on_delete=models.PROTECT, related_name="findings")
    text = models.CharField(max_length=500)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    owner = models.CharField(max_length=100)
    due_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "sharing_audit_finding"


class DisclosureState(models.TextChoices):
    READY = "ready", "待下载 / ready"
    DOWNLOADED = "downloaded", "已下载 / downloaded"
    EXPIRED = "expired", "已过期 / expired"
    VOIDED = "voided", "已作废 / voided"
    REFUSED = "refused", "已拒绝 / refused"
    EMPTY = "empty", "无可提供客户 / nobody included"


class Refusal(models.TextChoices):
    """Why a whole disclosure was refused (the API's problem codes)."""

    AGREEMENT_MISSING = "agreement_missing", "无有效协议 / no agreement"
    AGREEMENT_EXPIRED = "agreement_expired", "协议已到期 / agreement expired"
    PARTNER_SUSPENDED = "partner_suspended", "合作方已暂停 / partner suspended"
    FIELD_OUT_OF_SCOPE = "field_out_of_scope", "字段超出协议范围 / field out of scope"
    PURPOSE_OUT_OF_SCOPE = "purpose_out_of_scope", "用途超出协议范围 / purpose out of scope"
    FIELD_NOT_PERMITTED = "field_not_permitted", "您的岗位不能提供该字段 / field not permitted"


class Exclusion(models.TextChoices):
    """Why one customer was left out of a disclosure."""

    NOT_FOUND = "not_found", "客户不存在 / no such customer"
    ERASED = "erased", "客户信息已删除 / erased"
    NO_PARTNER_SHARING_CONSENT = (
        "no_partner_sharing_consent",
        "未同意向合作方提供 / no consent to partner sharing",
    )
    NO_CROSS_BORDER_CONSENT = (
        "no_cross_border_consent",
        "未同意出境提供 / no consent to cross-border transfer",
    )
    CLOSED_FOR_PURPOSE = (
        "closed_for_purpose",
        "该用途下不可处理（限制处理等） / closed for this purpose (restriction …)",
    )


class VoidReason(models.TextChoices):
    ERASURE = "erasure", "客户已删除 / a customer was erased"
    CONSENT_WITHDRAWN = "consent_withdrawn", "客户撤回同意 / a customer withdrew consent"
    PARTNER_OUT_OF_STANDING = (
        "out_of_standing",
        "合作方协议到期或被暂停 / partner's agreement lapsed or partner suspended",
    )
    STAFF = "staff", "人工作废 / voided by staff"


class Disclosure(models.Model):
    id = models.BigAutoField(primary_key=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="disclosures")
    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(max_length=32)
    fields = models.JSONField(default=list)  # catalogue keys
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_role = models.CharField(max_length=32)
    created_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=12, choices=DisclosureState.choices)
    refusal = models.CharField(max_length=24, choices=Refusal.choices, blank=True)
    refusal_detail = models.JSONField(default=dict, blank=True)  # codes only (field keys)
    requested_count = models.PositiveIntegerField(default=0)
    included_count = models.PositiveIntegerField(default=0)
    excluded_count = models.PositiveIntegerField(default=0)
    encrypted = models.BooleanField(default=False)
    scheme = models.CharField(max_length=40, blank=True)  # "age-v1/x25519"
    package = models.BinaryField(null=True, blank=True)  # ciphertext only; None once gone
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_size = models.PositiveIntegerField(default=0)
    manifest = models.JSONField(default=dict, blank=True)
    token_digest = models.CharField(max_length=64, blank=True)  # SHA-256 of the token
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=20, choices=VoidReason.choices, blank=True)

    class Meta:
        db_table = "sharing_disclosure"


class DisclosureItem(models.Model):
    id = models.BigAutoField(primary_key=True)
    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="items")
    customer_id = models.UUIDField()
    included = models.BooleanField()
    reason = models.CharField(max_length=32, choices=Exclusion.choices, blank=True)

    class Meta:
        db_table = "sharing_disclosure_item"
        constraints = [
            models.UniqueConstraint(fields=["disclosure", "customer_id"], name="sharing_item_one")
        ]
        indexes = [models.Index(fields=["customer_id", "included"], name="sharing_item_cust")]


class NoticeCause(models.TextChoices):
    CONSENT_WITHDRAWN = "consent_withdrawn", "撤回向合作方提供的同意 / consent withdrawn"
    ERASED = "erased", "客户信息已删除 / customer erased"


class PartnerNotice(models.Model):
    """Evidence that a partner was told to stop using (and delete) a customer's data."""

    id = models.BigAutoField(primary_key=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="notices")
    customer_id = models.UUIDField(db_index=True)
    cause = models.CharField(max_length=20, choices=NoticeCause.choices)
    method = models.CharField(max_length=100)  # "encrypted e-mail to the incident contact"
    reference = models.CharField(max_length=100, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "sharing_partner_notice"
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "customer_id", "cause"], name="sharing_notice_one"
            )
        ]


# -- lawful requests ------------------------------------------------------------------------
class AuthorityType(models.TextChoices):
    PUBLIC_SECURITY = "public_security", "公安机关 / public security"
    STATE_SECURITY = "state_security", "国家安全机关 / state security"
    PROCURATORATE = "procuratorate", "检察机关 / procuratorate"


class LawfulState(models.TextChoices):
    PENDING = "pending", "待审批 / awaiting approval"
    APPROVED = "approved", "已批准 / approved"
    REJECTED = "rejected", "审批未通过 / not approved"
    ANSWERED = "answered", "已提供 / answered"
    PARTIAL = "partial", "部分提供 / partly answered"
    REFUSED = "refused", "拒绝提供 / refused"


class CustomerNotice(models.TextChoices):
    LEGAL_HOLD = "legal_hold", "依机关要求暂不告知 / withheld at the authority's request"
    NOTIFY = "notify", "告知客户 / tell the customer"
    NOT_REQUIRED = "not_required", "无需告知 / no notice required"


class Delivery(models.TextChoices):
    ENCRYPTED_PACKAGE = "encrypted_package", "加密数据包 / encrypted package"
    PAPER = "paper", "纸质材料 / paper"
    ON_SITE = "on_site", "现场查阅 / inspection on site"
    NONE = "none", "未提供 / nothing handed over"


class LawfulRequest(models.Model):
    id = models.BigAutoField(primary_key=True)
    authority_type = models.CharField(max_length=20, choices=AuthorityType.choices)
    authority_name = models.CharField(max_length=200)
    officers = models.JSONField(default=list)  # [{"name", "badge_no"}]
    document_type = models.CharField(max_length=100)  # 调取证据通知书 …
    document_no = models.CharField(max_length=100)
    legal_basis = models.CharField(max_length=300)
    customer_ids = models.JSONField(default=list)  # the scope: which customers
    fields = models.JSONField(default=list)  # catalogue keys
    period_from = models.DateField(null=True, blank=True)  # records of this period only
    period_to = models.DateField(null=True, blank=True)
    deadline = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=LawfulState.choices)
    approved_at = models.DateTimeField(null=True, blank=True)
    window_closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.CharField(max_length=500, blank=True)  # no personal data
    delivery = models.CharField(max_length=20, choices=Delivery.choices, blank=True)
    customer_notice = models.CharField(
        max_length=16, choices=CustomerNotice.choices, default=CustomerNotice.LEGAL_HOLD
    )
    notice_not_before = models.DateField(null=True, blank=True)  # hold lifts on this day
    customers_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sharing_lawful_request"

    @property
    def is_open(self) -> bool:
        return self.state in (LawfulState.PENDING, LawfulState.APPROVED)


class LawfulApproval(models.Model):
    """One of the two required approvals (privacy_officer, legal) or a rejection."""

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey(LawfulRequest, on_delete=models.PROTECT, related_name="approvals")
    role = models.CharField(max_length=32)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approve = models.BooleanField()
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        db_table = "sharing_lawful_approval"
        constraints = [
            models.UniqueConstraint(fields=["request", "role"], name="sharing_approval_role")
        ]
