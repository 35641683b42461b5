"""The self-service portal in the participant contract: its eraser."""

from __future__ import annotations

from baomi.contract.participants import EraseContext, Erasure, Participant, register

from .services import forget_customer


def erase(ctx: EraseContext) -> Erasure:
    return Erasure(cleared={"portal_challenge": forget_customer(ctx.customer_id)})


register(Participant(app="portal", eraser=erase, urls=(("portal/", "baomi.portal.urls"),)))
