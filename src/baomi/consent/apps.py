from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "baomi.consent"
    label = "consent"
