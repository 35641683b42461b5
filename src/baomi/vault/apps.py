from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "baomi.vault"
    label = "vault"

    def ready(self) -> None:
        from . import checks  # noqa: F401
