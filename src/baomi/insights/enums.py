"""Typed codes of the insights domain (audit actions, campaign states, channels)."""

from django.db import models


class InsightsAction(models.TextChoices):
    RUN = "insights.run", "客户分群计算 / segment run"
    CAMPAIGN_CREATED = "insights.campaign_created", "创建营销活动 / campaign created"
    CAMPAIGN_SENT = "insights.campaign_sent", "营销活动发送 / campaign sent"


class CampaignState(models.TextChoices):
    DRAFT = "draft", "草稿 / draft"
    SENT = "sent", "已发送 / sent"


class CampaignChannel(models.TextChoices):
    SMS = "sms", "短信 / SMS"
    EMAIL = "email", "电子邮件 / e-mail"
    WECHAT = "wechat", "微信 / WeChat"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "待发送 / queued"
    SENT = "sent", "已发送 / sent"


class SegmentKind(models.TextChoices):
    LIFECYCLE = "lifecycle", "生命周期 / lifecycle"
    VALUE = "value", "价值 / value"
    PREFERENCE = "preference", "偏好 / preference"
