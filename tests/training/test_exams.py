"""Exams grade correctly (issue #14 §1): property tests over answer sets, the catalogue's
classification questions, the attempts limit and results per attempt."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baomi.catalog import fields as catalog
from baomi.training import exams

from .conftest import sign

OPTIONS = 5
keys = st.dictionaries(
    st.text("abcdefq:0123456789", min_size=1, max_size=6),
    st.lists(st.integers(0, OPTIONS - 1), min_size=1, max_size=OPTIONS, unique=True),
    min_size=1,
    max_size=12,
)
answer = st.one_of(
    st.lists(st.integers(-1, OPTIONS), max_size=OPTIONS + 1),
    st.integers(-1, OPTIONS),
    st.none(),
    st.text(max_size=3),
    st.booleans(),
)


@given(key=keys, data=st.data())
def test_grade_counts_exactly_the_questions_whose_option_set_matches(
    key: dict[str, list[int]], data: Any
) -> None:
    answers = data.draw(st.dictionaries(st.sampled_from(sorted(key)), answer))
    extra = data.draw(st.dictionaries(st.text(min_size=7, max_size=9), answer, max_size=2))
    right, total = exams.grade(key, {**answers, **extra})
    assert total == len(key)

    def ok(given: Any, good: list[int]) -> bool:
        if isinstance(given, bool):
            return False
        if isinstance(given, int):
            given = [given]
        return isinstance(given, list) and bool(given) and set(given) == set(good)

    assert right == sum(ok(answers.get(k), good) for k, good in key.items())
    assert 0 <= exams.score_of(right, total) <= 100


@given(key=keys)
def test_the_answer_key_scores_full_marks_and_nothing_scores_zero(
    key: dict[str, list[int]],
) -> None:
    assert exams.grade(key, key) == (len(key), len(key))
    assert exams.grade(key, {}) == (0, len(key))
    # order and repetition do not matter; one option more or less is wrong
    shuffled = {k: list(reversed(v)) + v for k, v in key.items()}
    assert exams.grade(key, shuffled)[0] == len(key)
    more = {k: [*v, OPTIONS] for k, v in key.items()}
    assert exams.grade(key, more)[0] == 0


@given(right=st.integers(0, 50), wrong=st.integers(0, 50))
def test_score_is_the_share_of_right_questions(right: int, wrong: int) -> None:
    total = right + wrong
    s = exams.score_of(right, total)
    assert s == (round(100 * right / total, 1) if total else 0.0)


def test_classification_questions_come_from_the_catalogue() -> None:
    for spec in catalog.FIELDS:
        if spec.entity not in exams._ENTITY:
            continue
        q, right = exams.classification_question(spec)
        assert q["key"] == f"c:{spec.key}"
        assert [o["en"] for o in q["options"]] == ["basic", "sensitive", "preference"]
        assert q["options"][right[0]]["en"] == spec.klass.value
        assert spec.label_zh in q["text_zh"]
    room = catalog.spec("stay", "room")
    q, right = exams.classification_question(room)
    assert "room" in q["text_en"] and q["options"][right[0]]["en"] == room.klass.value


@pytest.mark.django_db
def test_draw_is_random_within_the_bank_and_the_catalogue(required_course: Any) -> None:
    course = required_course(questions_per_exam=2, classification_questions=3)
    seen = set()
    for seed in range(8):
        questions, key = exams.draw(course, random.Random(seed))
        assert len(questions) == 5 and set(key) == {q["key"] for q in questions}
        assert sum(q["key"].startswith("c:") for q in questions) == 3
        assert all("correct" not in q for q in questions)
        seen.add(frozenset(key))
    assert len(seen) > 1


@pytest.mark.django_db
def test_attempts_are_kept_and_limited(api_staff: Any, required_course: Any, hr: Any) -> None:
    from baomi.training import services
    from baomi.training.models import Attempt

    course = required_course("front_desk", max_attempts=2, pass_mark=100)
    client, headers, desk = api_staff("front_desk", hired_days_ago=1)
    sign(desk, hr)
    [a] = services.assign(hr, course, [desk])

    def attempt(right: bool) -> Any:
        r = client.post(f"/api/v1/training/assignments/{a.pk}/exam", headers=headers)
        assert r.status_code == 200, r.content
        body = r.json()
        assert all(
            set(q) == {"key", "kind", "text_zh", "text_en", "options"} for q in body["questions"]
        )
        att = Attempt.objects.get(assignment=a, number=body["attempt"])
        answers = dict(att.answer_key)
        if not right:
            first = next(iter(answers))
            answers[first] = [9]
        return client.post(
            "/api/v1/training/attempts",
            {"assignment_id": a.pk, "answers": answers},
            content_type="application/json",
            headers=headers,
        )

    r = attempt(False)
    assert r.status_code == 200
    assert r.json()["passed"] is False and r.json()["attempts_left"] == 1
    assert r.json()["certificate_expires_on"] is None
    r = attempt(False)
    assert r.json()["attempts_left"] == 0
    r = client.post(f"/api/v1/training/assignments/{a.pk}/exam", headers=headers)
    assert r.status_code == 409 and r.json()["code"] == "assignment_closed"
    scores = list(
        Attempt.objects.filter(assignment=a).order_by("number").values_list("score", "passed")
    )
    assert len(scores) == 2 and all(p is False and s < 100 for s, p in scores)
    # answering without a drawn exam is refused
    [b] = services.assign(hr, course, [desk], reason="again")
    r = client.post(
        "/api/v1/training/attempts",
        {"assignment_id": b.pk, "answers": {}},
        content_type="application/json",
        headers=headers,
    )
    assert r.status_code == 409 and r.json()["code"] == "exam_not_started"
    assert services.assign(hr, course, [desk]) == []  # one open assignment at a time


@pytest.mark.django_db
def test_someone_elses_assignment_is_refused(api_staff: Any, required_course: Any, hr: Any) -> None:
    from baomi.training import services

    course = required_course("front_desk")
    _, _, desk = api_staff("front_desk")
    other, headers, _ = api_staff("front_desk")
    [a] = services.assign(hr, course, [desk])
    r = other.post(f"/api/v1/training/assignments/{a.pk}/exam", headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "not_your_assignment"
