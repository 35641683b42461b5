"""Console pages of training (issue #14): my training and exams (every member of staff),
courses, rules, sign-in sheets, agreements and reports (HR), my team (managers), the
responsibility matrix (HR and the privacy officer edit; managers and inspectors read).
Thin: parse, call a service, render; errors in words, in the active language. No
customer data on any of these pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from baomi.catalog.enums import Role
from baomi.console import labels
from baomi.console.decorators import error_page, role_required, staff_required
from baomi.core.errors import BaomiError, FieldIssue, Forbidden, ValidationFailed
from baomi.core.i18n import bi, half

from . import duties as duties_mod
from . import exams, selectors, services, standing
from .enums import AssignmentState, CourseKind, LifecycleStep, RuleEvent
from .forms import format_questions, parse_questions
from .models import Course
from .services import QuestionData

HR = Role.HR
MESSAGES = {
    "role_required": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "not_found": ("未找到该记录。", "Not found."),
    "not_your_assignment": ("这不是您的培训任务。", "This is not your assignment."),
    "assignment_closed": ("该培训任务已结束。", "This assignment is closed."),
    "attempts_exhausted": ("考试次数已用完，请联系人力资源部。", "No attempts left: ask HR."),
    "no_exam": (
        "该课程没有考试，以现场签到完成。",
        "This course has no exam: attendance completes it.",
    ),
    "exam_not_started": ("请先开始考试。", "Start the exam first."),
    "agreement_exists": ("该版本的保密协议已登记。", "This agreement version is on file."),
}


def _error(exc: BaomiError) -> str:
    if isinstance(exc, ValidationFailed):
        return bi("；".join(i.zh for i in exc.issues), "; ".join(i.en for i in exc.issues))
    zh, en = MESSAGES.get(exc.code, ("操作未完成。", "The action did not complete."))
    return bi(zh, en)


def _title(c: Course) -> str:
    return bi(c.title_zh, c.title_en)


def _titles() -> dict[str, str]:
    """Course code → title in the active language (what people read instead of codes)."""
    return {
        code: bi(zh, en)
        for code, zh, en in Course.objects.values_list("code", "title_zh", "title_en")
    }


def _standing_ctx(st: standing.Standing, titles: dict[str, str]) -> dict[str, Any]:
    return {
        "applies": st.applies,
        "current": st.current,
        "withheld": st.withheld,
        "grace_ends": st.grace_ends,
        "missing": [
            bi("保密协议", "Confidentiality agreement")
            if m.code == "agreement"
            else titles.get(m.code, m.code)
            for m in st.missing
        ],
    }


def _rows(assignments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for a in assignments:
        a["title"] = bi(a["title_zh"], a["title_en"])
        a["state_label"] = half(AssignmentState(a["state"]).label)
    return assignments


@staff_required
def me(request: HttpRequest) -> HttpResponse:
    data = selectors.me(request.user)
    st = standing.standing(request.user)
    titles = _titles()
    for c in data["certificates"]:
        c["title"] = titles.get(c["course"], c["course"])
    return render(
        request,
        "training/me.html",
        {
            "standing": _standing_ctx(st, titles),
            "assignments": _rows(data["assignments"]),
            "certificates": data["certificates"],
            "agreements": data["agreements"],
            "grace_days": standing.grace_days(),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def exam(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The course's content and its exam: start (draws the questions), answer, result."""
    try:
        a = services.get_assignment(assignment_id)
        if a.staff_id != request.user.pk:
            raise Forbidden("not yours", code="not_your_assignment")
    except BaomiError as exc:
        return error_page(request, exc)
    pending = a.attempts.filter(submitted_at__isnull=True).order_by("-number").first()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "start":
                exams.start(request.user, a.pk)
                return redirect("training:exam", assignment_id=a.pk)
            answers = {
                q["key"]: [int(v) for v in request.POST.getlist(q["key"]) if v.isdigit()]
                for q in (pending.questions if pending else [])
            }
            r = exams.submit(request.user, a.pk, answers)
        except BaomiError as exc:
            messages.error(request, _error(exc))
            return redirect("training:exam", assignment_id=a.pk)
        if r.passed:
            messages.success(
                request,
                bi(
                    f"考试通过：{r.score} 分。证书有效期至 {r.certificate_expires_on}。",
                    f"Passed with {r.score} %. Certificate valid until {r.certificate_expires_on}.",
                ),
            )
            return redirect("training:me")
        messages.error(
            request,
            bi(
                f"未通过：{r.score} 分（及格线 {a.course.pass_mark}）。剩余 {r.attempts_left} 次。",
                f"Not passed: {r.score} % (pass mark {a.course.pass_mark}). "
                f"{r.attempts_left} attempt(s) left.",
            ),
        )
        return redirect("training:exam", assignment_id=a.pk)
    questions = []
    for q in pending.questions if pending else []:
        multi = q["kind"] == "multiple"
        questions.append(
            {
                "key": q["key"],
                "text": bi(q["text_zh"], q["text_en"]),
                "multi": multi,
                "options": [(i, bi(o["zh"], o["en"])) for i, o in enumerate(q["options"])],
            }
        )
    return render(
        request,
        "training/exam.html",
        {
            "a": a,
            "course": a.course,
            "title": _title(a.course),
            "body": a.course.body_zh if bi("zh", "en") == "zh" else a.course.body_en,
            "links": a.course.links,
            "pending": pending,
            "questions": questions,
            "attempts_left": exams.attempts_left(a),
            "open": a.state == AssignmentState.OPEN,
            "has_exam": a.course.has_exam,
        },
    )


def _course_form(post: Any) -> dict[str, Any]:
    def num(name: str, default: int) -> int:
        v = str(post.get(name, "")).strip()
        return int(v) if v.isdigit() else default

    links = []
    for line in str(post.get("links", "")).splitlines():
        title, _, url = line.strip().rpartition(" ")
        if line.strip():
            links.append({"title": title.strip() or url, "url": url.strip()})
    return {
        "code": str(post.get("code", "")).strip(),
        "kind": str(post.get("kind", "")),
        "title_zh": str(post.get("title_zh", "")),
        "title_en": str(post.get("title_en", "")),
        "body_zh": str(post.get("body_zh", "")),
        "body_en": str(post.get("body_en", "")),
        "links": links,
        "pass_mark": num("pass_mark", 80),
        "questions_per_exam": num("questions_per_exam", 10),
        "classification_questions": num("classification_questions", 0),
        "max_attempts": num("max_attempts", 3),
        "certificate_months": num("certificate_months", 12),
        "required": post.get("required") == "on",
    }


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(v, half(label)) for v, label in enum.choices]


@role_required(HR)
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """HR: courses (new or revised), assignment rules, sign-in sheets, agreements, hire
    data. Each form posts `action`; an error keeps what was typed."""
    form: dict[str, Any] = {}
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "course":
                form = _course_form(request.POST)
                qtext = str(request.POST.get("questions", ""))
                qs: list[QuestionData] | None = parse_questions(qtext) if qtext.strip() else None
                c = services.save_course(request.user, **form, questions=qs)
                messages.success(
                    request,
                    bi(f"课程已保存（第 {c.version} 版）。", f"Course saved (v{c.version})."),
                )
            elif action == "rule":
                days = str(request.POST.get("due_days", "30"))
                made = services.save_rule(
                    request.user,
                    course=request.POST.get("course", ""),
                    event=str(request.POST.get("event", "")),
                    role=str(request.POST.get("role", "")),
                    department=str(request.POST.get("department", "")),
                    due_days=int(days) if days.isdigit() else 0,
                )
                messages.success(request, bi("规则已保存。", "Rule saved.") + f" #{made.pk}")
            elif action == "attendance":
                upload = request.FILES.get("sheet")
                text = (
                    upload.read().decode("utf-8", "replace")
                    if upload
                    else str(request.POST.get("csv", ""))
                )
                r = services.import_attendance(request.user, text)
                messages.success(
                    request,
                    bi(
                        f"已登记 {r.recorded} 人次（重复 {r.duplicates}），"
                        f"颁发证书 {r.certified} 张。",
                        f"{r.recorded} recorded ({r.duplicates} duplicates), "
                        f"{r.certified} certificates issued.",
                    ),
                )
            elif action == "agreement":
                services.record_agreement(
                    request.user,
                    str(request.POST.get("staff", "")),
                    str(request.POST.get("version", "")),
                    _date(request.POST.get("signed_on")),
                )
                messages.success(request, bi("保密协议已登记。", "Agreement recorded."))
            elif action == "employment":
                hired = request.POST.get("hired_on")
                services.save_employment(
                    request.user,
                    str(request.POST.get("staff", "")),
                    department=str(request.POST.get("department", "")),
                    site=str(request.POST.get("site", "")),
                    hired_on=_date(hired) if hired else None,
                )
                messages.success(request, bi("入职信息已保存。", "Employment saved."))
            elif action == "run":
                made_n = len(services.run_rules(request.user))
                messages.success(
                    request, bi(f"新分配 {made_n} 项。", f"{made_n} new assignment(s).")
                )
            return redirect("training:manage")
        except BaomiError as exc:
            errors.append(_error(exc))
    edit: Course | None = None
    code = request.GET.get("course")
    if code and not form:
        edit = Course.objects.filter(code=code).first()
        if edit is not None:
            c = edit
            form = {
                **{
                    k: getattr(c, k)
                    for k in (
                        "code",
                        "kind",
                        "title_zh",
                        "title_en",
                        "body_zh",
                        "body_en",
                        "pass_mark",
                        "questions_per_exam",
                        "classification_questions",
                        "max_attempts",
                        "certificate_months",
                        "required",
                    )
                },
                "links": c.links,
            }
            bank = [
                QuestionData(q.kind, q.text_zh, q.text_en, list(q.options), list(q.correct))
                for q in c.questions.filter(active=True).order_by("pk")
            ]
            form["questions"] = format_questions(bank)
    form.setdefault(
        "links_text", "\n".join(f"{x['title']} {x['url']}" for x in form.get("links", []))
    )
    courses = [
        {
            **selectors.course_json(c),
            "title": _title(c),
            "kind_label": half(CourseKind(c.kind).label),
        }
        for c in selectors.courses()
    ]
    rules = [
        {
            **selectors.rule_json(r),
            "event_label": half(RuleEvent(r.event).label),
            "role_label": labels.choice_label(Role, r.role)
            if r.role
            else bi("所有岗位", "Any role"),
        }
        for r in selectors.rules()
    ]
    return render(
        request,
        "training/manage.html",
        {
            "form": form,
            "edit": edit,
            "errors": errors,
            "courses": courses,
            "rules": rules,
            "kinds": _choices(CourseKind),
            "events": _choices(RuleEvent),
            "roles": _choices(Role),
            "today": standing.today(),
        },
    )


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        raise ValidationFailed(
            [FieldIssue("date", "date_invalid", "a date YYYY-MM-DD", "日期格式应为 YYYY-MM-DD")]
        ) from None


@role_required(HR, Role.MANAGER)
def reports(request: HttpRequest) -> HttpResponse:
    """HR: everyone; a manager: their team. Who is current, who is in grace, who has
    sensitive fields withheld; overdue assignments."""
    actor: Any = request.user
    staff = selectors.team_members(actor)
    st = standing.standing_many(staff)
    titles = _titles()
    people = [
        {
            "username": s.username,
            "role": labels.choice_label(Role, s.role_code),
            **_standing_ctx(st[s.pk], titles),
        }
        for s in staff
    ]
    overdue = _rows(selectors.assignments_json(selectors.visible_assignments(actor, overdue=True)))
    return render(
        request,
        "training/reports.html",
        {"people": people, "overdue": overdue, "team": actor.role_code == Role.MANAGER},
    )


@role_required(HR, Role.PRIVACY_OFFICER, Role.MANAGER, Role.INSPECTOR)
@require_http_methods(["GET", "POST"])
def duties(request: HttpRequest) -> HttpResponse:
    editor = getattr(request.user, "role_code", "") in {r.value for r in duties_mod.EDITORS}
    errors: list[str] = []
    if request.method == "POST":
        if not editor:
            return error_page(request, Forbidden("read only", code="role_required"))
        try:
            duties_mod.set_duty(
                request.user,
                str(request.POST.get("step", "")),
                str(request.POST.get("unit", "")),
                str(request.POST.get("owner", "")).strip(),
                str(request.POST.get("deputy", "")).strip() or None,
            )
            messages.success(request, bi("职责已保存。", "Duty saved."))
            return redirect("training:duties")
        except BaomiError as exc:
            errors.append(_error(exc))
    steps = _choices(LifecycleStep)
    rows = [
        {"unit": row[0].unit, "label": _unit(row[0].unit), "cells": row}
        for row in duties_mod.matrix()
    ]
    return render(
        request,
        "training/duties.html",
        {
            "steps": steps,
            "rows": rows,
            "flags": duties_mod.flags(),
            "editor": editor,
            "errors": errors,
            "org": duties_mod.ORG,
        },
    )


def _unit(u: str) -> str:
    return bi("整个机构", "Whole organisation") if u == duties_mod.ORG else u
