from django.apps import AppConfig


class SharingConfig(AppConfig):
    """Joins the core through `participant.py` (imported by `baomi.contract` at start-up)."""

    name = "baomi.sharing"
    label = "sharing"
    verbose_name = "第三方与对外提供 / third parties"
