"""Demo of data quality (issues #16, #19): three guests registered a second time at another
counter (same name, birth date and address; a new phone and e-mail, no ID document), as
happens when a front desk cannot find the first record — created through the customers
service like any registration (audited). The data steward then runs the duplicate scan
(`duplicates.scan`, the queue at /quality/duplicates/ shows the pairs to merge) and computes
the month's metrics (`metrics.compute`), so the quality indicators have a run."""

from __future__ import annotations

from baomi.catalog.enums import Purpose
from baomi.consent import services as consent
from baomi.contract.participants import DemoContext
from baomi.customers import services as customers
from baomi.customers.synthetic import Synth

from .services import duplicates, metrics

TWICE = 3


def run(ctx: DemoContext) -> None:
    desk = ctx.staff["front_desk"]
    synth = Synth(ctx.seed + 16)
    for _ in range(TWICE):
        first = synth.customer(foreign_share=0)
        registered = [customers.create_customer(desk, Purpose.RECEPTION, first, channel="store")]
        other = synth.customer(foreign_share=0)
        again = {
            **{k: first[k] for k in ("name", "gender", "birth_date", "nationality", "address")},
            "phone": other["phone"],
            "email": other["email"],
        }
        registered.append(customers.create_customer(desk, Purpose.RECEPTION, again, channel="web"))
        for c in registered:  # asked at each registration, as the counter does
            consent.capture(
                desk,
                c.id,
                {"sensitive_processing": True, "marketing": False},
                channel=c.primary_channel,
                method="checkbox",
                staff_purpose="reception",
            )
    steward = ctx.staff["data_steward"]
    found = duplicates.scan(steward)
    metrics.compute(steward)
    ctx.notes.append(
        f"Data steward (demo_data_steward, purpose data_quality) — {found.queued} possible "
        "duplicates to review at /quality/duplicates/ (guests registered twice)"
    )
