"""Survivorship: what an import row may change on the stored customer it matches
(issue #16; R-A3, R-K1, R-K3). Before, a merge overwrote every field the row carried — a
row with the same ID number but another name replaced an address the customer had just
corrected through a rights request.

Per field, against the stored value (compared in the gate, `gate.compare_stored`) and its
lineage (`basis`, decision: `services.CONFIRMED_BASES`):

* nothing stored                      → the row fills it;
* the same value                      → nothing to write;
* another value, stored one confirmed → kept; the row's value is **held** for the data
  steward (never overwritten by an import);
* another value, not confirmed        → contact and preference fields take the newer value
  (a channel's fresher data, with lineage); identity fields (name, ID type and number,
  birth date, gender, nationality) never change by import: a row that disagrees on any of
  them may be another person, so **the whole row is held**, nothing of it applied.

Held rows go to the steward's queue through `signals.merge_held` (the quality app keeps
them, sealed under the customer's key), audited; the import counts them as `held`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

IDENTITY_CONFLICT = "identity_conflict"
CONFIRMED_VALUE = "confirmed_value"
IDENTITY = ("name", "id_type", "id_number", "birth_date", "gender", "nationality")


@dataclass
class Decision:
    apply: dict[str, str] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)
    reason: str = ""  # "identity_conflict" | "confirmed_value" | ""


def decide(
    values: Mapping[str, str],
    compared: Mapping[str, str],
    lineage: Mapping[str, object],
    confirmed_bases: frozenset[str],
) -> Decision:
    """The policy for one row landing on one stored customer."""

    def confirmed(code: str) -> bool:
        line = lineage.get(code)
        return isinstance(line, Mapping) and line.get("basis") in confirmed_bases

    clash = [c for c in IDENTITY if compared.get(c) == "differs"]
    if clash:
        return Decision({}, dict(values), IDENTITY_CONFLICT)
    d = Decision()
    for code, v in values.items():
        state = compared.get(code, "empty")
        if state == "same":
            continue
        if state == "differs" and confirmed(code):
            d.held[code] = v
        else:
            d.apply[code] = v
    if d.held:
        d.reason = CONFIRMED_VALUE
    return d
