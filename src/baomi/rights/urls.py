from django.urls import path

from . import views

app_name = "rights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.new, name="new"),
    path("outbox/", views.outbox, name="outbox"),
    path("<int:request_id>/", views.detail, name="detail"),
    path("<int:request_id>/transition/", views.transition, name="transition"),
    path("<int:request_id>/lift/", views.lift, name="lift"),
    path("<int:request_id>/copy.<str:fmt>", views.copy, name="copy"),
    path("<int:request_id>/certificate/", views.certificate, name="certificate"),
]
