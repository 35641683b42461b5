"""The quality app in the participant contract (issue #16): its audit actions, and — as
they land — the eraser, the steward's console pages and the indicators."""

from __future__ import annotations

from baomi.contract.participants import Participant, register

from .enums import QualityAction

register(
    Participant(
        app="quality",
        actions=(QualityAction,),
    )
)
