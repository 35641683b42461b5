"""Typed codes of the feedback domain (R-J1, R-J2, R-F2). Labels are "中文 / English"."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    PORTAL = "portal", "自助服务 / portal"
    COUNTER = "counter", "柜台 / counter"
    CALL_CENTER = "call_center", "呼叫中心 / call centre"
    WECHAT = "wechat", "微信 / WeChat"
    OTA = "ota", "在线旅行平台点评 / OTA review"


# the rights request a privacy complaint opens takes the catalogue channel of its intake
RIGHTS_CHANNEL = {
    Channel.PORTAL: "web",
    Channel.COUNTER: "store",
    Channel.CALL_CENTER: "call_center",
    Channel.WECHAT: "wechat",
    Channel.OTA: "ota",
}


class Kind(models.TextChoices):
    COMPLAINT = "complaint", "投诉 / complaint"
    SUGGESTION = "suggestion", "建议 / suggestion"
    PRAISE = "praise", "表扬 / praise"
    INQUIRY = "inquiry", "咨询 / inquiry"


class Topic(models.TextChoices):
    SERVICE = "service", "服务态度 / service"
    BOOKING = "booking", "预订 / booking"
    STAY = "stay", "住宿 / stay"
    DELIVERY = "delivery", "派送 / delivery"
    BILLING = "billing", "费用 / billing"
    PRIVACY = "privacy", "个人信息保护 / privacy"
    OTHER = "other", "其他 / other"


class State(models.TextChoices):
    NEW = "new", "待分派 / new"
    ASSIGNED = "assigned", "已分派 / assigned"
    IN_PROGRESS = "in_progress", "已答复，处理中 / answered, in progress"
    ON_HOLD = "on_hold", "暂停计时 / on hold"
    RESOLVED = "resolved", "已解决 / resolved"
    CLOSED = "closed", "已关闭 / closed"


OPEN_STATES = (State.NEW, State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD)


class PauseReason(models.TextChoices):
    """Why a ticket's clocks stop (the only reasons a pause may have; each is audited)."""

    AWAITING_CUSTOMER = "awaiting_customer", "等待客户补充信息 / awaiting the customer"
    AWAITING_PARTNER = "awaiting_partner", "等待合作方答复 / awaiting a partner"
    AWAITING_EVIDENCE = "awaiting_evidence", "等待调取证据 / awaiting evidence"


class RecordKind(models.TextChoices):
    BOOKING = "booking", "预订 / booking"
    STAY = "stay", "住宿 / stay"
    SHIPMENT = "shipment", "寄件 / shipment"


class HoursMode(models.TextChoices):
    CALENDAR = "calendar", "自然小时 / calendar hours"
    OFFICE = "office", "工作时间 / office hours"


class MessageKind(models.TextChoices):
    ANSWERED = "ticket_answered", "反馈已答复 / feedback answered"
    RESOLVED = "ticket_resolved", "反馈已解决 / feedback resolved"
    SURVEY = "survey_invitation", "满意度调查邀请 / survey invitation"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "待发送 / queued"
    SENT = "sent", "已发送 / sent"


class SurveyScope(models.TextChoices):
    SERVICE = "service", "服务满意度 / service satisfaction"
    PRIVACY = "privacy", "隐私保护满意度 / privacy satisfaction"


class SurveyState(models.TextChoices):
    DRAFT = "draft", "草稿 / draft"
    OPEN = "open", "进行中 / open"
    CLOSED = "closed", "已结束 / closed"


class Step(models.TextChoices):
    BOOKING = "booking", "预订 / booking"
    CHECK_IN = "check_in", "入住 / check-in"
    STAY = "stay", "在住 / stay"
    CHECK_OUT = "check_out", "离店 / check-out"
    PICKUP = "pickup", "揽收 / pickup"
    DELIVERY = "delivery", "派送 / delivery"
    AFTER_SALES = "after_sales", "售后 / after-sales"


class EvaluationKind(models.TextChoices):
    YEARLY = "yearly", "年度评估 / yearly"
    AD_HOC = "ad_hoc", "专项评估 / ad hoc"


class ItemState(models.TextChoices):
    OPEN = "open", "整改中 / open"
    CLOSED = "closed", "已关闭 / closed"


class FeedbackAction(models.TextChoices):
    """Audit codes of this domain (registered through the participant contract)."""

    RECEIVED = "feedback.received", "收到反馈 / feedback received"
    MOVED = "feedback.moved", "反馈状态变更 / feedback moved"
    PAUSED = "feedback.paused", "反馈暂停计时 / feedback clock paused"
    RESUMED = "feedback.resumed", "反馈恢复计时 / feedback clock resumed"
    ESCALATED = "feedback.escalated", "反馈临近超时升级 / feedback escalated"
    RATED = "feedback.rated", "客户评价处理 / handling rated"
    TEAM_SET = "feedback.team_set", "设置客服班组 / service team set"
    SURVEY_CREATED = "survey.created", "新建满意度调查 / survey created"
    SURVEY_SENT = "survey.sent", "发送调查邀请 / survey invitations sent"
    SURVEY_ANSWERED = "survey.answered", "提交调查答卷 / survey answered"
    SURVEY_REFUSED = "survey.refused", "调查链接被拒 / survey link refused"
    STANDARD_SET = "standard.set", "发布服务标准 / service standard set"
    EVALUATED = "standard.evaluated", "服务质量评估 / service evaluation"
    RECTIFIED = "standard.rectified", "整改关闭 / rectification closed"
