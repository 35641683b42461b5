"""Typed codes of the incidents domain (R-H1, R-H2, R-H3, R-D8, R-C6, R-E3)."""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    UNAUTHORISED_ACCESS = "unauthorised_access", "未经授权的访问 / unauthorised access"
    LOSS_THEFT = "loss_theft", "丢失或被盗 / loss or theft"
    DISCLOSURE_MISTAKE = "disclosure_mistake", "误发或误披露 / disclosure by mistake"
    SYSTEM_COMPROMISE = "system_compromise", "系统被入侵 / system compromise"
    PARTNER_BREACH = "partner_breach", "合作方泄露 / partner breach"
    OTHER = "other", "其他 / other"


class Severity(models.TextChoices):
    """Grades of the CAC's 国家网络安全事件报告管理办法 (一般 / 较大 / 重大 / 特别重大). The
    codes are those of audit alerts, so an alert's severity carries over when it opens a case."""

    LOW = "low", "一般 / general"
    MEDIUM = "medium", "较大 / major"
    HIGH = "high", "重大 / serious"
    CRITICAL = "critical", "特别重大 / especially serious"


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class State(models.TextChoices):
    REPORTED = "reported", "已报告 / reported"
    TRIAGED = "triaged", "已研判 / triaged"
    CONTAINED = "contained", "已控制 / contained"
    NOTIFIED = "notified", "已通知 / notified"
    CLOSED = "closed", "已结案 / closed"
    NOT_BREACH = "not_breach", "非泄露事件 / not a breach"


# the explicit state machine: from → the states it may move to
TRANSITIONS: dict[State, frozenset[State]] = {
    State.REPORTED: frozenset({State.TRIAGED, State.NOT_BREACH}),
    State.TRIAGED: frozenset({State.CONTAINED, State.NOT_BREACH}),
    State.CONTAINED: frozenset({State.NOTIFIED, State.CLOSED}),
    State.NOTIFIED: frozenset({State.CLOSED}),
    State.CLOSED: frozenset(),
    State.NOT_BREACH: frozenset(),
}
OPEN_STATES = (State.REPORTED, State.TRIAGED, State.CONTAINED, State.NOTIFIED)
TERMINAL_STATES = (State.CLOSED, State.NOT_BREACH)
# the timestamp column each state sets when it is reached
STAMP = {
    State.TRIAGED: "triaged_at",
    State.CONTAINED: "contained_at",
    State.NOTIFIED: "notified_at",
    State.CLOSED: "closed_at",
    State.NOT_BREACH: "dismissed_at",
}


class Source(models.TextChoices):
    MANUAL = "manual", "人工登记 / by hand"
    ALERT = "alert", "审计告警 / audit alert"
    WHISTLE = "whistle", "内部举报 / whistle-blowing"
    PARTNER = "partner", "合作方报告 / partner report"


class Step(models.TextChoices):
    """The steps of the response plan, each with an owner (R-D7, R-H2)."""

    TRIAGE = "triage", "研判与初步处置 / triage and initial handling"
    CONTAIN = "contain", "堵塞漏洞 / close the hole"
    SCOPE = "scope", "确定影响范围 / find who was affected"
    NOTIFY = "notify", "通知客户 / notify customers"
    AUTHORITIES = "authorities", "配合监管机关 / cooperate with the authorities"
    REVIEW = "review", "复盘与整改 / review and improve"


class NoticeDecision(models.TextChoices):
    UNDECIDED = "", "未决定 / undecided"
    REQUIRED = "required", "需要通知 / required"
    NOT_REQUIRED = "not_required", "无需通知 / not required"


class ObligationStatus(models.TextChoices):
    PENDING = "pending", "待报告 / pending"
    FILED = "filed", "已报告 / filed"
    NOT_REQUIRED = "not_required", "无需报告 / not required"


class OperatorClass(models.TextChoices):
    ANY = "any", "所有运营者 / any operator"
    ORDINARY = "ordinary", "一般网络运营者 / ordinary operator"
    CII = "cii", "关键信息基础设施运营者 / critical information infrastructure"


class ScopeMethod(models.TextChoices):
    ACCOUNT = "account", "按账号与时间段 / account and window"
    TOKEN = "token", "按接口令牌 / API token"
    IMPORT = "import", "导入名单 / imported list"
    PARTNER = "partner", "按合作方（对外提供记录） / disclosures to a partner"


class NoticeStatus(models.TextChoices):
    PREPARED = "prepared", "已生成 / prepared"
    SENT = "sent", "已发送 / sent"
    FAILED = "failed", "发送失败 / failed"
    NO_ADDRESS = "no_address", "无联系方式 / no address"
    DRILL = "drill", "演练（未发送）/ drill (not sent)"


class Channel(models.TextChoices):
    SMS = "sms", "短信 / SMS"
    EMAIL = "email", "电子邮件 / e-mail"


class AuthorityKind(models.TextChoices):
    REPORT = "report", "报告 / report filed"
    INQUIRY = "inquiry", "问询 / inquiry"
    COOPERATION = "cooperation", "配合调查 / cooperation"
    OTHER = "other", "其他 / other"


class WhistleState(models.TextChoices):
    NEW = "new", "新报告 / new"
    REVIEWED = "reviewed", "已审阅 / reviewed"
    INCIDENT = "incident", "已立案 / incident opened"
    DISMISSED = "dismissed", "不予立案 / dismissed"


class AssessmentKind(models.TextChoices):
    SCAN = "scan", "漏洞扫描 / vulnerability scan"
    PENTEST = "pentest", "渗透测试 / penetration test"
    YEARLY = "yearly", "年度数据安全评估 / yearly data-security assessment"
    STORAGE = "storage", "存储安全检查 / storage-security check"


class FindingState(models.TextChoices):
    OPEN = "open", "待整改 / open"
    FIXED = "fixed", "已整改待复测 / fixed, awaiting re-test"
    VERIFIED = "verified", "复测通过 / re-test passed"
    ACCEPTED = "accepted", "风险接受 / risk accepted"


class DrillKind(models.TextChoices):
    TABLETOP = "tabletop", "桌面推演 / tabletop"
    SIMULATION = "simulation", "模拟事件 / simulated incident"


class IncidentAction(models.TextChoices):
    """Audit action names of this domain (registered with the audit log)."""

    OPENED = "incident.opened"
    TRANSITIONED = "incident.transitioned"
    UPDATED = "incident.updated"
    OBLIGATION_DECIDED = "incident.obligation"
    CONTAINMENT = "incident.containment"
    AUTHORITY = "incident.authority"
    SCOPED = "incident.scoped"
    REPROVED = "incident.reproved"
    NOTICE_DECIDED = "incident.notice_decided"
    NOTICES_PREPARED = "incident.notices_prepared"
    NOTICE_SENT = "incident.notice_sent"
    WHISTLE = "incident.whistle"
    WHISTLE_REVIEWED = "incident.whistle_reviewed"
    PLAN_PUBLISHED = "incident.plan_published"
    PLAN_ACKNOWLEDGED = "incident.plan_acknowledged"
    DRILL_RECORDED = "incident.drill"
    ASSESSMENT = "incident.assessment"
    FINDING = "incident.finding"
    RULE_CHANGED = "incident.rule_changed"
