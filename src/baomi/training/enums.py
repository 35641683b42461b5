"""Typed codes of the training domain (audit actions, course kinds, rule events, states)."""

from django.db import models


class TrainingAction(models.TextChoices):
    COURSE_SAVED = "training.course_saved", "保存课程 / course saved"
    RULE_SAVED = "training.rule_saved", "保存分配规则 / assignment rule saved"
    ASSIGNED = "training.assigned", "分配培训 / training assigned"
    EXAM_STARTED = "training.exam_started", "开始考试 / exam started"
    ATTEMPT_GRADED = "training.attempt_graded", "考试评分 / exam graded"
    CERTIFIED = "training.certified", "颁发证书 / certificate issued"
    ATTENDANCE = "training.attendance", "导入签到表 / attendance imported"
    AGREEMENT = "training.agreement", "登记保密协议 / agreement recorded"
    EMPLOYMENT = "training.employment", "登记入职信息 / employment recorded"
    DUTY = "training.duty", "指定职责 / duty assigned"


class CourseKind(models.TextChoices):
    ONBOARDING = "onboarding", "入职培训 / onboarding"
    YEARLY = "yearly", "年度隐私与安全培训 / yearly privacy & security"
    CLASSIFICATION = "classification", "分类培训 / classification"
    BREACH_PLAN = "breach_plan", "应急预案 / breach plan"
    ROLE_SPECIFIC = "role_specific", "岗位培训 / role-specific"
    RETRAINING = "retraining", "再培训 / retraining"


class QuestionKind(models.TextChoices):
    SINGLE = "single", "单选 / single choice"
    MULTIPLE = "multiple", "多选 / multiple choice"
    CLASSIFICATION = "classification", "信息分类 / classification"


class RuleEvent(models.TextChoices):
    HIRE = "hire", "入职时 / on hire"
    YEARLY = "yearly", "每年 / yearly"
    QUARTERLY = "quarterly", "每季度 / quarterly"
    FAILED_EVALUATION = "failed_evaluation", "服务质量评价未通过后 / after a failed evaluation"
    PLAN_VERSION = "plan_version", "预案新版本后 / after a new plan version"


# events that make a course standing training: the gate asks for a current certificate
STANDING_EVENTS = (RuleEvent.HIRE, RuleEvent.YEARLY, RuleEvent.QUARTERLY)


class AssignmentState(models.TextChoices):
    OPEN = "open", "待完成 / open"
    PASSED = "passed", "已通过 / passed"
    FAILED = "failed", "未通过（次数用尽） / failed (no attempts left)"


class CertificateSource(models.TextChoices):
    EXAM = "exam", "考试 / exam"
    ATTENDANCE = "attendance", "现场签到 / attendance"


class LifecycleStep(models.TextChoices):
    COLLECTION = "collection", "收集 / collection"
    STORAGE = "storage", "存储 / storage"
    USE = "use", "使用 / use"
    SHARING = "sharing", "共享 / sharing"
    DESTRUCTION = "destruction", "销毁 / destruction"
    INCIDENT_RESPONSE = "incident_response", "事件响应 / incident response"
    TRAINING = "training", "培训 / training"
    INSPECTION = "inspection", "检查 / inspection"
