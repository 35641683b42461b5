"""`baomi demo [--customers N] [--industry travel|hotel|courier|all]`."""

import io
from typing import Any

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from baomi.customers.demo import demo_staff, load_customers
from baomi.vault.keys import KeysMissing, ensure_keys, get_keyring


class Command(BaseCommand):
    help = (
        "Load synthetic demo data: one staff account per role (passwords printed once) "
        "and N customers with bookings, stays and shipments."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument(
            "--industry", choices=["travel", "hotel", "courier", "all"], default="all"
        )
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            get_keyring()
        except KeysMissing:
            ensure_keys()
        accounts = demo_staff()
        with Progress(disable=not self.stderr.isatty()) as progress:
            task = progress.add_task("customers", total=opts["customers"])
            n = load_customers(
                opts["customers"],
                opts["industry"],
                opts["seed"],
                progress=lambda k: progress.advance(task, k),
            )
        console = Console(file=io.StringIO(), width=160)
        table = Table(title="Demo staff (passwords shown once; re-run `baomi demo` to reset)")
        for col in ("username", "role", "password", "TOTP secret (add to an authenticator app)"):
            table.add_column(col)
        for a in accounts:
            table.add_row(a.username, a.role, a.password, a.totp_secret or "— (no MFA needed)")
        console.print(table)
        self.stdout.write(console.file.getvalue())  # type: ignore[attr-defined]
        self.stdout.write(f"{n} synthetic customers loaded. Console: http://127.0.0.1:8000/")
