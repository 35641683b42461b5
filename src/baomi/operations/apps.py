from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The day's work at the front desk, the travel counter and the courier outlet (issue
    #17). Joins the core through `participant.py` (imported by `baomi.contract`)."""

    name = "baomi.operations"
    label = "operations"
    verbose_name = "日常业务 / daily operations"
