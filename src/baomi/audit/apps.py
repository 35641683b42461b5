from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "baomi.audit"
    label = "audit"
