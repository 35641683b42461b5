"""Audit log: `from baomi import audit; audit.record(Action.X, actor, ...)`."""

from typing import Any


def record(*args: Any, **kwargs: Any) -> Any:
    from .services import record as _record

    return _record(*args, **kwargs)
