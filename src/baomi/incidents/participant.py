"""What the incidents domain contributes to the core (the participant contract, issue #10).

Everything the core needs to know about incidents is declared here; the gate, erasure,
access copy, console and indicator registry iterate over registrations and never name
this app."""

from __future__ import annotations

from typing import Any

from baomi.catalog import masking
from baomi.catalog.enums import FieldClass, Purpose
from baomi.catalog.fields import FieldSpec

from .enums import IncidentAction

R_NOTICE = "3 years after the case is closed (evidence of notification, R-H2), then destroyed"

# the sealed text of a breach notice: names the customer and which of their data was
# involved; sealed under the customer's data key, opened only by the gate
FIELDS = (
    FieldSpec(
        "incident_notice",
        "body",
        "事件告知内容",
        "Breach notice text",
        FieldClass.SENSITIVE,
        "text",
        (Purpose.INVESTIGATION,),
        R_NOTICE,
        masking.hidden,
        method="generated",
    ),
)
NON_PERSONAL = {
    "incident_notice": frozenset(
        {
            "id",
            "incident",
            "customer",
            "lang",
            "channel",
            "destination_masked",
            "status",
            "prepared_at",
            "sent_at",
        }
    ),
}
ACTIONS = IncidentAction


def banner(request: Any, role: str) -> dict[str, Any] | None:
    """Overdue / near-due cases on every console page of the people on the plan."""
    from . import selectors

    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace == "incidents" and match.url_name == "dashboard":
        return None  # the register shows the same counts
    return selectors.banner(role)
