from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "baomi.portal"
    label = "portal"
