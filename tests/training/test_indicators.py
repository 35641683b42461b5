"""Training indicators in `GET /api/v1/kpis` (issue #14 §4; R-I1, R-I2): coverage,
trained-and-passed, exam pass rate, overdue assignments, agreements. The drill-down
lists staff, never customers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baomi.training import services

from .conftest import pass_exam, sign

pytestmark = pytest.mark.django_db

CODES = {
    "training.yearly_coverage": (100.0, "at_least"),
    "training.quarterly_trained": (95.0, "at_least"),
    "training.exam_pass_rate": (90.0, "at_least"),
    "training.overdue_assignments": (0.0, "at_most"),
    "training.agreements_signed": (100.0, "at_least"),
}


def _board(c: Any, h: dict[str, str]) -> dict[str, Any]:
    r = c.get("/api/v1/kpis", headers=h)
    assert r.status_code == 200, r.content
    return {k["code"]: k for k in r.json()}


def test_the_indicators_are_registered_with_their_targets(api_client: Any) -> None:
    c, h = api_client("manager")
    board = _board(c, h)
    for code, (target, direction) in CODES.items():
        assert (board[code]["target"], board[code]["direction"]) == (target, direction)
    assert board["training.quarterly_trained"]["value"] is None
    assert board["training.quarterly_trained"]["reason"] == "no_required_training"
    assert board["training.exam_pass_rate"]["reason"] == "no_attempts"
    assert board["training.exam_pass_rate"]["reason_text"]


def test_values_follow_the_records_and_the_drill_lists_staff_only(
    api_client: Any, api_staff: Any, required_course: Any, hr: Any, make_customer: Any
) -> None:
    make_customer()  # a customer exists, and must never appear in a drill-down
    course = required_course("front_desk")
    good_c, good_h, good = api_staff("front_desk", hired_days_ago=90)
    _, _, late = api_staff("front_desk", hired_days_ago=90)
    sign(good, hr)
    services.run_rules(hr)
    services.Assignment.objects.filter(staff=late).update(
        due_on=services.today() - timedelta(days=2)
    )
    [a] = services.Assignment.objects.filter(staff=good, course=course)
    assert pass_exam(good_c, good_h, a.pk)["passed"]
    c, h = api_client("privacy_officer")
    board = _board(c, h)
    trained = board["training.quarterly_trained"]
    assert trained["numerator"] == 1 and trained["denominator"] >= 2
    assert board["training.exam_pass_rate"]["value"] == 100.0
    assert board["training.overdue_assignments"]["value"] == 1.0
    agreements = board["training.agreements_signed"]
    assert agreements["numerator"] == 1 and agreements["denominator"] >= 3
    coverage = board["training.yearly_coverage"]
    assert coverage["numerator"] == 1
    d = c.get("/api/v1/kpis/training.overdue_assignments", headers=h).json()
    assert [r["cells"]["staff"] for r in d["records"]] == [late.username]
    d = c.get("/api/v1/kpis/training.quarterly_trained", headers=h).json()
    rows = {r["id"]: r for r in d["records"]}
    assert rows[good.username]["counts"] and not rows[late.username]["counts"]
    assert all(set(r["cells"]) == {"staff", "role", "detail"} for r in d["records"])
