"""Console pages of training (issue #14): the withheld reason on the customer page, my
training and the exam in the console, HR's administration, reports, a manager's team and
the responsibility matrix."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from baomi.training import services
from baomi.training.models import Attempt

from .conftest import hire, sign

pytestmark = pytest.mark.django_db


def html(r: Any) -> str:
    return str(r.content.decode())


@pytest.fixture
def customer(make_customer: Any) -> Any:
    return make_customer(
        id_type="cn_resident_id", id_number="11010519491231002X", birth_date="1949-12-31"
    )


def test_untrained_desk_sees_the_reason_then_passes_the_exam_in_the_console(
    staff_client: Any, required_course: Any, customer: Any, hr: Any
) -> None:
    required_course("front_desk")
    c, desk = staff_client("front_desk", "reception")
    hire(desk, 60)
    sign(desk, hr)
    services.run_rules(hr)
    r = c.get(f"/customers/{customer.id}/")
    assert r.status_code == 200
    page = html(r)
    assert 'data-testid="staff-withheld" data-reason="training_required"' in page
    assert 'data-reason="training_required"' in page.split('data-field="id_number"')[1][:600]
    assert "002X" not in page
    assert 'data-testid="training-banner" data-withheld="1"' in page
    # my training → the exam, in the console
    r = c.get("/training/")
    assert 'data-state="withheld"' in html(r)
    [aid] = re.findall(r'href="/training/assignments/(\d+)/"', html(r))
    r = c.post(f"/training/assignments/{aid}/", {"action": "start"})
    assert r.status_code == 302
    r = c.get(f"/training/assignments/{aid}/")
    assert 'data-testid="exam-form"' in html(r)
    att = Attempt.objects.get(assignment_id=aid)
    answers: dict[str, Any] = {}
    for key, right in att.answer_key.items():
        answers[key] = [str(i) for i in right]
    r = c.post(f"/training/assignments/{aid}/", {"action": "submit", **answers})
    assert r.status_code == 302 and r["Location"] == "/training/"
    page = html(c.get("/training/"))
    assert 'data-state="current"' in page
    page = html(c.get(f"/customers/{customer.id}/"))
    assert 'data-testid="staff-withheld"' not in page
    assert 'data-testid="training-banner"' not in page


def test_a_wrong_answer_fails_and_counts_an_attempt(
    staff_client: Any, required_course: Any, hr: Any
) -> None:
    course = required_course("front_desk", pass_mark=100)
    c, desk = staff_client("front_desk")
    [a] = services.assign(hr, course, [desk])
    c.post(f"/training/assignments/{a.pk}/", {"action": "start"})
    r = c.post(f"/training/assignments/{a.pk}/", {"action": "submit"})
    assert r.status_code == 302
    att = Attempt.objects.get(assignment=a)
    assert att.passed is False and att.score == 0.0
    page = html(c.get(f"/training/assignments/{a.pk}/"))
    assert 'data-testid="exam-start"' in page


def test_someone_elses_exam_page_is_refused(
    staff_client: Any, required_course: Any, hr: Any
) -> None:
    course = required_course("front_desk")
    _, desk = staff_client("front_desk")
    other, _ = staff_client("front_desk")
    [a] = services.assign(hr, course, [desk])
    assert other.get(f"/training/assignments/{a.pk}/").status_code == 403


def test_hr_manages_courses_rules_attendance_and_agreements(
    staff_client: Any, make_staff: Any
) -> None:
    c, _ = staff_client("hr")
    assert c.get("/training/manage/").status_code == 200
    bank = "? 证件号码属于？ | An ID number is…\n- 基础信息 | basic\n* 敏感信息 | sensitive\n"
    r = c.post(
        "/training/manage/",
        {
            "action": "course",
            "code": "yearly-2026",
            "kind": "yearly",
            "title_zh": "年度培训",
            "title_en": "Yearly training",
            "pass_mark": "80",
            "questions_per_exam": "1",
            "classification_questions": "2",
            "max_attempts": "3",
            "certificate_months": "12",
            "required": "on",
            "questions": bank,
            "links": "课件 https://intranet.example/slides.pdf",
        },
    )
    assert r.status_code == 302, html(r)
    page = html(c.get("/training/manage/?course=yearly-2026"))
    assert "* 敏感信息 | sensitive" in page and 'data-testid="course-row"' in page
    desk = make_staff("front_desk")
    r = c.post(
        "/training/manage/",
        {"action": "rule", "course": "yearly-2026", "event": "yearly", "role": "front_desk"},
    )
    assert r.status_code == 302
    assert services.Assignment.objects.filter(staff=desk).count() == 1  # applied at once
    day = (services.today() - timedelta(days=1)).isoformat()
    r = c.post(
        "/training/manage/",
        {"action": "agreement", "staff": desk.username, "version": "2026", "signed_on": day},
    )
    assert r.status_code == 302
    r = c.post("/training/manage/", {"action": "attendance", "csv": "username\nx\n"})
    assert r.status_code == 200 and 'data-testid="errors"' in html(r)
    bad = c.post("/training/manage/", {"action": "course", "code": "", "kind": "x"})
    assert bad.status_code == 200 and 'data-testid="errors"' in html(bad)
    d, _ = staff_client("front_desk")
    assert d.get("/training/manage/").status_code == 403


def test_reports_for_hr_and_a_managers_team(
    staff_client: Any, make_staff: Any, required_course: Any, hr: Any
) -> None:
    required_course("front_desk")
    mine, theirs = make_staff("front_desk"), make_staff("front_desk")
    hire(mine, 90, "hotel-a")
    hire(theirs, 90, "hotel-b")
    services.run_rules(hr)
    services.Assignment.objects.update(due_on=services.today() - timedelta(days=1))
    c, _ = staff_client("hr")
    page = html(c.get("/training/reports/"))
    assert mine.username in page and theirs.username in page
    assert f'data-username="{mine.username}" data-withheld="1"' in page
    m, manager = staff_client("manager")
    hire(manager, 300, "hotel-a")
    page = html(m.get("/training/reports/"))
    assert mine.username in page and theirs.username not in page


def test_duties_matrix_flags_gaps_and_departed_owners(staff_client: Any, make_staff: Any) -> None:
    c, _ = staff_client("privacy_officer")
    owner, deputy = make_staff("hr"), make_staff("manager")
    r = c.post(
        "/training/duties/",
        {"step": "training", "unit": "", "owner": owner.username, "deputy": deputy.username},
    )
    assert r.status_code == 302
    page = html(c.get("/training/duties/"))
    assert 'data-gaps="7" data-departed="0"' in page
    assert 'data-testid="duty-banner"' in html(c.get("/"))
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    page = html(c.get("/training/duties/"))
    assert 'data-departed="1"' in page
    r = c.post("/training/duties/", {"step": "use", "unit": "", "owner": owner.username})
    assert r.status_code == 200 and 'data-testid="errors"' in html(r)
    i, _ = staff_client("inspector")
    page = html(i.get("/training/duties/"))
    assert 'data-testid="duties"' in page and 'data-testid="duty-form"' not in page
    assert i.post("/training/duties/", {"step": "use"}).status_code == 403


def test_duties_api(api_client: Any, make_staff: Any) -> None:
    owner = make_staff("privacy_officer")
    c, h = api_client("hr")
    r = c.get("/api/v1/training/duties", headers=h)
    assert r.status_code == 200 and r.json()["gaps"] == 8
    body = {"step": "destruction", "owner": owner.username}
    r = c.post("/api/v1/training/duties", body, content_type="application/json", headers=h)
    assert r.status_code == 200, r.content
    cell = next(x for x in r.json()["cells"] if x["step"] == "destruction" and x["unit"] == "*")
    assert cell["owner"] == owner.username and cell["no_deputy"] and not cell["gap"]
    assert r.json()["gaps"] == 7
    bad = {"step": "nope", "owner": "ghost"}
    r = c.post("/api/v1/training/duties", bad, content_type="application/json", headers=h)
    assert r.status_code == 422
    d, dh = api_client("front_desk")
    assert d.get("/api/v1/training/duties", headers=dh).status_code == 403


def test_the_banner_reminds_of_assignments_due_soon(
    staff_client: Any, required_course: Any, hr: Any
) -> None:
    course = required_course("courier")
    c, courier = staff_client("courier")
    services.assign(hr, course, [courier], due_on=services.today() + timedelta(days=3))
    sign(courier, hr)
    page = html(c.get("/"))
    assert 'data-testid="training-banner"' in page and 'data-soon="1"' in page
