from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Feedback and complaints, satisfaction surveys, service standards and evaluations
    (issue #15; R-J1, R-J2, R-F2, R-A4). Joins the core through `participant.py`."""

    name = "baomi.feedback"
    label = "feedback"
    verbose_name = "服务质量 / service quality"
