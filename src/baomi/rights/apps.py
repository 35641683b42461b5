from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "baomi.rights"
    label = "rights"
