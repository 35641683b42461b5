"""Exams (issue #14 §1): a random draw from the course's question bank plus
classification questions generated from the catalogue itself ("is a hotel room number
basic, sensitive or preference information?"), a pass mark, an attempts limit, results
kept per attempt, a certificate on passing.

Grading: a question is right when the set of chosen options equals the set of right
options (single choice: the one right option; multiple choice: all of them and nothing
else). The score is the share of right questions, in percent (one decimal); the attempt
passes when the score reaches the course's pass mark."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from baomi import audit
from baomi.catalog import fields as catalog
from baomi.catalog.enums import FieldClass
from baomi.core import clock
from baomi.core.errors import Conflict, FieldIssue, Forbidden, ValidationFailed

from .enums import AssignmentState, CertificateSource, QuestionKind, TrainingAction
from .models import Assignment, Attempt, Course
from .services import certify, get_assignment

CLASSES = (FieldClass.BASIC, FieldClass.SENSITIVE, FieldClass.PREFERENCE)
_ENTITY = {
    "customer": ("客户资料", "customer profile"),
    "booking": ("预订", "booking"),
    "stay": ("入住", "hotel stay"),
    "shipment": ("运单", "shipment"),
    "payment_method": ("支付方式", "payment method"),
}


def classification_question(spec: catalog.FieldSpec) -> tuple[dict[str, Any], list[int]]:
    """A question generated from one catalogue field: which class is it? (its answer is
    the catalogue's own class, so the exam follows the catalogue as it changes)."""
    ent_zh, ent_en = _ENTITY.get(spec.entity, (spec.entity, spec.entity.replace("_", " ")))
    q = {
        "key": f"c:{spec.key}",
        "kind": QuestionKind.CLASSIFICATION.value,
        "text_zh": f"「{ent_zh}」中的「{spec.label_zh}」属于基础信息、敏感信息还是隐私偏好？",
        "text_en": f"Is the {spec.label_en.lower()} of a {ent_en} basic, sensitive or "
        "preference information?",
        "options": [{"zh": str(c.label).split(" / ")[0], "en": c.value} for c in CLASSES],
    }
    return q, [CLASSES.index(spec.klass)]


def draw(
    course: Course, rng: random.Random | None = None
) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """The questions of one attempt (what the member of staff sees) and their answer key
    (kept on the server)."""
    rng = rng or random.SystemRandom()
    bank = list(course.questions.filter(active=True).order_by("pk"))
    picked = rng.sample(bank, min(course.questions_per_exam, len(bank)))
    questions: list[dict[str, Any]] = []
    key: dict[str, list[int]] = {}
    for q in picked:
        k = f"q:{q.pk}"
        questions.append(
            {
                "key": k,
                "kind": q.kind,
                "text_zh": q.text_zh,
                "text_en": q.text_en,
                "options": list(q.options),
            }
        )
        key[k] = sorted(q.correct)
    fields = [f for f in catalog.FIELDS if f.entity in _ENTITY]
    for spec in rng.sample(fields, min(course.classification_questions, len(fields))):
        cq, right = classification_question(spec)
        questions.append(cq)
        key[cq["key"]] = right
    rng.shuffle(questions)
    return questions, key


def grade(answer_key: Mapping[str, Sequence[int]], answers: Mapping[str, Any]) -> tuple[int, int]:
    """(right, total): a question is right when the chosen options, as a set, equal the
    right ones. Unknown keys are ignored; an unanswered or malformed answer is wrong."""
    right = 0
    for k, good in answer_key.items():
        given = answers.get(k)
        if isinstance(given, int) and not isinstance(given, bool):
            given = [given]
        if not isinstance(given, list | tuple) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in given
        ):
            continue
        if given and set(given) == set(good):
            right += 1
    return right, len(answer_key)


def score_of(right: int, total: int) -> float:
    return round(100.0 * right / total, 1) if total else 0.0


def _own(actor: Any, assignment_id: Any) -> Assignment:
    a = get_assignment(assignment_id)
    if a.staff_id != getattr(actor, "pk", None):
        raise Forbidden("this is someone else's assignment", code="not_your_assignment")
    return a


def attempts_left(a: Assignment) -> int:
    used = a.attempts.filter(submitted_at__isnull=False).count()
    return max(0, a.course.max_attempts - used)


def start(actor: Any, assignment_id: Any, rng: random.Random | None = None) -> Attempt:
    """Open (or resume) an attempt: the questions are drawn once per attempt."""
    with transaction.atomic():
        a = _own(actor, assignment_id)
        Assignment.objects.select_for_update().filter(pk=a.pk).first()
        if a.state != AssignmentState.OPEN:
            raise Conflict("this assignment is closed", code="assignment_closed")
        pending = a.attempts.filter(submitted_at__isnull=True).order_by("-number").first()
        if pending is not None:
            return pending
        if attempts_left(a) <= 0:
            raise Conflict("no attempts left", code="attempts_exhausted")
        questions, key = draw(a.course, rng)
        if not questions:
            raise Conflict("this course has no exam (attendance completes it)", code="no_exam")
        number = a.attempts.count() + 1
        att = Attempt.objects.create(
            assignment=a,
            number=number,
            course_version=a.course.version,
            questions=questions,
            answer_key=key,
            started_at=clock.now(),
        )
        audit.record(
            TrainingAction.EXAM_STARTED,
            actor,
            object_type="training_attempt",
            object_id=att.pk,
            detail={"course": a.course.code, "attempt": number, "questions": len(questions)},
        )
    return att


@dataclass(frozen=True)
class Result:
    attempt: Attempt
    score: float
    passed: bool
    certificate_expires_on: date | None
    attempts_left: int


def submit(actor: Any, assignment_id: Any, answers: Mapping[str, Any]) -> Result:
    """Grade the open attempt of this assignment; on a pass, issue the certificate (the
    gate sees it on the next read)."""
    if not isinstance(answers, Mapping):
        raise ValidationFailed(
            [FieldIssue("answers", "answers_invalid", "question key → options", "答案格式无效")]
        )
    with transaction.atomic():
        a = _own(actor, assignment_id)
        Assignment.objects.select_for_update().filter(pk=a.pk).first()
        att = a.attempts.filter(submitted_at__isnull=True).order_by("-number").first()
        if att is None:
            raise Conflict("start the exam first", code="exam_not_started")
        right, total = grade(att.answer_key, answers)
        score = score_of(right, total)
        passed = score >= a.course.pass_mark
        att.answers = {k: answers[k] for k in att.answer_key if k in answers}
        att.score, att.passed, att.submitted_at = score, passed, clock.now()
        att.save(update_fields=["answers", "score", "passed", "submitted_at"])
        audit.record(
            TrainingAction.ATTEMPT_GRADED,
            actor,
            object_type="training_attempt",
            object_id=att.pk,
            detail={
                "course": a.course.code,
                "attempt": att.number,
                "score": score,
                "passed": passed,
                "right": right,
                "total": total,
            },
        )
        expires = None
        if passed:
            expires = certify(a.staff, a.course, CertificateSource.EXAM, attempt=att).expires_on
        left = attempts_left(a)
        if not passed and left <= 0:
            a.state = AssignmentState.FAILED
            a.completed_at = clock.now()
            a.save(update_fields=["state", "completed_at"])
    return Result(att, score, passed, expires, left)


def visible(att: Attempt) -> list[dict[str, Any]]:
    """The attempt's questions as shown: never the answer key."""
    return [
        {k: q[k] for k in ("key", "kind", "text_zh", "text_en", "options")} for q in att.questions
    ]
