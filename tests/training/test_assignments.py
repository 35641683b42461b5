"""Assignments follow the rules (issue #14 §1): by role, department and event; due dates;
overdue lists for HR and a manager's team; retraining after a failed evaluation; the
course API and the attendance import. Lists name staff only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baomi.training import services
from baomi.training.models import Assignment, Certificate

from .conftest import QUESTIONS, hire

pytestmark = pytest.mark.django_db


def test_standing_rules_assign_by_role_department_and_event(
    make_staff: Any, required_course: Any, hr: Any
) -> None:
    desk_a, desk_b, agent = (
        make_staff("front_desk"),
        make_staff("front_desk"),
        make_staff("customer_service"),
    )
    hire(desk_a, 5, "hotel-a")
    hire(desk_b, 5, "hotel-b")
    yearly = required_course("front_desk")
    onboarding = required_course()
    services.save_rule(hr, course=onboarding, event="hire", apply_now=False)
    quarterly = required_course(code="desk-quarterly")
    services.save_rule(
        hr,
        course=quarterly,
        event="quarterly",
        role="front_desk",
        department="hotel-a",
        apply_now=False,
    )
    on = services.today()
    made = services.run_rules(hr)
    got = {(a.staff.username, a.course.code, a.occasion) for a in made}
    y, q = str(on.year), f"{on.year}Q{(on.month - 1) // 3 + 1}"
    for s in (desk_a, desk_b):
        assert (s.username, yearly.code, y) in got
    assert (agent.username, yearly.code, y) not in got  # another role
    assert (desk_a.username, quarterly.code, q) in got
    assert (desk_b.username, quarterly.code, q) not in got  # another department
    assert (agent.username, onboarding.code, "hire") in got  # the rule names no role
    # on hire: due `due_days` after the hire day (not before today)
    hired = Assignment.objects.get(staff=desk_a, course=onboarding, occasion="hire")
    assert hired.due_on == max(on - timedelta(days=5) + timedelta(days=30), on)
    assert services.run_rules(hr) == []  # idempotent


def test_overdue_lists_for_hr_and_the_managers_team(
    make_staff: Any, required_course: Any, hr: Any, api_client: Any, api_staff: Any
) -> None:
    course = required_course("front_desk")
    late, fine = make_staff("front_desk"), make_staff("front_desk")
    hire(late, 100, "hotel-a")
    hire(fine, 100, "hotel-b")
    services.run_rules(hr)
    Assignment.objects.filter(staff=late).update(due_on=services.today() - timedelta(days=3))
    Assignment.objects.filter(staff=fine).update(due_on=services.today() - timedelta(days=3))
    c, h = api_client("hr")
    rows = c.get("/api/v1/training/assignments?overdue=true", headers=h).json()
    assert {r["staff"] for r in rows} == {late.username, fine.username}
    assert all(r["overdue"] and r["course"] == course.code for r in rows)
    mc, mh, manager = api_staff("manager")
    hire(manager, 300, "hotel-a")
    rows = mc.get("/api/v1/training/assignments?overdue=true", headers=mh).json()
    assert [r["staff"] for r in rows] == [late.username]  # the manager's team only
    dc, dh = api_client("front_desk")
    assert dc.get("/api/v1/training/assignments", headers=dh).status_code == 403


def test_retraining_after_a_failed_evaluation(make_staff: Any, hr: Any) -> None:
    desk = make_staff("front_desk")
    retrain = services.save_course(
        hr, code="retrain-desk", kind="retraining", title_zh="再培训", title_en="Retraining"
    )
    made = services.assign_retraining(desk, "evaluation 2026-11 failed", ref="eval-7")
    assert [(a.course_id, a.occasion) for a in made] == [(retrain.pk, "retrain:eval-7")]
    assert services.assign_retraining(desk, "again", ref="eval-7") == []  # once per evaluation
    rule_course = services.save_course(
        hr, code="desk-service", kind="role_specific", title_zh="前台服务", title_en="Desk service"
    )
    services.save_rule(
        hr, course=rule_course, event="failed_evaluation", role="front_desk", due_days=14
    )
    made = services.assign_retraining(desk, "evaluation failed", ref="eval-8")
    assert [a.course.code for a in made] == ["desk-service"]
    assert made[0].due_on == services.today() + timedelta(days=14)


def test_course_api_is_for_hr_and_versions_content(api_client: Any) -> None:
    c, h = api_client("hr")
    body = {
        "code": "classify-1",
        "kind": "classification",
        "title_zh": "信息分类",
        "title_en": "Classifying information",
        "body_zh": "基础、敏感、偏好",
        "body_en": "basic, sensitive, preference",
        "classification_questions": 5,
        "questions": QUESTIONS,
    }
    r = c.post("/api/v1/training/courses", body, content_type="application/json", headers=h)
    assert r.status_code == 201, r.content
    assert r.json()["version"] == 1 and r.json()["questions"] == 3
    body["body_en"] = "basic, sensitive or preference"
    r = c.post("/api/v1/training/courses", body, content_type="application/json", headers=h)
    assert r.json()["version"] == 2
    bad = {**body, "code": "x y", "questions": [{**QUESTIONS[0], "correct": [5]}]}
    r = c.post("/api/v1/training/courses", bad, content_type="application/json", headers=h)
    assert r.status_code == 422
    assert {e["code"] for e in r.json()["errors"]} >= {"code_invalid", "question_correct"}
    d, dh = api_client("front_desk")
    r = d.post("/api/v1/training/courses", body, content_type="application/json", headers=dh)
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    r = c.post(
        "/api/v1/training/assignments",
        {"course": "classify-1", "staff": ["nobody"]},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422


def test_assignments_api_assigns_named_staff(api_client: Any, make_staff: Any, hr: Any) -> None:
    services.save_course(hr, code="c1", kind="onboarding", title_zh="入职", title_en="Onboarding")
    desk = make_staff("front_desk")
    c, h = api_client("hr")
    r = c.post(
        "/api/v1/training/assignments",
        {"course": "c1", "staff": [desk.username], "due_on": str(services.today())},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 201, r.content
    [row] = r.json()
    assert row["staff"] == desk.username and row["state"] == "open" and not row["overdue"]


def test_attendance_import_all_or_nothing(make_staff: Any, hr: Any, api_client: Any) -> None:
    session = services.save_course(
        hr,
        code="in-person",
        kind="breach_plan",
        title_zh="应急演练",
        title_en="Breach drill",
        questions_per_exam=0,
    )
    a, b = make_staff("front_desk"), make_staff("courier")
    services.assign(hr, session, [a])
    day = (services.today() - timedelta(days=1)).isoformat()
    c, h = api_client("hr")
    bad = f"username,course,date\n{a.username},in-person,{day}\nghost,in-person,{day}\n"
    r = c.post(
        "/api/v1/training/attendance", {"csv": bad}, content_type="application/json", headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "line 3"
    assert not Certificate.objects.exists()
    good = f"username,course,date\n{a.username},in-person,{day}\n{b.username},in-person,{day}\n"
    r = c.post(
        "/api/v1/training/attendance", {"csv": good}, content_type="application/json", headers=h
    )
    assert r.json() == {"recorded": 2, "duplicates": 0, "certified": 2}
    assert Assignment.objects.get(staff=a).state == "passed"
    r = c.post(
        "/api/v1/training/attendance", {"csv": good}, content_type="application/json", headers=h
    )
    assert r.json()["duplicates"] == 2


def test_agreement_api(api_client: Any, make_staff: Any) -> None:
    desk = make_staff("front_desk")
    c, h = api_client("hr")
    body = {"staff": desk.username, "version": "2026.1", "signed_on": str(services.today())}
    r = c.post("/api/v1/training/agreements", body, content_type="application/json", headers=h)
    assert r.status_code == 201
    r = c.post("/api/v1/training/agreements", body, content_type="application/json", headers=h)
    assert r.status_code == 409


def test_the_daily_command_applies_the_rules(make_staff: Any, required_course: Any) -> None:
    import io
    import json

    from django.core.management import call_command

    required_course("courier")
    courier = make_staff("courier")
    out = io.StringIO()
    call_command("training", "assign", stdout=out)
    body = json.loads(out.getvalue())
    assert body["assigned"] == 1 and body["assignments"][0]["staff"] == courier.username
    out = io.StringIO()
    call_command("training", "assign", stdout=out)
    assert json.loads(out.getvalue())["assigned"] == 0
