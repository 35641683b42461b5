from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.me, name="me"),
    path("assignments/<int:assignment_id>/", views.exam, name="exam"),
    path("manage/", views.manage, name="manage"),
    path("reports/", views.reports, name="reports"),
    path("duties/", views.duties, name="duties"),
]
