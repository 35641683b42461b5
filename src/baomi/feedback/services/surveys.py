"""Satisfaction surveys (issue #15 §2, R-J1): a quarterly service survey and a half-yearly
privacy survey, sent only to customers whose consent allows contact, answered once through
a one-time link (no sign-in), results aggregated with small groups suppressed.

* Contact: the consent ledger has no purpose of its own for surveys yet; an invitation is
  contact about the service, so it rides on the `marketing` consent (the gate's consent
  for contacting a customer). Customers under a restriction of processing or erased are
  never invited. (Decision 0033.)
* The link: 32 random bytes, kept only as an HMAC; valid until the survey's period ends
  (+ 30 days), used once. Answering needs nothing else: the token is the credential.
* Results: the share of respondents scoring the `overall` question 4 or 5, and per
  question the mean, by period, channel, site and topic; any group with fewer than
  `min_group` (k, default 10) respondents is suppressed (no figure, `suppressed: true`).
"""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from baomi import audit
from baomi.audit.models import Outcome
from baomi.catalog.enums import Purpose, Role
from baomi.consent import selectors as consent
from baomi.contract import kpis
from baomi.core import clock as core_clock
from baomi.core.errors import BaomiError, Conflict, FieldIssue, Gone, NotFound, ValidationFailed
from baomi.customers.models import Customer
from baomi.rights.models import Restriction
from baomi.vault import services as vault

from ..enums import Channel, FeedbackAction, MessageKind, SurveyScope, SurveyState, Topic
from ..models import Invitation, Message, Survey, SurveyResponse
from .common import as_int, choice, clean_text, invalid, require_role

TABLE = "feedback_survey_response"
SURVEY_ROLES = frozenset({Role.CUSTOMER_SERVICE, Role.MANAGER, Role.PRIVACY_OFFICER})
RESULT_ROLES = SURVEY_ROLES | frozenset({Role.INSPECTOR})
OVERALL = "overall"
SCALE = (1, 5)
MAX_QUESTIONS = 20
LINK_GRACE = timedelta(days=30)
CONTACT_PURPOSE = Purpose.MARKETING


class LinkRefused(BaomiError):
    status = 410
    code = "link_invalid"
    title = "This link cannot be used"


def digest(token: str) -> str:
    return salted_hmac("baomi.feedback.survey", token, algorithm="sha256").hexdigest()


def _questions(raw: object) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_QUESTIONS:
        raise invalid(
            "questions",
            "questions_list",
            f"1 to {MAX_QUESTIONS} questions",
            f"问题应为 1 到 {MAX_QUESTIONS} 个",
        )
    out, seen = [], set()
    for i, q in enumerate(raw):
        if not isinstance(q, Mapping):
            raise invalid(f"questions.{i}", "question_object", "a question object", "问题格式无效")
        code = clean_text(q.get("code"), f"questions.{i}.code", 32).lower()
        kind = str(q.get("kind") or "scale")
        if kind not in ("scale", "text") or code in seen or not code.isidentifier():
            raise invalid(
                f"questions.{i}",
                "question_invalid",
                "a unique code, kind scale or text",
                "问题无效",
            )
        seen.add(code)
        out.append(
            {
                "code": code,
                "kind": kind,
                "text_zh": clean_text(q.get("text_zh"), f"questions.{i}.text_zh", 200),
                "text_en": clean_text(q.get("text_en"), f"questions.{i}.text_en", 200),
            }
        )
    if not any(q["code"] == OVERALL and q["kind"] == "scale" for q in out):
        raise invalid(
            "questions",
            "overall_required",
            "one scale question with code `overall` (overall satisfaction, 1–5)",
            "须包含代码为 overall 的总体满意度评分题（1–5 分）",
        )
    if sum(q["kind"] == "text" for q in out) > 1:
        raise invalid("questions", "one_text", "at most one free-text question", "最多一道文字题")
    return out


@transaction.atomic
def create(
    actor: Any,
    *,
    code: object,
    title_zh: object,
    title_en: object,
    scope: object,
    period: object,
    questions: object,
    target_sample: object = 0,
    min_group: object = 10,
) -> Survey:
    require_role(actor, SURVEY_ROLES, "feedback_survey")
    sc = choice(SurveyScope, scope, "scope", "调查类型")
    p = kpis.parse_period(str(period or ""))
    want = kpis.QUARTER if sc is SurveyScope.SERVICE else kpis.HALF
    if p.granularity not in (kpis.QUARTER, kpis.HALF) or p.granularity != want:
        raise invalid(
            "period",
            "period_granularity",
            "a service survey runs per quarter (2026Q4), a privacy survey per half-year (2026H2)",
            "服务满意度调查按季度（如 2026Q4），隐私满意度调查按半年（如 2026H2）",
        )
    sizes: dict[str, int] = {}
    for name, value, lo, hi in (
        ("target_sample", target_sample, 0, 10**6),
        ("min_group", min_group, 2, 1000),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise invalid(name, "out_of_range", f"{lo} to {hi}", f"应为 {lo} 到 {hi}")
        sizes[name] = value
    key = clean_text(code, "code", 32).upper()
    if Survey.objects.filter(code=key).exists():
        raise Conflict("a survey with this code exists", code="survey_exists")
    s = Survey.objects.create(
        code=key,
        title_zh=clean_text(title_zh, "title_zh", 120),
        title_en=clean_text(title_en, "title_en", 120),
        scope=sc.value,
        period=p.code,
        questions=_questions(questions),
        target_sample=sizes["target_sample"],
        min_group=sizes["min_group"],
        state=SurveyState.OPEN,
        created_at=core_clock.now(),
        created_by_id=getattr(actor, "pk", None),
    )
    audit.record(
        FeedbackAction.SURVEY_CREATED,
        actor,
        object_type="feedback_survey",
        object_id=s.pk,
        detail={"code": s.code, "scope": s.scope, "period": s.period, "target": target_sample},
    )
    return s


def get(survey_id: object) -> Survey:
    s = Survey.objects.filter(pk=as_int(survey_id, "survey")).first()
    if s is None:
        raise NotFound("no such survey", code="survey_unknown")
    return s


@dataclass(frozen=True)
class Sent:
    invited: list[tuple[uuid.UUID, str]]  # (customer, one-time token): hand to the sender
    skipped: dict[str, int]  # reason → count (no_consent, restricted, erased, invited)


@transaction.atomic
def send(actor: Any, survey_id: object, audience: Iterable[Mapping[str, Any]]) -> Sent:
    """Invite customers (`{customer_id, channel?, site?, topic?}` each; the context the
    results are grouped by) through the feedback outbox. Only customers whose consent
    allows contact; never twice. The tokens are answered once to the caller (the sender
    delivers the link) and kept only as HMACs."""
    require_role(actor, SURVEY_ROLES, "feedback_survey")
    s = get(survey_id)
    if s.state != SurveyState.OPEN:
        raise Conflict("the survey is closed", code="survey_closed")
    rows: dict[uuid.UUID, Mapping[str, Any]] = {}
    for i, item in enumerate(audience):
        if not isinstance(item, Mapping):
            raise invalid(f"audience.{i}", "customer_invalid", "a customer id", "客户编号无效")
        for key, enum in (("channel", Channel), ("topic", Topic)):
            if item.get(key):
                choice(enum, item.get(key), f"audience.{i}.{key}", "分组")
        try:
            rows[uuid.UUID(str(item.get("customer_id")))] = item
        except (ValueError, AttributeError):
            raise invalid(
                f"audience.{i}", "customer_invalid", "a customer id", "客户编号无效"
            ) from None
    ids = list(rows)
    live = set(
        Customer.objects.filter(id__in=ids, erased_at__isnull=True).values_list("id", flat=True)
    )
    allowed = consent.consented(live, CONTACT_PURPOSE)
    restricted = set(
        Restriction.objects.filter(customer_id__in=ids, lifted_at__isnull=True).values_list(
            "customer_id", flat=True
        )
    )
    already = set(
        Invitation.objects.filter(survey=s, customer_id__in=ids).values_list(
            "customer_id", flat=True
        )
    )
    skipped: dict[str, int] = defaultdict(int)
    now = core_clock.now()
    expires = kpis.parse_period(s.period).end + LINK_GRACE
    invited: list[tuple[uuid.UUID, str]] = []
    for cid, item in rows.items():
        reason = (
            "erased"
            if cid not in live
            else "restricted"
            if cid in restricted
            else "no_consent"
            if cid not in allowed
            else "invited"
            if cid in already
            else ""
        )
        if reason:
            skipped[reason] += 1
            continue
        token = secrets.token_urlsafe(32)
        item_ch = str(item.get("channel") or "").strip().lower()
        item_topic = str(item.get("topic") or "").strip().lower()
        item_site = clean_text(item.get("site"), "site", 16, required=False).upper()
        inv = Invitation.objects.create(
            survey=s,
            customer_id=cid,
            token_digest=digest(token),
            channel=item_ch,
            site=item_site,
            topic=item_topic,
            sent_at=now,
            expires_at=expires,
        )
        Message.objects.create(
            customer_id=cid, kind=MessageKind.SURVEY, invitation=inv, created_at=now
        )
        invited.append((cid, token))
    audit.record(
        FeedbackAction.SURVEY_SENT,
        actor,
        object_type="feedback_survey",
        object_id=s.pk,
        detail={
            "invited": len(invited),
            "skipped": dict(skipped),
            "purpose": CONTACT_PURPOSE.value,
        },
    )
    return Sent(invited, dict(skipped))


def invitation(token: object) -> Invitation:
    """The open invitation of a one-time link (refused, audited, when unknown, used or
    expired — one answer for all, so a link says nothing about others)."""
    inv = (
        Invitation.objects.select_related("survey")
        .filter(token_digest=digest(str(token or "")))
        .first()
    )
    now = core_clock.now()
    if (
        inv is None
        or inv.used_at is not None
        or inv.expires_at <= now
        or inv.survey.state != SurveyState.OPEN
        or inv.customer_id is None
    ):
        audit.record_refusal(
            FeedbackAction.SURVEY_REFUSED,
            None,
            object_type="feedback_survey",
            object_id=inv.survey_id if inv else "",
            outcome=Outcome.DENIED,
            detail={"reason": "link_invalid"},
        )
        raise LinkRefused("this survey link is unknown, used or expired")
    return inv


@transaction.atomic
def answer(token: object, answers: object, comment: object = "") -> SurveyResponse:
    """One answer per invitation (so per customer and survey): scale questions 1–5, the
    free-text one sealed under the customer's key at once."""
    inv = invitation(token)
    Invitation.objects.select_for_update().filter(pk=inv.pk).first()
    s = inv.survey
    if not isinstance(answers, Mapping):
        raise invalid("answers", "answers_object", "answers: question code → score", "答案格式无效")
    scores: dict[str, int] = {}
    issues = []
    for q in s.questions:
        if q["kind"] != "scale":
            continue
        v = answers.get(q["code"])
        if v is None and q["code"] != OVERALL:
            continue
        if not isinstance(v, int) or isinstance(v, bool) or not SCALE[0] <= v <= SCALE[1]:
            issues.append(q["code"])
            continue
        scores[q["code"]] = v
    unknown = set(answers) - {q["code"] for q in s.questions}
    if issues or unknown:
        raise ValidationFailed(
            [
                FieldIssue(f"answers.{c}", "out_of_range", "a score from 1 to 5", "评分应为 1 到 5")
                for c in issues
            ]
            + [
                FieldIssue(
                    f"answers.{c}"[:60],
                    "question_unknown",
                    "not a question of this survey",
                    "不是本调查的问题",
                )
                for c in sorted(unknown)
            ]
        )
    text = clean_text(comment, "comment", 2000, required=False)
    now = core_clock.now()
    r = SurveyResponse(
        survey=s,
        invitation=inv,
        customer_id=inv.customer_id,
        channel=inv.channel,
        site=inv.site,
        topic=inv.topic,
        scores=scores,
        overall=scores[OVERALL],
        submitted_at=now,
    )
    try:
        with transaction.atomic():
            r.save(force_insert=True)
    except IntegrityError:
        raise LinkRefused("this survey link was used") from None
    if text:
        cid = uuid.UUID(str(inv.customer_id))
        sealed = vault.seal_for([(cid, TABLE, "comment", text, r.pk)])
        blob = sealed.get((str(cid), r.pk))
        if blob is None:
            raise Gone("this customer's data has been erased")
        r.comment = blob
        r.save(update_fields=["comment"])
    Invitation.objects.filter(pk=inv.pk).update(used_at=now)
    audit.record(
        FeedbackAction.SURVEY_ANSWERED,
        None,
        object_type="feedback_survey",
        object_id=s.pk,
        detail={"customer": str(inv.customer_id), "response": r.pk},
    )
    return r


# -- results ----------------------------------------------------------------------------------
GROUPINGS = ("channel", "site", "topic")


def _group(rows: list[SurveyResponse], k: int) -> dict[str, Any]:
    n = len(rows)
    if n < k:
        return {"respondents": None, "suppressed": True}
    satisfied = sum(r.overall >= 4 for r in rows)
    means: dict[str, float] = {}
    per: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        for code, v in r.scores.items():
            per[code].append(int(v))
    for code, vs in per.items():
        means[code] = round(sum(vs) / len(vs), 2) if len(vs) >= k else None  # type: ignore[assignment]
    return {
        "respondents": n,
        "suppressed": False,
        "satisfied_share": round(100 * satisfied / n, 2),
        "means": means,
    }


def results(survey: Survey, by: str | None = None) -> dict[str, Any]:
    """The survey's figures overall and, with `by` (channel, site or topic), per group;
    every group below k is suppressed — and so is the overall figure when it is below k.
    A suppressed group's size is not shown either (it could be subtracted out)."""
    if by is not None and by not in GROUPINGS:
        raise invalid("by", "invalid_choice", "channel, site or topic", "分组方式无效")
    rows = list(SurveyResponse.objects.filter(survey=survey).only("overall", "scores", *GROUPINGS))
    k = survey.min_group
    out: dict[str, Any] = {
        "survey": survey.code,
        "period": survey.period,
        "scope": survey.scope,
        "k": k,
        "invited": Invitation.objects.filter(survey=survey).count(),
        "target_sample": survey.target_sample,
        "overall": _group(rows, k),
    }
    if by:
        groups: dict[str, list[SurveyResponse]] = defaultdict(list)
        for r in rows:
            groups[getattr(r, by) or "-"].append(r)
        out["by"] = by
        out["groups"] = [{"key": key, **_group(g, k)} for key, g in sorted(groups.items())]
        # with exactly one small group suppressed, the others and the total would reveal it
        small = [g for g in out["groups"] if g["suppressed"]]
        if len(small) == 1 and len(out["groups"]) > 1:
            smallest = min(
                (g for g in out["groups"] if not g["suppressed"]),
                key=lambda g: g["respondents"],
            )
            smallest.update({"respondents": None, "suppressed": True})
            smallest.pop("satisfied_share", None)
            smallest.pop("means", None)
    return out


def erase(customer_id: uuid.UUID) -> dict[str, int]:
    """A customer's survey answers keep their scores for the aggregates but lose their
    comment and the link to the customer; their invitations are unlinked too."""
    n = SurveyResponse.objects.filter(customer_id=customer_id).update(comment=None, customer=None)
    m = Invitation.objects.filter(customer_id=customer_id).update(customer=None)
    out = {}
    if n:
        out["feedback_survey_response"] = n
    if m:
        out["feedback_invitation"] = m
    return out
