from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "baomi.core"
    label = "core"

    def ready(self) -> None:
        from . import workdays  # noqa: F401  (registers the calendar coverage check)
