from django.apps import AppConfig


class ContractConfig(AppConfig):
    """Last in INSTALLED_APPS: once every app is loaded, import each app's `participant`
    module (as django.contrib.admin imports `admin` modules); each registers itself."""

    name = "baomi.contract"
    label = "contract"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from . import (
            checks,  # noqa: F401  (registers the contract's system checks)
            participants,
        )

        autodiscover_modules("participant")
        participants.seal()
