"""Fixtures of the incidents tests: cases, alerts and planted reads, all built through the
real services (the gate for reads, the monitoring service for alerts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from baomi.access.enums import Role
from baomi.core import clock


@pytest.fixture
def officer(make_staff: Any) -> Any:
    return make_staff(Role.PRIVACY_OFFICER)


@pytest.fixture
def open_case(officer: Any) -> Callable[..., Any]:
    from baomi.incidents import services

    def make(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "title": "Laptop lost on the metro",
            "kind": "loss_theft",
            "severity": "low",
            "detected_at": clock.now() - timedelta(hours=1),
        }
        args.update(kw)
        return services.open_incident(kw.pop("actor", officer), **args)

    return make


@pytest.fixture
def alert(db: Any) -> Any:
    from baomi.audit import monitoring

    [a] = monitoring.raise_alerts(
        [monitoring.Finding("read_volume", "high", "vol:1", "unusual read volume", 41, "bob", 1)]
    )
    return a


@pytest.fixture
def at_time(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the product's clock (core.clock.now) to a fixed instant."""

    def set_now(when: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: when)

    return set_now
