"""Console and portal pages of the feedback domain (issue #15): the customer-service
queue with due badges, a ticket (its texts through the gate), staff intake at the counter
or on the phone, service standards / evaluations / rectification items, survey results
(small groups suppressed); the customer's own tickets in the portal and the one-time
survey link. Thin: parse, call a service, render; errors in words."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from baomi.catalog.enums import Role
from baomi.console.decorators import roles_required
from baomi.core.errors import BaomiError, ValidationFailed
from baomi.core.i18n import bi
from baomi.customers import gate
from baomi.portal.senders import get_sender
from baomi.portal.views import subject_required

from . import presenters as P
from .enums import (
    OPEN_STATES,
    Channel,
    Kind,
    MessageKind,
    MessageStatus,
    PauseReason,
    State,
    Topic,
)
from .messages import link_token
from .models import Evaluation, Message, Rectification, Retraining, Standard, Survey
from .services import standards as standards_svc
from .services import surveys as surveys_svc
from .services import tickets
from .services.common import HANDLERS, INTAKE_ROLES, PRIVACY_ROLES, QUALITY_ROLES

QUEUE_ROLES = {r.value for r in HANDLERS | PRIVACY_ROLES}
INTAKE = {r.value for r in INTAKE_ROLES}
QUALITY = {r.value for r in QUALITY_ROLES | {Role.PRIVACY_OFFICER}}


def _error(
    request: HttpRequest, exc: BaomiError, template: str = "console/error.html"
) -> HttpResponse:
    ctx = {"title": bi("未能完成", "Not done"), "message": P.error_text(exc), "code": exc.code}
    if isinstance(exc, ValidationFailed):
        ctx["message"] = "；".join(bi(i.zh, i.en) for i in exc.issues)
    return render(request, template, ctx, status=exc.status)


def _flash_error(request: HttpRequest, exc: BaomiError) -> None:
    if isinstance(exc, ValidationFailed):
        messages.error(request, "；".join(bi(i.zh, i.en) for i in exc.issues))
    else:
        messages.error(request, P.error_text(exc))


# -- console: the queue and a ticket ---------------------------------------------------------
@roles_required(QUEUE_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    qs = tickets.visible(request.user).order_by("first_response_due", "id")
    if show != "all":
        qs = qs.filter(state__in=OPEN_STATES)
    tickets.escalate_due()
    rows = [P.row(t) for t in qs[:200]]
    return render(
        request,
        "feedback/queue.html",
        {"rows": rows, "show": show, "escalated": sum(r["escalate"] for r in rows)},
    )


@roles_required(INTAKE)
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            t = tickets.receive(
                request.user,
                customer_id=data.get("customer_id") or None,
                channel=data.get("channel"),
                kind=data.get("kind"),
                topic=data.get("topic"),
                text=data.get("text"),
                site=data.get("site", ""),
            )
        except BaomiError as exc:
            _flash_error(request, exc)
        else:
            messages.success(
                request,
                bi(
                    f"已登记反馈 #{t.pk}，首次答复期限 {P.local(t.first_response_due)}。",
                    f"Ticket #{t.pk} recorded; first response due {P.local(t.first_response_due)}.",
                ),
            )
            if request.user.role_code in QUEUE_ROLES:  # type: ignore[union-attr]
                return redirect("feedback:ticket", t.pk)
            return redirect("feedback:new")
    ctx = {
        "channels": P.choices(Channel),
        "kinds": P.choices(Kind),
        "topics": P.choices(Topic),
        "data": data,
    }
    return render(request, "feedback/new.html", ctx)


@roles_required(QUEUE_ROLES)
def ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        t = tickets.get(request.user, ticket_id)
    except BaomiError as exc:
        return _error(request, exc)
    texts = tickets.open_texts(request.user, [t]).get(t.pk, {})
    ctx = {
        "x": P.row(t),
        "texts": texts,
        "moves": P.moves(t),
        "reasons": P.pause_reasons(),
        "pauses": [
            (P.label(PauseReason, p.reason), P.local(p.started_at), P.local(p.ended_at))
            for p in t.pauses.all()
        ],
        "messages_sent": [
            (P.message_label(m.kind), P.local(m.created_at)) for m in t.messages.all()
        ],
    }
    return render(request, "feedback/ticket.html", ctx)


@roles_required(QUEUE_ROLES)
@require_POST
def move(request: HttpRequest, ticket_id: int) -> HttpResponse:
    p = request.POST
    try:
        tickets.transition(
            request.user,
            ticket_id,
            p.get("to"),
            text=p.get("text") or None,
            reason=p.get("reason") or None,
            assignee_id=p.get("assignee_id") or None,
        )
    except BaomiError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, bi("已更新。", "Updated."))
    return redirect("feedback:ticket", ticket_id)


@roles_required({Role.CUSTOMER_SERVICE.value})
@require_POST
def rating(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        tickets.rate(request.user, ticket_id, _score(request.POST.get("score")))
    except BaomiError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, bi("已记录客户评价。", "Rating recorded."))
    return redirect("feedback:ticket", ticket_id)


def _score(raw: object) -> object:
    try:
        return int(str(raw))
    except ValueError:
        return raw


# -- console: standards, evaluations, rectification, surveys ---------------------------------
@roles_required(QUALITY)
def standards(request: HttpRequest) -> HttpResponse:
    evals = list(Evaluation.objects.all()[:50])
    items = list(
        Rectification.objects.select_related("check_row__standard", "check_row__evaluation")[:200]
    )
    ctx = {
        "standards": [{"s": s, "step": P.step_label(s.step)} for s in Standard.objects.all()],
        "evaluations": evals,
        "items": [{"r": r, "state": P.item_state(r.state)} for r in items],
        "retraining": [
            {"r": r, "step": P.step_label(r.step), "state": P.item_state(r.state)}
            for r in Retraining.objects.all()[:200]
        ],
        "may_close": request.user.role_code in {r.value for r in standards_svc.OWNERS},  # type: ignore[union-attr]
    }
    return render(request, "feedback/standards.html", ctx)


@roles_required(QUALITY)
@require_POST
def close_item(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        standards_svc.close_rectification(request.user, item_id, request.POST.get("evidence"))
    except BaomiError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, bi("整改项已关闭。", "Item closed."))
    return redirect("feedback:standards")


@roles_required(QUALITY)
def surveys_page(request: HttpRequest) -> HttpResponse:
    by = request.GET.get("by") or None
    if by not in surveys_svc.GROUPINGS:
        by = None
    rows = [{"s": s, "r": surveys_svc.results(s, by)} for s in Survey.objects.all()[:20]]
    return render(request, "feedback/surveys.html", {"rows": rows, "by": by})


@roles_required({Role.PRIVACY_OFFICER.value})
def outbox(request: HttpRequest) -> HttpResponse:
    """The feedback outbox (as the portal's): messages to customers; with the outbox sender
    (development, demos) a survey invitation's one-time link while it is valid."""
    reveal = getattr(get_sender(), "reveals_codes", False)
    rows = []
    for m in Message.objects.select_related("invitation")[:200]:
        token = link_token(m.pk) if reveal and m.kind == MessageKind.SURVEY else None
        rows.append(
            {
                "m": m,
                "kind": P.message_label(m.kind),
                "status": P.label(MessageStatus, m.status),
                "at": P.local(m.created_at),
                "link": reverse("feedback:survey", args=[token]) if token else "",
            }
        )
    return render(request, "feedback/outbox.html", {"rows": rows})


# -- portal: the customer's own tickets, the one-time survey link -----------------------------
@subject_required
@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    if request.method == "POST":
        try:
            tickets.receive(
                subject,
                channel="portal",
                kind=request.POST.get("kind"),
                topic=request.POST.get("topic"),
                text=request.POST.get("text"),
            )
        except BaomiError as exc:
            _flash_error(request, exc)
        else:
            messages.success(
                request,
                bi(
                    "已收到您的反馈，我们会在 24 小时内答复。",
                    "Thank you: we will answer within 24 hours.",
                ),
            )
            return redirect("feedback:mine")
    rows = list(tickets.visible(subject).order_by("-received_at")[:50])
    texts = tickets.open_texts(subject, rows)
    ctx = {
        "rows": [
            {
                "t": t,
                "kind": P.label(Kind, t.kind),
                "topic": P.label(Topic, t.topic),
                "state": P.label(State, t.state),
                "received": P.local(t.received_at),
                "texts": texts.get(t.pk, {}),
                "may_rate": t.state == State.CLOSED and t.rating is None,
            }
            for t in rows
        ],
        "kinds": P.choices(Kind),
        "topics": P.choices(Topic),
    }
    return render(request, "feedback/mine.html", ctx)


@subject_required
@require_POST
def mine_rate(request: HttpRequest, subject: gate.DataSubject, ticket_id: int) -> HttpResponse:
    try:
        tickets.rate(subject, ticket_id, _score(request.POST.get("score")))
    except BaomiError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, bi("感谢您的评价。", "Thank you for your rating."))
    return redirect("feedback:mine")


@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        inv = surveys_svc.invitation(token)
    except BaomiError as exc:
        return _error(request, exc, "feedback/survey_gone.html")
    s = inv.survey
    if request.method == "POST":
        answers: dict[str, Any] = {}
        for q in s.questions:
            if q["kind"] == "scale" and request.POST.get(q["code"]):
                answers[q["code"]] = _score(request.POST.get(q["code"]))
        text_q = next((q for q in s.questions if q["kind"] == "text"), None)
        comment = request.POST.get(text_q["code"], "") if text_q else ""
        try:
            surveys_svc.answer(token, answers, comment)
        except BaomiError as exc:
            if not isinstance(exc, ValidationFailed):
                return _error(request, exc, "feedback/survey_gone.html")
            _flash_error(request, exc)
        else:
            return render(request, "feedback/survey_done.html", {"s": s})
    questions = [
        {"q": q, "text": bi(q["text_zh"], q["text_en"]), "scale": range(1, 6)} for q in s.questions
    ]
    return render(
        request,
        "feedback/survey.html",
        {"s": s, "title": bi(s.title_zh, s.title_en), "questions": questions},
    )
