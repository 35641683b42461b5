from django.urls import include, path

from baomi.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", include("baomi.audit.urls")),
    path("portal/", include("baomi.portal.urls")),
    path("rights/", include("baomi.rights.urls")),
    path("", include("baomi.consent.urls")),
    path("", include("baomi.console.urls")),
]
