"""Privacy-notice versions and the consent ledger (R-B2, R-B3).

`ConsentEvent` is the evidence: append-only (database triggers refuse UPDATE and DELETE),
one row per decision — customer × purpose × channel × notice version, given or withdrawn,
when, how (method) and by whom (operator id and role, or self-service). `ConsentState` is a
projection of the latest event per customer × purpose, written by the same service call in
the same transaction, so the access gate reads one row per customer instead of folding the
history. No personal values here: ids, codes and times only.
"""

from __future__ import annotations

from django.db import models

from baomi.catalog.enums import Channel
from baomi.customers.models import Customer


class ConsentPurpose(models.TextChoices):
    MARKETING = "marketing", "营销推广 / marketing"
    PARTNER_SHARING = "partner_sharing", "向合作方提供 / sharing with partners"
    SENSITIVE_PROCESSING = "sensitive_processing", "处理敏感个人信息 / sensitive data"
    CROSS_BORDER = "cross_border", "出境提供 / cross-border transfer"
    PROFILING = "profiling", "个性化推荐 / personalised recommendations"
    TRAVEL_COMPANIONS = "travel_companions", "保存同行人信息 / keep travel companions"
    HOTEL_PREFERENCES = "hotel_preferences", "集团内共享住宿偏好 / share stay preferences"
    COURIER_ADDRESS_BOOK = "courier_address_book", "保存常用地址簿 / keep an address book"


class ConsentMethod(models.TextChoices):
    CHECKBOX = "checkbox", "勾选同意 / tick box"
    SIGNATURE = "signature", "书面签字 / signed form"
    VERBAL_RECORDED = "verbal_recorded", "电话录音 / recorded call"
    IMPORT = "import", "批量导入 / import"
    PORTAL = "portal", "自助服务 / self-service portal"
    API = "api", "接口 / API"


class PrivacyNotice(models.Model):
    """One published version of the privacy notice (both languages). A new version is
    published whenever the rendered content (catalogue + text) changes: `digest` is the
    SHA-256 of the canonical JSON of both renderings. Old versions stay for evidence."""

    id = models.BigAutoField(primary_key=True)
    version = models.PositiveIntegerField(unique=True)
    digest = models.CharField(max_length=64, unique=True)
    published_at = models.DateTimeField()
    content = models.JSONField()  # {"zh-hans": {...}, "en": {...}}

    class Meta:
        db_table = "consent_privacy_notice"

    def __str__(self) -> str:
        return f"Privacy notice v{self.version}"


class ConsentEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    # no single-column indexes on the keys: `consent_ev_cust` / `consent_ev_notice` start
    # with them (each extra index is written on every imported decision, issue #11)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    purpose = models.CharField(max_length=32, choices=ConsentPurpose.choices)
    given = models.BooleanField()
    channel = models.CharField(max_length=16, choices=Channel.choices)
    method = models.CharField(max_length=16, choices=ConsentMethod.choices)
    notice = models.ForeignKey(
        PrivacyNotice, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    at = models.DateTimeField()
    operator_id = models.BigIntegerField(null=True, blank=True)  # staff id; None: self-service
    operator_role = models.CharField(max_length=32, blank=True)
    self_service = models.BooleanField(default=False)
    evidence = models.CharField(max_length=64, blank=True)  # form no., recording id (codes)

    class Meta:
        db_table = "consent_event"
        indexes = [
            models.Index(fields=["customer", "purpose", "at"], name="consent_ev_cust"),
            models.Index(fields=["notice", "customer"], name="consent_ev_notice"),
        ]

    def __str__(self) -> str:
        return f"Consent {self.purpose} {'given' if self.given else 'withdrawn'} ({self.pk})"


class ConsentState(models.Model):
    """Latest decision per customer × purpose (projection of ConsentEvent)."""

    id = models.BigAutoField(primary_key=True)
    # no single-column index: the unique (customer, purpose) constraint starts with it
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    purpose = models.CharField(max_length=32, choices=ConsentPurpose.choices)
    given = models.BooleanField()
    event = models.ForeignKey(ConsentEvent, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        db_table = "consent_state"
        constraints = [
            models.UniqueConstraint(fields=["customer", "purpose"], name="consent_state_one")
        ]


class NoticeAction(models.TextChoices):
    """Audit codes of the notice register (declared through the participant contract)."""

    PLATFORM_ADDED = "notice.platform_added", "登记公示渠道 / notice platform added"
    PLATFORM_RETIRED = "notice.platform_retired", "停用公示渠道 / notice platform retired"
    POSTED = "notice.posted", "隐私政策已在渠道公示 / notice posted on a platform"


class NoticePlatform(models.Model):
    """Where the privacy notice must be visible (R-B2): the website, the app, a WeChat
    account, the counters' posters, the call centre's script …"""

    id = models.BigAutoField(primary_key=True)
    code = models.CharField(max_length=32, unique=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    name = models.CharField(max_length=120)  # e.g. 官网、微信公众号「某某酒店」
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField()

    class Meta:
        db_table = "consent_notice_platform"
        ordering = ["code"]


class NoticePublication(models.Model):
    """A notice version put up on a platform, when, by whom, with the evidence (a URL, a
    photo reference, a release number)."""

    id = models.BigAutoField(primary_key=True)
    platform = models.ForeignKey(
        NoticePlatform, on_delete=models.PROTECT, related_name="publications"
    )
    notice = models.ForeignKey(PrivacyNotice, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField()
    posted_by_id = models.BigIntegerField(null=True)
    evidence = models.CharField(max_length=300)

    class Meta:
        db_table = "consent_notice_publication"
        ordering = ["-posted_at", "-id"]
