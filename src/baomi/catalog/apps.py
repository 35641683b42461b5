from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "baomi.catalog"
    label = "catalog"
