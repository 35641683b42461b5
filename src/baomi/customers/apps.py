from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "baomi.customers"
    label = "customers"

    def ready(self) -> None:
        from baomi.access import services as access

        from .subjects import subject_state

        access.register_subject_state(subject_state)
