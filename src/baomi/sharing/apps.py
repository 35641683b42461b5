from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "baomi.sharing"
    label = "sharing"
    verbose_name = "第三方与对外提供 / third parties"

    def ready(self) -> None:
        from . import participant

        participant.register()
