from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults

from baomi.api.api import api, not_found_problem
from baomi.contract import participants

# each app mounts its console pages through its participant (`urls=`); the console's own
# pages come last (its "" prefix would otherwise shadow nothing, but keeps the order clear)
urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *[path(prefix, include(module)) for prefix, module in participants.console_urls()],
    path("", include("baomi.console.urls")),
]


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    """Under /api/ an unknown path answers problem+json like every API refusal (a path
    whose id does not fit the route — /checks/-5 — never reaches the API's own router);
    elsewhere the console's page."""
    if request.path.startswith("/api/"):
        return not_found_problem(request)
    return defaults.page_not_found(request, exception)


handler404 = not_found
