from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "baomi.console"
    label = "console"
