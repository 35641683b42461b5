from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("", views.metrics_page, name="metrics"),
    path("compute/", views.metrics_compute, name="metrics_compute"),
    path("duplicates/", views.queue, name="queue"),
    path("duplicates/scan/", views.scan, name="scan"),
    path("duplicates/<int:pair_id>/", views.pair, name="pair"),
    path("held/<uuid:held_id>/", views.held_page, name="held"),
]
