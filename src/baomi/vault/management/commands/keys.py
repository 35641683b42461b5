"""`baomi keys status|rotate|rewrap|retire VERSION`."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import Progress

from baomi import audit
from baomi.access import seed_rotation
from baomi.access.management import emergency
from baomi.audit.models import Action
from baomi.vault import services
from baomi.vault.keys import get_keyring
from baomi.vault.models import DataKey


class Command(BaseCommand):
    help = (
        "Key management: status (versions, wrapped keys per version), rotate (new primary "
        "KEK version), rewrap (move every data key to the primary version; resumable), "
        "retire VERSION (destroy an old version once nothing uses it)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["status", "rotate", "rewrap", "retire"])
        parser.add_argument("version", nargs="?", type=int)
        parser.add_argument("--batch", type=int, default=500)
        emergency.add_arguments(parser)  # rotate and retire are break-glass operations

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action in ("rotate", "retire"):
            category, reason = emergency.require(opts, f"keys {action}")
        ring = get_keyring()
        if action == "status":
            self.stdout.write(json.dumps(services.key_status(), indent=2))
        elif action == "rotate":
            with transaction.atomic():
                v = ring.rotate()
                audit.record(Action.KEY_ROTATED, None, object_type="kek", object_id=v)
                emergency.record("keys rotate", {"version": v}, category, reason)
            self.stdout.write(json.dumps({"primary": v}))
        elif action == "rewrap":
            primary = ring.primary_version()
            todo = (
                DataKey.objects.filter(destroyed_at__isnull=True)
                .exclude(kek_version=primary)
                .count()
            )
            with Progress(disable=not self.stdout.isatty()) as progress:
                task = progress.add_task("rewrap", total=todo)
                n = services.rewrap(opts["batch"], lambda k: progress.advance(task, k))

            totp = seed_rotation.rewrap(primary)  # staff TOTP seeds are sealed by the KEK too
            audit.record(
                Action.KEY_REWRAPPED,
                None,
                object_type="kek",
                object_id=primary,
                detail={"rewrapped": n, "totp_seeds": totp},
            )
            self.stdout.write(json.dumps({"rewrapped": n, "totp_seeds": totp, "primary": primary}))
        elif action == "retire":
            v = opts["version"]
            if v is None:
                raise CommandError("retire needs a VERSION")
            if v not in {kv.version for kv in ring.versions()}:
                raise CommandError(f"no key version {v}")
            if v == ring.primary_version():
                raise CommandError(f"version {v} is the primary: rotate first")
            if DataKey.objects.filter(kek_version=v, destroyed_at__isnull=True).exists():
                raise CommandError(f"version {v} still wraps data keys: run `baomi keys rewrap`")

            if seed_rotation.sealed_under(v):
                raise CommandError(f"version {v} still seals TOTP seeds: run `baomi keys rewrap`")
            with transaction.atomic():
                ring.retire(v)
                audit.record(Action.KEY_RETIRED, None, object_type="kek", object_id=v)
                emergency.record("keys retire", {"version": v}, category, reason)
            self.stdout.write(json.dumps({"retired": v}))
