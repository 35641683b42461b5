"""Signals of the customers domain, for apps above it (no upward import).

`merge_held(sender, actor, purpose, channel, items)`: an import held values back instead of
merging them (survivorship, issue #16); `items` are `HeldRow`s. Sent inside the batch's
transaction: a receiver that fails rolls the batch back, so nothing is half-written."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.dispatch import Signal


@dataclass(frozen=True)
class HeldRow:
    customer_id: uuid.UUID
    row: int
    values: dict[str, str]  # the row's normalised values that were held (plaintext: seal!)
    reason: str  # "identity_conflict" | "confirmed_value"
    source: str  # e.g. "import:customers.csv"


merge_held = Signal()
