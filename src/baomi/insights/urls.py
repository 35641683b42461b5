from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("", views.segments_page, name="segments"),
    path("run/", views.run_now, name="run"),
    path("segments/<str:code>/", views.segment_page, name="segment"),
    path("campaigns/", views.campaigns_page, name="campaigns"),
    path("campaigns/<uuid:campaign_id>/send/", views.campaign_send, name="campaign_send"),
]
