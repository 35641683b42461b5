from django.urls import path

from . import views

urlpatterns = [
    path("privacy", views.privacy, name="privacy"),
    path("privacy/platforms/", views.platforms_page, name="notice_platforms"),
]
