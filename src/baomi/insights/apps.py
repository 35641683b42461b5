from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Insights on consented data (issue #18): segments, k-suppressed aggregates and
    campaigns through an outbox. Joins the core through `participant.py`."""

    name = "baomi.insights"
    label = "insights"
    verbose_name = "客户洞察 / insights"
