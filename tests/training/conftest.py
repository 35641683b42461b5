"""Training fixtures: HR, a required course with a rule, a signed-in member of staff whose
account, hire day and agreement the test controls."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from tests.conftest import PASSWORD, current_otp

from baomi.access.services import create_staff_with_mfa

_n = itertools.count()

QUESTIONS = [
    {
        "kind": "single",
        "text_zh": "客户证件号码可以拍照发到个人微信吗？",
        "text_en": "May a customer's ID number be photographed and sent to a personal chat?",
        "options": [{"zh": "可以", "en": "Yes"}, {"zh": "不可以", "en": "No"}],
        "correct": [1],
    },
    {
        "kind": "multiple",
        "text_zh": "哪些属于敏感信息？",
        "text_en": "Which of these are sensitive information?",
        "options": [
            {"zh": "证件号码", "en": "ID number"},
            {"zh": "入住记录", "en": "Hotel stays"},
            {"zh": "枕头偏好", "en": "Pillow preference"},
        ],
        "correct": [0, 1],
    },
    {
        "kind": "single",
        "text_zh": "发现泄露应当？",
        "text_en": "On finding a leak you should…",
        "options": [{"zh": "立即报告", "en": "Report it at once"}, {"zh": "等待", "en": "Wait"}],
        "correct": [0],
    },
]


@pytest.fixture
def hr(make_staff: Any) -> Any:
    return make_staff("hr")


@pytest.fixture
def required_course(hr: Any) -> Any:
    """A required yearly course for `role` ("" = everyone), made required `days` ago."""
    from baomi.training import services
    from baomi.training.models import AssignmentRule

    def make(role: str = "", days: int = 90, code: str | None = None, **kw: Any) -> Any:
        course = services.save_course(
            hr,
            code=code or f"privacy-{next(_n)}",
            kind="yearly",
            title_zh="年度隐私与安全培训",
            title_en="Yearly privacy and security",
            questions=[services.QuestionData(**q) for q in QUESTIONS],
            questions_per_exam=kw.pop("questions_per_exam", 3),
            classification_questions=kw.pop("classification_questions", 2),
            **kw,
        )
        rule = services.save_rule(hr, course=course, event="yearly", role=role, apply_now=False)
        AssignmentRule.objects.filter(pk=rule.pk).update(
            created_at=rule.created_at - timedelta(days=days)
        )
        return course

    return make


@pytest.fixture
def api_staff(db: Any) -> Any:
    """role → (client, headers, staff) for a member of staff signed in through the API."""

    def login(
        role: str, purpose: str | None = None, *, hired_days_ago: int | None = None
    ) -> tuple[Client, dict[str, str], Any]:
        username = f"tr_{role}_{next(_n)}"
        new = create_staff_with_mfa(None, username, role, PASSWORD)
        if hired_days_ago is not None:
            hire(new.staff, hired_days_ago)
        c = Client()
        body = {"username": username, "password": PASSWORD, "otp": current_otp(new.staff)}
        r = c.post("/api/v1/auth/token", body, content_type="application/json")
        assert r.status_code == 200, r.content
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        if purpose:
            headers["X-Purpose"] = purpose
        return c, headers, new.staff

    return login


def hire(staff: Any, days_ago: int, department: str = "") -> None:
    from baomi.core import clock
    from baomi.training.models import Employment
    from baomi.training.standing import today

    Employment.objects.update_or_create(
        staff=staff,
        defaults={
            "hired_on": today() - timedelta(days=days_ago),
            "department": department,
            "updated_at": clock.now(),
        },
    )


def sign(staff: Any, hr: Any, version: str = "2026.1") -> None:
    from baomi.training import services
    from baomi.training.standing import today

    services.record_agreement(hr, staff, version, today() - timedelta(days=1))


def pass_exam(client: Client, headers: dict[str, str], assignment_id: int) -> dict[str, Any]:
    """Start the exam through the API and answer it right (the key read from the attempt)."""
    from baomi.training.models import Attempt

    r = client.post(f"/api/v1/training/assignments/{assignment_id}/exam", headers=headers)
    assert r.status_code == 200, r.content
    att = Attempt.objects.get(assignment_id=assignment_id, number=r.json()["attempt"])
    r = client.post(
        "/api/v1/training/attempts",
        {"assignment_id": assignment_id, "answers": att.answer_key},
        content_type="application/json",
        headers=headers,
    )
    assert r.status_code == 200, r.content
    return dict(r.json())
