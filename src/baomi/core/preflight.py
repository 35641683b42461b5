"""Start-up refusal shared by every server entry point (`baomi serve`, the WSGI module).

Runs the `baomi`-tagged system checks — key files and the audit signing key private
(baomi.E001 / E002) — and refuses to start on any error, so a server never comes up with
secrets other users can read."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from baomi.vault.keys import get_keyring


def preflight() -> None:
    get_keyring()  # refuse to start without keys, or with insecure key files
    errors = [e for e in checks.run_checks(tags=["baomi"]) if e.level >= checks.ERROR]
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))
