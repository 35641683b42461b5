"""`baomi demo [--customers N] [--industry travel|hotel|courier|all]`."""

import io
from typing import Any

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from baomi.access.enums import Role
from baomi.access.models import Staff
from baomi.consent import services as consent
from baomi.contract import participants
from baomi.customers.demo import demo_staff, load_customers
from baomi.customers.models import Customer
from baomi.operations.demo import load as load_operations
from baomi.training.demo import load as load_training
from baomi.vault.keys import KeysMissing, ensure_keys, get_keyring

# How a channel captures consent in the demo (the ledger's method codes).
_METHOD = {
    "store": "signature",
    "call_center": "verbal_recorded",
    "partner": "import",
    "ota": "import",
}


def _record_consents(clerk: Any, customer_id: Any, channel: str, rng: Any) -> None:
    """Demo consents through the real ledger (R-B3), so the consent KPI, the marketing
    gate and the 360 page's consents panel have something to show: about 96 % of
    customers asked (the target is 95 %), marketing agreed by about 6 in 10 of those."""
    if rng.random() >= 0.96:
        return  # never asked: counts against the KPI, as in real life
    choices = {
        "marketing": rng.random() < 0.6,
        "profiling": rng.random() < 0.5,
        "sensitive_processing": rng.random() < 0.9,
    }
    if rng.random() < 0.3:
        choices["partner_sharing"] = rng.random() < 0.5
    consent.capture(
        clerk,
        customer_id,
        choices,
        channel=channel,
        method=_METHOD.get(channel, "checkbox"),
        staff_purpose="reception",
    )


class Command(BaseCommand):
    help = (
        "Load synthetic demo data: one staff account per role (passwords printed once) "
        "and N customers with bookings, stays, shipments and consent decisions."
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
                after_create=_record_consents,
            )
        # the day's work (issue #17): hotels, an outlet, today's arrivals, parcels out

        ops = load_operations(opts["seed"]) if n else {}
        # training (issue #14): every demo account trained, one untrained to show the rule
        untrained = load_training()
        accounts.append(untrained)
        # every domain's own demo programme (issue #19): its registered steps, through its
        # own services, so every indicator has something to measure
        notes: list[str] = []
        if n:
            demo_accounts = Staff.objects.filter(username__in=[f"demo_{r.value}" for r in Role])
            ctx = participants.DemoContext(
                seed=opts["seed"],
                staff={s.username.removeprefix("demo_"): s for s in demo_accounts},
                customer_ids=list(
                    Customer.objects.order_by("created_at", "id").values_list("id", flat=True)
                ),
                notes=notes,
            )
            for step in participants.demo_steps():
                step.run(ctx)
        console = Console(file=io.StringIO(), width=160)
        table = Table(title="Demo staff (passwords shown once; re-run `baomi demo` to reset)")
        for col in ("username", "role", "password", "TOTP secret (add to an authenticator app)"):
            table.add_column(col)
        for a in accounts:
            table.add_row(a.username, a.role, a.password, a.totp_secret or "— (no MFA needed)")
        console.print(table)
        self.stdout.write(console.file.getvalue())  # type: ignore[attr-defined]
        self.stdout.write(f"{n} synthetic customers loaded. Console: http://127.0.0.1:8000/")
        self.stdout.write(
            f"Untrained ({untrained.username}, front desk, hired 60 days ago, no training): "
            "sensitive fields withheld (training_required) until it passes the exam at "
            "/training/"
        )
        for line in notes:
            self.stdout.write(line)
        if ops:
            self.stdout.write(
                "Front desk (demo_front_desk, hotel SH-BUND) — today's arrivals: "
                + ", ".join(ops["arrivals"][:3])
                + "; in house: "
                + ", ".join(ops["in_house"][:3])
            )
            self.stdout.write(
                "Courier (demo_courier, outlet SH-JA) — parcels out for delivery: "
                + ", ".join(ops["parcels"][:3])
            )
            if ops.get("bookings"):
                self.stdout.write(
                    "Travel counter (demo_customer_service, counter SH-RMGC, 本柜台订单) — "
                    "trips it took: " + ", ".join(ops["bookings"][:4])
                )
