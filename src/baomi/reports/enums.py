from django.db import models


class ReportsAction(models.TextChoices):
    INSPECTION_PLANNED = "inspection.planned", "制定检查计划 / inspection planned"
    INSPECTION_CHECKED = "inspection.checked", "记录检查结果 / check recorded"
    INSPECTION_CLOSED = "inspection.closed", "检查完成 / inspection closed"
    FINDING_RAISED = "finding.raised", "提出问题 / finding raised"
    FINDING_MOVED = "finding.moved", "问题整改状态变更 / finding moved"
    MEETING_RECORDED = "meeting.recorded", "记录工作会议 / meeting recorded"
    REPORT_GENERATED = "report.generated", "生成报告 / report generated"


class InspectionState(models.TextChoices):
    PLANNED = "planned", "计划中 / planned"
    IN_PROGRESS = "in_progress", "检查中 / in progress"
    CLOSED = "closed", "已完成 / closed"


class CheckResult(models.TextChoices):
    OPEN = "open", "未检查 / not checked"
    PASS = "pass", "符合 / pass"
    FAIL = "fail", "不符合 / fail"
    NOT_APPLICABLE = "na", "不适用 / not applicable"


class Severity(models.TextChoices):
    LOW = "low", "低 / low"
    MEDIUM = "medium", "中 / medium"
    HIGH = "high", "高 / high"


class FindingState(models.TextChoices):
    OPEN = "open", "待整改 / open"
    RECTIFIED = "rectified", "已整改待复查 / rectified, to re-check"
    VERIFIED = "verified", "复查通过 / verified"
    REOPENED = "reopened", "复查未通过 / reopened"


FINDING_MOVES = {
    FindingState.OPEN: (FindingState.RECTIFIED,),
    FindingState.REOPENED: (FindingState.RECTIFIED,),
    FindingState.RECTIFIED: (FindingState.VERIFIED, FindingState.REOPENED),
    FindingState.VERIFIED: (),
}


class ReportKind(models.TextChoices):
    MANAGEMENT = "management", "管理层报告 / management report"
    QUARTERLY = "quarterly", "季度考核评估 / quarterly KPI evaluation"
    INSPECTION = "inspection", "检查报告 / inspection report"
    PRIVACY = "privacy", "隐私保护报告（公开） / public privacy report"


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel"
    HTML = "html", "HTML"
