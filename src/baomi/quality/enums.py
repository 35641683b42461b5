"""Typed codes of the data-quality domain (audit actions, queue states)."""

from django.db import models


class QualityAction(models.TextChoices):
    LINKED = "quality.linked", "文件匹配 / files linked"
    DEDUPE_RUN = "quality.dedupe_run", "查重 / duplicate scan"
    COMPARED = "quality.compared", "比对读取 / values compared"
    MERGED = "quality.merged", "合并重复 / duplicates merged"
    UNMERGED = "quality.unmerged", "撤销合并 / merge undone"
    DISMISSED = "quality.dismissed", "非重复 / not a duplicate"
    DEFERRED = "quality.deferred", "暂缓 / deferred"
    CONFLICT_QUEUED = "quality.conflict_queued", "冲突待审 / conflict queued"
    CONFLICT_RESOLVED = "quality.conflict_resolved", "冲突已处理 / conflict resolved"
    METRICS_COMPUTED = "quality.metrics_computed", "质量指标计算 / metrics computed"


class PairState(models.TextChoices):
    OPEN = "open", "待处理 / open"
    DEFERRED = "deferred", "暂缓 / deferred"
    MERGED = "merged", "已合并 / merged"
    DISMISSED = "dismissed", "非重复 / not a duplicate"
    UNMERGED = "unmerged", "已撤销合并 / unmerged"
