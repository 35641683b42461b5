"""Service standards and evaluations (issue #15 §3, R-J2): written standards per service
step with measurable criteria; yearly and ad-hoc evaluations of a site or team check each
criterion (pass / fail, a score); compliance = passed checks / checks. Every failed check
opens a rectification item (owner, due date, evidence of closure) and a retraining action
— recorded here until the training domain (issue #14) takes it over (`training_ref`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from baomi import audit
from baomi.access.models import Staff
from baomi.catalog.enums import Role
from baomi.contract import participants
from baomi.core import clock as core_clock
from baomi.core.errors import Conflict, NotFound

from ..enums import EvaluationKind, FeedbackAction, ItemState, Step
from ..models import Check, Evaluation, Rectification, Retraining, Standard
from .common import as_int, choice, clean_text, invalid, require_role

EVALUATORS = frozenset({Role.MANAGER, Role.INSPECTOR})
OWNERS = frozenset({Role.MANAGER, Role.INSPECTOR, Role.CUSTOMER_SERVICE})
RECTIFY_DAYS = 30


def _criteria(raw: object) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 50:
        raise invalid("criteria", "criteria_list", "1 to 50 criteria", "评价标准应为 1 到 50 条")
    out, seen = [], set()
    for i, c in enumerate(raw):
        if not isinstance(c, Mapping):
            raise invalid(f"criteria.{i}", "criterion_object", "a criterion object", "标准格式无效")
        code = clean_text(c.get("code"), f"criteria.{i}.code", 32).lower()
        if code in seen:
            raise invalid(f"criteria.{i}.code", "duplicate", "codes are unique", "代码重复")
        seen.add(code)
        out.append(
            {
                "code": code,
                "text_zh": clean_text(c.get("text_zh"), f"criteria.{i}.text_zh", 300),
                "text_en": clean_text(c.get("text_en"), f"criteria.{i}.text_en", 300),
                "measure": clean_text(c.get("measure"), f"criteria.{i}.measure", 200),
            }
        )
    return out


@transaction.atomic
def set_standard(
    actor: Any, *, code: object, step: object, title_zh: object, title_en: object, criteria: object
) -> Standard:
    """Publish (or replace) the standard of a step."""
    require_role(actor, EVALUATORS, "feedback_standard")
    st = choice(Step, step, "step", "服务环节")
    key = clean_text(code, "code", 32).upper()
    row, _ = Standard.objects.update_or_create(
        code=key,
        defaults={
            "step": st.value,
            "title_zh": clean_text(title_zh, "title_zh", 120),
            "title_en": clean_text(title_en, "title_en", 120),
            "criteria": _criteria(criteria),
            "created_at": core_clock.now(),
        },
    )
    audit.record(
        FeedbackAction.STANDARD_SET,
        actor,
        object_type="feedback_standard",
        object_id=row.pk,
        detail={"code": key, "step": st.value, "criteria": len(row.criteria)},
    )
    return row


def _date(value: object, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise invalid(
            field, "invalid_date", "expected YYYY-MM-DD", "日期格式应为 YYYY-MM-DD"
        ) from None


@transaction.atomic
def evaluate(
    actor: Any,
    *,
    kind: object,
    on: object,
    checks: Iterable[Mapping[str, Any]],
    site: object = "",
    team: object = "",
    owner_id: object = None,
    due_on: object = None,
    trainees: Iterable[object] = (),
) -> Evaluation:
    """Record an evaluation of a site or team: each check names a standard and one of its
    criteria, passed or not, with an optional score (0–100) and finding. Each failure
    opens a rectification item (owner: `owner_id`, else the evaluator; due: `due_on`, else
    30 days) and a retraining action for the step, assigned through the training domain
    (`participants.retrain`, R-J2) to the `trainees` named (staff accounts), else to the
    rectification owner."""
    require_role(actor, EVALUATORS, "feedback_evaluation")
    k = choice(EvaluationKind, kind, "kind", "评估类型")
    day = _date(on, "on")
    where = clean_text(site, "site", 16, required=False).upper()
    who = clean_text(team, "team", 40, required=False)
    if not where and not who:
        raise invalid(
            "site", "required", "name the site or the team evaluated", "请填写被评估的门店或班组"
        )
    items = list(checks or [])
    if not items:
        raise invalid("checks", "required", "at least one check", "至少一项检查")
    standards = {
        s.code: s
        for s in Standard.objects.filter(
            code__in=[str(c.get("standard", "")).upper() for c in items]
        )
    }
    owner = as_int(owner_id, "owner") if owner_id not in (None, "") else actor.pk
    due = _date(due_on, "due_on") if due_on else day + dt.timedelta(days=RECTIFY_DAYS)
    now = core_clock.now()
    ev = Evaluation.objects.create(
        kind=k.value, site=where, team=who, on=day, evaluator_id=actor.pk, created_at=now
    )
    passed, scores, failures = 0, [], 0
    for i, c in enumerate(items):
        st = standards.get(str(c.get("standard", "")).upper())
        if st is None:
            raise invalid(
                f"checks.{i}.standard", "standard_unknown", "no such standard", "服务标准不存在"
            )
        crit = str(c.get("criterion") or "").lower()
        if crit not in {x["code"] for x in st.criteria}:
            raise invalid(
                f"checks.{i}.criterion",
                "criterion_unknown",
                "not a criterion of this standard",
                "该标准没有此项",
            )
        ok = c.get("passed")
        if not isinstance(ok, bool):
            raise invalid(f"checks.{i}.passed", "required", "true or false", "请填写是否达标")
        score = c.get("score")
        if score is not None and (
            not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100
        ):
            raise invalid(f"checks.{i}.score", "out_of_range", "0 to 100", "应为 0 到 100")
        row = Check.objects.create(
            evaluation=ev,
            standard=st,
            criterion=crit,
            passed=ok,
            score=score,
            finding=clean_text(c.get("finding"), f"checks.{i}.finding", 500, required=False),
        )
        if score is not None:
            scores.append(score)
        if ok:
            passed += 1
            continue
        failures += 1
        Rectification.objects.create(check_row=row, owner_id=owner, due_on=due, opened_at=now)
        Retraining.objects.create(
            check_row=row,
            site=where,
            team=who,
            step=st.step,
            topic=f"{st.code}:{crit}"[:120],
            assigned_at=now,
        )
    if failures:
        names = [str(t).strip() for t in trainees if str(t).strip()]
        people = list(Staff.objects.filter(username__in=names, is_active=True))
        if len(people) != len(set(names)):
            raise invalid(
                "trainees", "unknown_account", "no active staff account", "没有这个在职员工账号"
            )
        if not people:
            people = list(Staff.objects.filter(pk=owner))
        refs: list[str] = []
        for person in people:
            refs += participants.retrain(person, "failed_evaluation", f"evaluation:{ev.pk}")
        Retraining.objects.filter(check_row__evaluation=ev).update(training_ref=",".join(refs)[:64])
    ev.checks_total, ev.checks_passed = len(items), passed
    ev.score = round(sum(scores) / len(scores), 2) if scores else None
    ev.save(update_fields=["checks_total", "checks_passed", "score"])
    audit.record(
        FeedbackAction.EVALUATED,
        actor,
        object_type="feedback_evaluation",
        object_id=ev.pk,
        detail={
            "kind": k.value,
            "site": where,
            "team": who,
            "checks": len(items),
            "passed": passed,
            "failures": failures,
        },
    )
    return ev


@transaction.atomic
def close_rectification(actor: Any, item_id: object, evidence: object) -> Rectification:
    """Close a rectification item with the evidence of closure (what was done, where the
    proof is kept)."""
    require_role(actor, OWNERS, "feedback_rectification")
    r = (
        Rectification.objects.select_for_update()
        .filter(pk=as_int(item_id, "rectification"))
        .first()
    )
    if r is None:
        raise NotFound("no such rectification item", code="rectification_unknown")
    if r.state == ItemState.CLOSED:
        raise Conflict("already closed", code="rectification_closed")
    r.evidence = clean_text(evidence, "evidence", 500)
    r.state, r.closed_at, r.closed_by_id = ItemState.CLOSED, core_clock.now(), actor.pk
    r.save(update_fields=["evidence", "state", "closed_at", "closed_by_id"])
    audit.record(
        FeedbackAction.RECTIFIED,
        actor,
        object_type="feedback_rectification",
        object_id=r.pk,
        detail={"check": r.check_row_id},
    )
    return r
