from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "baomi.access"
    label = "access"
