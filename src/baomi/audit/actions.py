"""Which audit action codes exist: the core `Action` enum plus every enum a participant
declares (`Participant(actions=...)`, `baomi.contract.participants.register_actions`).
The `action` column carries no `choices=`, so a new domain adds actions without an audit
migration (issue #10); the log still refuses a code nobody declared (no magic strings)."""

from __future__ import annotations

from baomi.contract import participants

from .models import Action

_CORE = frozenset(Action.values)  # Django's `.values` rebuilds its list on every access


def is_known(code: str) -> bool:
    return code in _CORE or code in participants._actions


def known() -> list[str]:
    """Every declared action code, sorted."""
    return sorted({*Action.values, *participants.declared_actions()})
