"""Fixtures of the operations tests: hotels and outlets made through the services, staff
posted at them, customers made through the customers service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest


def local_today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def sites(db: Any) -> dict[str, Any]:
    from baomi.operations.services import sites as svc

    return {
        "H1": svc.create_site(None, "H1", "hotel", "外滩酒店", "Bund Hotel", "上海市"),
        "H2": svc.create_site(None, "H2", "hotel", "西湖酒店", "West Lake Hotel", "杭州市"),
        "O1": svc.create_site(None, "O1", "outlet", "静安网点", "Jing'an outlet", "上海市"),
    }


@pytest.fixture
def post() -> Any:
    """staff, site code → the staff member posted there (through the service)."""
    from baomi.operations.services import sites as svc

    def make(staff: Any, code: str) -> Any:
        svc.post_staff(None, staff, code)
        return staff

    return make
