from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "baomi.incidents"
    label = "incidents"
    verbose_name = "Incidents and breach response"

    def ready(self) -> None:
        from baomi.audit import actions

        from .enums import IncidentAction

        actions.register(IncidentAction)
