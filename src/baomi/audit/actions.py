"""Which audit action codes exist: the core `Action` enum plus every enum a participant
registers (`baomi.platform.participants`, `actions=`). The `action` column carries no
`choices=`, so a new domain adds actions without an audit migration (issue #10); the log
still refuses a code nobody declared, so no magic string slips in."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from .models import Action

_extra: dict[str, str] = {}  # code → label


def register(actions: Iterable[Enum | str]) -> None:
    for a in actions:
        code = str(a.value if isinstance(a, Enum) else a)
        if not code or len(code) > 40 or "." not in code:
            raise ValueError(f"audit action {code!r}: use 'domain.verb', at most 40 characters")
        _extra[code] = str(getattr(a, "label", code))


def is_known(code: str) -> bool:
    return code in Action.values or code in _extra


def known() -> list[str]:
    """Every declared action code, sorted (the audit console's filter lists these)."""
    return sorted({*Action.values, *_extra})
