"""One clock for the whole product so tests can control time."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
