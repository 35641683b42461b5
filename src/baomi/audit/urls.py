from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
    path("events/", views.events, name="events"),
    path("customers/<str:customer_id>/", views.customer_history, name="customer_history"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("checkpoints/", views.checkpoint_list, name="checkpoints"),
    path("checkpoints/sign/", views.checkpoint_sign, name="checkpoint_sign"),
    path("checkpoints/<int:checkpoint_id>.txt", views.checkpoint_text, name="checkpoint_text"),
]
