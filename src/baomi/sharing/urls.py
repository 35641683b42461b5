from django.urls import path

from . import views

app_name = "sharing"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("partners/new/", views.partner_new, name="partner_new"),
    path("partners/<int:partner_id>/", views.partner, name="partner"),
    path("partners/<int:partner_id>/audit/", views.partner_audit, name="partner_audit"),
    path("partners/<int:partner_id>/agreement/", views.partner_agreement, name="partner_agreement"),
    path(
        "partners/<int:partner_id>/suspend/",
        views.partner_standing,
        {"action": "suspend"},
        name="partner_suspend",
    ),
    path(
        "partners/<int:partner_id>/reinstate/",
        views.partner_standing,
        {"action": "reinstate"},
        name="partner_reinstate",
    ),
    path("notices/", views.notice, name="notice"),
    path("disclose/", views.disclose, name="disclose"),
    path("disclosures/<int:disclosure_id>/", views.disclosure, name="disclosure"),
    path("lawful/", views.lawful_queue, name="lawful"),
    path("lawful/new/", views.lawful_new, name="lawful_new"),
    path("lawful/<int:request_id>/", views.lawful_detail, name="lawful_detail"),
    path("lawful/<int:request_id>/decision/", views.lawful_decision, name="lawful_decision"),
    path("lawful/<int:request_id>/scope/", views.lawful_scope, name="lawful_scope"),
    path("lawful/<int:request_id>/outcome/", views.lawful_outcome, name="lawful_outcome"),
    path("lawful/<int:request_id>/notice/", views.lawful_notice, name="lawful_notice"),
]
