"""Demo of training (issue #14 §5), through the real services: a required yearly privacy
course (question bank + classification questions from the catalogue) for every role,
a confidentiality agreement and a current certificate for every demo account — so the
demo behaves as before — and ONE untrained account, `demo_untrained`, a front desk hired
60 days ago with an agreement but no certificate: past the grace period, sensitive fields
are withheld from it with `training_required` until it passes the exam in the console."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from django.db import transaction

from baomi.access import mfa
from baomi.access.models import Staff
from baomi.access.services import create_staff_with_mfa
from baomi.catalog.enums import Role
from baomi.contract.participants import DemoContext
from baomi.core import clock
from baomi.customers.demo import DemoAccount

from . import exams as exams_service
from . import services
from .enums import AssignmentState, CertificateSource, CourseKind, RuleEvent
from .models import Agreement, Assignment, AssignmentRule, Attempt, Certificate
from .services import QuestionData
from .standing import today

COURSE = "privacy-yearly"
UNTRAINED = "demo_untrained"
AGREEMENT = "2026.1"
BANK = [
    QuestionData(
        "single",
        "可以把客户的证件号码拍照发到个人微信吗？",
        "May you photograph a customer's ID number and send it to a personal chat?",
        [
            {"zh": "可以，方便同事查看", "en": "Yes, it helps colleagues"},
            {"zh": "不可以", "en": "No"},
        ],
        [1],
    ),
    QuestionData(
        "multiple",
        "以下哪些属于敏感个人信息？",
        "Which of these are sensitive personal information?",
        [
            {"zh": "身份证号码", "en": "Resident ID number"},
            {"zh": "酒店入住记录", "en": "Hotel stays"},
            {"zh": "枕头偏好", "en": "Pillow preference"},
        ],
        [0, 1],
    ),
    QuestionData(
        "single",
        "发现客户信息可能泄露时，应当？",
        "When customer data may have leaked, you…",
        [
            {"zh": "立即向隐私官报告", "en": "Report it to the privacy officer at once"},
            {"zh": "自己先处理，以后再说", "en": "Handle it yourself and mention it later"},
        ],
        [0],
    ),
    QuestionData(
        "single",
        "为营销目的查看客户资料需要？",
        "To look at a customer's profile for marketing you need…",
        [
            {"zh": "客户的营销同意", "en": "The customer's marketing consent"},
            {"zh": "主管口头批准", "en": "A manager's verbal approval"},
        ],
        [0],
    ),
]


def _account(username: str, role: str) -> DemoAccount:
    password = secrets.token_urlsafe(12)
    existing = Staff.objects.filter(username=username).first()
    if existing is None:
        new = create_staff_with_mfa(None, username, role, password)
        return DemoAccount(username, role, password, new.totp_secret)
    existing.set_password(password)
    existing.password_changed_at = clock.now()
    existing.is_active = True
    existing.save(update_fields=["password", "password_changed_at", "is_active"])
    secret = None
    if mfa.requires_mfa(role):
        mfa.reset(existing)
        secret = mfa.start_enrolment(existing, confirmed=True).secret_b32
    return DemoAccount(username, role, password, secret)


@transaction.atomic
def load() -> DemoAccount:
    """Idempotent. Returns the untrained account (its password printed once)."""
    hr = Staff.objects.get(username=f"demo_{Role.HR.value}")
    course = services.save_course(
        hr,
        code=COURSE,
        kind=CourseKind.YEARLY,
        title_zh="年度隐私与信息安全培训",
        title_en="Yearly privacy and information security",
        body_zh="客户信息分为基础信息、敏感信息和隐私偏好三类。敏感信息（证件号码、入住记录、"
        "支付信息等）只在岗位和目的需要时查看，不拍照、不外传；发现泄露立即报告隐私官。",
        body_en="Customer information is basic, sensitive or preference. Look at sensitive "
        "information (ID numbers, stays, payment data…) only when your role and purpose need "
        "it; never photograph or forward it; report a suspected leak to the privacy officer "
        "at once.",
        questions_per_exam=3,
        classification_questions=3,
        pass_mark=80,
        questions=BANK,
    )
    long_ago = clock.now() - timedelta(days=60)
    if not AssignmentRule.objects.filter(course=course, event=RuleEvent.YEARLY).exists():
        # the course became required 60 days ago: recorded through the service, on the
        # services' own clock moved back (as the demo steps do), never edited afterwards
        with DemoContext.at(long_ago):
            services.save_rule(hr, course=course, event=RuleEvent.YEARLY, apply_now=False)
    untrained = _account(UNTRAINED, Role.FRONT_DESK.value)
    u = Staff.objects.get(username=UNTRAINED)
    services.save_employment(hr, u, department="前台部", hired_on=today() - timedelta(days=60))
    Certificate.objects.filter(staff=u).delete()  # re-running the demo shows the rule again
    everyone = list(Staff.objects.filter(username__startswith="demo_"))
    signed = set(Agreement.objects.filter(staff__in=everyone).values_list("staff_id", flat=True))
    certified = set(
        Certificate.objects.filter(
            staff__in=everyone, course=course, expires_on__gte=today()
        ).values_list("staff_id", flat=True)
    )
    for s in everyone:
        if s.pk not in signed:
            services.record_agreement(hr, s, AGREEMENT, today() - timedelta(days=1))
        if s.pk not in certified and s.pk != u.pk:
            services.certify(s, course, CertificateSource.ATTENDANCE)
    services.run_rules(hr)  # the untrained account gets its (open) assignment
    return untrained


# the people who sit this quarter's refresher exam in the demo (issue #19): the first
# answers every question right, the second fails once and passes on the second attempt
EXAMINEES = ("demo_courier", "demo_customer_service", "demo_front_desk")


def _answers(att: Attempt, right: bool) -> dict[str, list[int]]:
    """What the examinee ticks: the right options (they know the course), or a wrong one."""
    out = {}
    for key, options in att.answer_key.items():
        n = len(next(q["options"] for q in att.questions if q["key"] == key))
        out[key] = list(options) if right else [i for i in range(n) if i not in options][:1]
    return out


def exams(ctx: DemoContext) -> None:
    """The quarter's refresher exam (training.exam_pass_rate): HR assigns the yearly
    course to a few demo accounts and they sit the exam in the console's way (start, then
    submit), some passing at once, one after a failed first attempt."""
    hr = Staff.objects.get(username=f"demo_{Role.HR.value}")
    people = list(Staff.objects.filter(username__in=EXAMINEES).order_by("username"))
    # the year's open assignment of each (the yearly rule gave it), or a new one by hand
    open_ = {
        a.staff_id: a
        for a in Assignment.objects.filter(
            staff__in=people, course__code=COURSE, state=AssignmentState.OPEN
        ).select_related("staff")
    }
    todo = [p for p in people if p.pk not in open_]
    assigned = [open_[p.pk] for p in people if p.pk in open_]
    if todo:
        assigned += services.assign(hr, COURSE, todo, reason="demo refresher")
    rng = random.Random(ctx.seed)
    for n, a in enumerate(assigned):
        who = a.staff
        first = exams_service.start(who, a.pk, rng)
        passes_first = n != 1
        exams_service.submit(who, a.pk, _answers(first, passes_first))
        if not passes_first:
            second = exams_service.start(who, a.pk, rng)
            exams_service.submit(who, a.pk, _answers(second, True))
