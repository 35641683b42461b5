"""Audit log: `from baomi import audit; audit.record(Action.X, actor, ...)`."""

from typing import Any


def record(*args: Any, **kwargs: Any) -> Any:
    from .services import record as _record

    return _record(*args, **kwargs)


def record_refusal(*args: Any, **kwargs: Any) -> Any:
    """A refusal that must be logged even though the transaction it was refused in rolls
    back (baomi.audit.refusals)."""
    from .refusals import record_refusal as _record_refusal

    return _record_refusal(*args, **kwargs)
