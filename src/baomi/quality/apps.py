from django.apps import AppConfig


class QualityConfig(AppConfig):
    """Data quality (issue #16): metrics, duplicates, survivorship. Joins the core through
    `participant.py` (the participant contract)."""

    name = "baomi.quality"
    label = "quality"
    verbose_name = "数据质量 / data quality"
