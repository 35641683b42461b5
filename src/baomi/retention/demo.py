"""Demo of retention (R-C8, issue #19): the privacy officer's dry run of every registered
rule — counted and recorded, nothing destroyed — so the month has a retention check."""

from __future__ import annotations

from baomi.contract.participants import DemoContext

from . import services


def run(ctx: DemoContext) -> None:
    services.run(ctx.staff["privacy_officer"], dry_run=True)
