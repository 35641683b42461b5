"""Fixtures of the feedback tests: teams made through the service, customers through the
customers service, staff signed in through the real API."""

from __future__ import annotations

from typing import Any

import pytest

SHIFTS = [["09:00", "12:00"], ["13:00", "18:00"], ["19:00", "21:00"]]  # 10 h a day


@pytest.fixture
def office_team(db: Any, make_staff: Any) -> Any:
    from baomi.feedback.services import tickets

    return tickets.set_team(
        make_staff("manager"),
        "DESK",
        name_zh="前台客服组",
        name_en="Desk service team",
        hours="office",
        shifts=SHIFTS,
        first_response_hours=24,
        resolution_hours=40,
    )


@pytest.fixture
def cs(api_client: Any) -> Any:
    return api_client("customer_service", "customer_service")
