from django.urls import path

from . import views

app_name = "retention"
urlpatterns = [
    path("", views.home, name="home"),
    path("runs/<int:run_id>/", views.run_page, name="run"),
]
