from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "baomi.incidents"
    label = "incidents"
    verbose_name = "Incidents and breach response"
