from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("duplicates/", views.queue, name="queue"),
    path("duplicates/scan/", views.scan, name="scan"),
    path("duplicates/<int:pair_id>/", views.pair, name="pair"),
]
