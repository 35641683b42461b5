"""`baomi serve [--host --port --workers --threads]`: serve the console and API with the
production WSGI server (gunicorn gthread workers, static files by WhiteNoise; decision
0015). `--dev` keeps Django's auto-reloading development server for working on the code."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve the console and API on HOST:PORT (default 127.0.0.1:8000) with gunicorn; "
        "workers sized to the machine (BAOMI_WEB_WORKERS / BAOMI_WEB_THREADS)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None, help="worker processes")
        parser.add_argument("--threads", type=int, default=None, help="threads per worker")
        parser.add_argument(
            "--dev", action="store_true", help="Django's development server (auto-reload)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from baomi.core import server
        from baomi.core.preflight import preflight

        preflight()  # refuse to start without keys, or with key files others can read
        if options["dev"]:
            call_command("runserver", f"{options['host']}:{options['port']}")
            return
        # static files for WhiteNoise, copied from the apps (seconds, idempotent)
        call_command("collectstatic", interactive=False, verbosity=0)
        size = server.default_sizing()
        size = server.Sizing(options["workers"] or size.workers, options["threads"] or size.threads)
        self.stdout.write(
            f"baomi: gunicorn on http://{options['host']}:{options['port']}/ "
            f"({size.workers} workers × {size.threads} threads)"
        )
        self.stdout.flush()
        server.run(options["host"], options["port"], size)
