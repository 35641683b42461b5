"""`baomi serve [--host --port]`: serve the console and API (development server)."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the console and API on HOST:PORT (default 127.0.0.1:8000)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        from baomi.vault.keys import get_keyring

        get_keyring()  # refuse to start without keys, or with insecure key files
        call_command(
            "runserver", f"{options['host']}:{options['port']}", "--noreload", "--insecure"
        )
