from django.urls import include, path

from baomi.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("baomi.console.urls")),
]
