"""Service standards and evaluations (issue #15 §3, R-J2): standards per step with
criteria; an evaluation of a site computes compliance; each failed check opens a
rectification item (owner, due date, evidence of closure) and a retraining action."""

from __future__ import annotations

from typing import Any

import pytest

from baomi.audit.models import AuditEvent
from baomi.feedback.models import Rectification, Retraining

CHECK_IN = {
    "code": "STD-CHECKIN",
    "step": "check_in",
    "title_zh": "入住服务标准",
    "title_en": "Check-in standard",
    "criteria": [
        {
            "code": "greet",
            "text_zh": "30 秒内问候",
            "text_en": "Greet within 30 s",
            "measure": "≤ 30 s",
        },
        {
            "code": "id_scan",
            "text_zh": "证件仅扫描不复印",
            "text_en": "Scan the ID, never photocopy",
            "measure": "yes/no",
        },
        {
            "code": "time",
            "text_zh": "5 分钟内办结",
            "text_en": "Done within 5 min",
            "measure": "≤ 5 min",
        },
    ],
}


@pytest.fixture
def manager(api_client: Any) -> Any:
    return api_client("manager")


def post(c: Any, h: dict[str, str], url: str, body: dict[str, Any]) -> Any:
    return c.post(url, body, content_type="application/json", headers=h)


def test_a_failed_check_opens_a_rectification_item_and_a_retraining_action(manager: Any) -> None:
    c, h = manager
    r = post(c, h, "/api/v1/service-standards", CHECK_IN)
    assert r.status_code == 201 and r.json()["criteria"] == 3
    checks = [
        {"standard": "STD-CHECKIN", "criterion": "greet", "passed": True, "score": 90},
        {
            "standard": "STD-CHECKIN",
            "criterion": "id_scan",
            "passed": False,
            "score": 20,
            "finding": "复印了证件",
        },
        {"standard": "STD-CHECKIN", "criterion": "time", "passed": True, "score": 80},
    ]
    r = post(
        c,
        h,
        "/api/v1/service-evaluations",
        {"kind": "yearly", "on": "2026-11-20", "site": "H1", "checks": checks},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["checks"], body["passed"], body["compliance"], body["score"]) == (
        3,
        2,
        66.67,
        63.33,
    )
    assert len(body["rectifications"]) == 1 and len(body["retraining"]) == 1
    item = Rectification.objects.get(pk=body["rectifications"][0])
    assert item.state == "open" and item.due_on.isoformat() == "2026-12-20" and item.owner_id
    training = Retraining.objects.get(pk=body["retraining"][0])
    assert (training.site, training.step, training.topic, training.state) == (
        "H1",
        "check_in",
        "STD-CHECKIN:id_scan",
        "open",
    )
    r = post(c, h, f"/api/v1/rectifications/{item.pk}/close", {"evidence": ""})
    assert r.status_code == 422
    r = post(
        c,
        h,
        f"/api/v1/rectifications/{item.pk}/close",
        {"evidence": "复印机已移除，培训记录 2026-12-01"},
    )
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert (
        post(c, h, f"/api/v1/rectifications/{item.pk}/close", {"evidence": "x"}).status_code == 409
    )
    assert AuditEvent.objects.filter(action="standard.evaluated").count() == 1
    assert AuditEvent.objects.filter(action="standard.rectified").count() == 1


@pytest.mark.parametrize(
    "check,field,code",
    [
        (
            {"standard": "NOPE", "criterion": "greet", "passed": True},
            "checks.0.standard",
            "standard_unknown",
        ),
        (
            {"standard": "STD-CHECKIN", "criterion": "smile", "passed": True},
            "checks.0.criterion",
            "criterion_unknown",
        ),
        ({"standard": "STD-CHECKIN", "criterion": "greet"}, "checks.0.passed", "required"),
        (
            {"standard": "STD-CHECKIN", "criterion": "greet", "passed": True, "score": 101},
            "checks.0.score",
            "out_of_range",
        ),
    ],
)
def test_bad_evaluations_write_nothing(manager: Any, check: Any, field: str, code: str) -> None:
    from baomi.feedback.models import Evaluation

    c, h = manager
    post(c, h, "/api/v1/service-standards", CHECK_IN)
    r = post(
        c,
        h,
        "/api/v1/service-evaluations",
        {"kind": "ad_hoc", "on": "2026-11-20", "site": "H1", "checks": [check]},
    )
    assert r.status_code == 422, r.content
    assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == (field, code)
    assert not Evaluation.objects.exists() and not Rectification.objects.exists()


def test_only_managers_and_inspectors_evaluate(api_client: Any) -> None:
    c, h = api_client("customer_service", "customer_service")
    assert post(c, h, "/api/v1/service-standards", CHECK_IN).status_code == 403


def test_a_failure_assigns_retraining_through_the_training_domain(
    manager: Any, make_staff: Any
) -> None:
    """R-J2: the retraining action of a failed check is assigned to the named staff through
    the training domain's contract hook (`participants.retrain`), and referenced here."""
    from baomi.training import services as training
    from baomi.training.models import Assignment

    hr = make_staff("hr")
    course = training.save_course(
        hr,
        code="retrain-desk",
        kind="retraining",
        title_zh="前台再培训",
        title_en="Desk retraining",
    )
    desk = make_staff("front_desk")
    c, h = manager
    assert post(c, h, "/api/v1/service-standards", CHECK_IN).status_code == 201
    checks = [{"standard": "STD-CHECKIN", "criterion": "id_scan", "passed": False, "score": 10}]
    unknown = post(
        c,
        h,
        "/api/v1/service-evaluations",
        {
            "kind": "ad_hoc",
            "on": "2026-11-21",
            "site": "H1",
            "checks": checks,
            "trainees": ["nobody"],
        },
    )
    assert unknown.status_code == 422 and not Assignment.objects.exists()
    r = post(
        c,
        h,
        "/api/v1/service-evaluations",
        {
            "kind": "ad_hoc",
            "on": "2026-11-21",
            "site": "H1",
            "checks": checks,
            "trainees": [desk.username],
        },
    )
    assert r.status_code == 201, r.content
    made = Assignment.objects.get(staff=desk, course=course)
    row = Retraining.objects.get(pk=r.json()["retraining"][0])
    assert row.training_ref == str(made.pk)
