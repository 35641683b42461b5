from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.new, name="new"),
    path("from-alert/<int:alert_id>/", views.from_alert, name="from_alert"),
    path("<int:incident_id>/", views.detail, name="detail"),
    path("<int:incident_id>/act/", views.act, name="act"),
    path("<int:incident_id>/report/<str:kind>/", views.report, name="report"),
    path("notices/<int:notice_id>/", views.notice, name="notice"),
    path("whistle/", views.whistle, name="whistle"),
    path("whistle/reports/", views.whistle_reports, name="whistle_reports"),
    path("plan/", views.plan, name="plan"),
    path("drills/", views.drills, name="drills"),
    path("assessments/", views.assessments, name="assessments"),
]
