"""WSGI entry point. Refuses to start without keys or with key files readable by others."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baomi.settings.prod")
application = get_wsgi_application()

from baomi.core.preflight import preflight  # noqa: E402  (needs settings loaded)

preflight()
