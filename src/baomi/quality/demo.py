"""Demo of data quality (issue #19): the data steward computes the month's metrics over
the demo customers (`metrics.compute`, audited), so the quality indicators have a run."""

from __future__ import annotations

from baomi.contract.participants import DemoContext

from .services import metrics


def run(ctx: DemoContext) -> None:
    metrics.compute(ctx.staff["data_steward"])
