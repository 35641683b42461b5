from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "baomi.customers"
    label = "customers"
