from django.urls import include, path

from baomi.api.api import api
from baomi.contract import participants

# each app mounts its console pages through its participant (`urls=`); the console's own
# pages come last (its "" prefix would otherwise shadow nothing, but keeps the order clear)
urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *[path(prefix, include(module)) for prefix, module in participants.console_urls()],
    path("", include("baomi.console.urls")),
]
