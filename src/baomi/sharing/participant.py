"""What the sharing domain contributes to the core (the participant contract): audit action
names, the gate's read grants (approved lawful requests), the access-copy section, the
eraser, console navigation and banners, and the indicators."""

from __future__ import annotations


def register() -> None:
    from baomi.audit import actions
    from baomi.customers import gate

    from .enums import SharingAction
    from .services import lawful

    actions.register(SharingAction)
    gate.register_grants(lawful.grants, lawful.holds_grant)
