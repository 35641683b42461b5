"""Production: behind a TLS proxy; passes `manage.py check --deploy` with no warnings."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
if os.environ.get("BAOMI_SECRET_KEY", "").startswith("dev-insecure") or not os.environ.get(
    "BAOMI_SECRET_KEY"
):
    raise ImproperlyConfigured("BAOMI_SECRET_KEY must be set to a long random value in production")
SECURE_SSL_REDIRECT = env_bool("BAOMI_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
