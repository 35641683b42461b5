"""Audit action codes of the sharing domain (registered with the audit log at start-up)."""

from django.db import models


class SharingAction(models.TextChoices):
    PARTNER_REGISTERED = "sharing.partner_registered", "登记合作方 / partner registered"
    AGREEMENT_RECORDED = "sharing.agreement_recorded", "登记协议 / agreement recorded"
    AGREEMENT_LAPSED = "sharing.agreement_lapsed", "协议到期 / agreement lapsed"
    PARTNER_AUDITED = "sharing.partner_audited", "合作方审计 / partner audited"
    FINDING_CLOSED = "sharing.finding_closed", "整改项关闭 / finding closed"
    PARTNER_SUSPENDED = "sharing.partner_suspended", "暂停合作方 / partner suspended"
    PARTNER_REINSTATED = "sharing.partner_reinstated", "恢复合作方 / partner reinstated"
    DISCLOSED = "sharing.disclosed", "对外提供 / disclosure prepared"
    DISCLOSURE_REFUSED = "sharing.disclosure_refused", "拒绝对外提供 / disclosure refused"
    PACKAGE_DOWNLOADED = "sharing.package_downloaded", "数据包已下载 / package downloaded"
    DOWNLOAD_REFUSED = "sharing.download_refused", "拒绝下载 / download refused"
    PACKAGE_VOIDED = "sharing.package_voided", "数据包作废 / package voided"
    PARTNER_NOTIFIED = "sharing.partner_notified", "已通知合作方 / partner notified"
    LAWFUL_REGISTERED = "sharing.lawful_registered", "登记调取请求 / lawful request registered"
    LAWFUL_APPROVAL = "sharing.lawful_approval", "调取审批 / lawful request approval"
    LAWFUL_READ = "sharing.lawful_read", "依法调取查阅 / lawful request read"
    LAWFUL_EXPORTED = "sharing.lawful_exported", "调取数据包 / lawful-request package"
    LAWFUL_CLOSED = "sharing.lawful_closed", "调取请求办结 / lawful request closed"
    LAWFUL_NOTICE = "sharing.lawful_notice", "告知决定 / customer-notice decision"
    LAWFUL_DENIED = "sharing.lawful_denied", "拒绝调取查阅 / lawful read refused"
