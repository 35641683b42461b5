from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Joins the core through `participant.py` (the participant contract, issue #10)."""

    name = "baomi.incidents"
    label = "incidents"
    verbose_name = "Incidents and breach response"
