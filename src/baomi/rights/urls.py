from django.urls import path, re_path

from . import views

app_name = "rights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.new, name="new"),
    path("outbox/", views.outbox, name="outbox"),
    path("<int:request_id>/", views.detail, name="detail"),
    path("<int:request_id>/transition/", views.transition, name="transition"),
    path("<int:request_id>/lift/", views.lift, name="lift"),
    # only the listed formats; any other extension is a 404 (issue #9 §6)
    re_path(
        r"^(?P<request_id>[0-9]+)/copy\.(?P<fmt>" + "|".join(views.COPY_FORMATS) + r")$",
        views.copy,
        name="copy",
    ),
    path("<int:request_id>/certificate/", views.certificate, name="certificate"),
]
