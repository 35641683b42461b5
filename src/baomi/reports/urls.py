from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("inspections/<int:inspection_id>/", views.inspection, name="inspection"),
    path("download/", views.download, name="download"),
]
