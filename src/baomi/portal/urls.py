from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.start, name="start"),
    path("verify/", views.verify, name="verify"),
    path("me/", views.home, name="home"),
    path("me/copy.json", views.copy_json, name="copy_json"),
    path("me/copy.html", views.copy_html, name="copy_html"),
    path("me/consents/", views.consent, name="consent"),
    path("me/details/", views.details, name="details"),
    path("me/rectify/", views.rectify, name="rectify"),
    path("me/erase/", views.erase, name="erase"),
    path("me/complaint/", views.complaint, name="complaint"),
    path("sign-out/", views.sign_out, name="sign_out"),
]
