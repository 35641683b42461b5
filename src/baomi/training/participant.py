"""The training app in the participant contract (issue #14): its audit actions, the staff
withholder the gate asks (decision 0030: staff whose required training or confidentiality
agreement is not current, past the grace period, see no sensitive field — reason
`training_required`), console pages and nav entries, banners (my standing; duty gaps on
the home page of HR and the privacy officer) and the indicators."""

from __future__ import annotations

from typing import Any

from baomi.catalog.enums import Role
from baomi.contract.participants import (
    Banner,
    DemoStep,
    NavEntry,
    Participant,
    Retrainer,
    StaffWithholder,
    register,
)
from baomi.core.i18n import Bi

from . import demo, duties, indicators, selectors, services, standing
from .enums import TrainingAction

EVERYONE = frozenset(Role)
DUTY_READERS = frozenset({Role.HR, Role.PRIVACY_OFFICER, Role.MANAGER, Role.INSPECTOR})


def _my_standing(request: Any, role: str) -> dict[str, Any] | None:
    """Tell a member of staff, on every page, that their training is due or that sensitive
    fields are withheld from them — with the link to their training."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace == "training":
        return None  # the training pages say it themselves
    st = standing.standing(user)
    due = selectors.due_soon(user)  # the reminder: open assignments due within a week
    if (not st.applies or st.current) and not due["soon"] and not due["overdue"]:
        return None
    return {
        "standing": st.applies and not st.current,
        "withheld": st.withheld,
        "grace_ends": st.grace_ends,
        **due,
    }


def _duty_flags(request: Any, role: str) -> dict[str, Any] | None:
    """Responsibility gaps and departed owners, on the console home page (R-D7)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "home":
        return None
    f = duties.flags()
    return f if f["gaps"] or f["departed"] else None


def _retrain(staff: Any, reason: str, ref: str) -> list[str]:
    return [str(a.pk) for a in services.assign_retraining(staff, reason, ref=ref)]


register(
    Participant(
        app="training",
        retrainers=(Retrainer(_retrain),),
        actions=(TrainingAction,),
        withholders=(
            StaffWithholder(
                standing.REASON,
                standing.withholds,
                "培训未完成或未签保密协议：敏感信息不予显示",
                "Training or confidentiality agreement not current: sensitive fields withheld",
                "training:me",
            ),
        ),
        nav=(
            NavEntry("training:me", Bi("我的培训", "My training"), "nav-training", EVERYONE, 85),
            NavEntry(
                "training:manage",
                Bi("培训管理", "Training admin"),
                "nav-training-admin",
                frozenset({Role.HR}),
                86,
            ),
            NavEntry(
                "training:reports",
                Bi("团队培训", "Team training"),
                "nav-training-team",
                frozenset({Role.MANAGER}),
                86,
            ),
            NavEntry("training:duties", Bi("职责矩阵", "Duties"), "nav-duties", DUTY_READERS, 87),
        ),
        banners=(
            Banner("training_standing", "training/banner.html", EVERYONE, _my_standing),
            Banner(
                "duty_gaps",
                "training/banner_duties.html",
                frozenset({Role.HR, Role.PRIVACY_OFFICER}),
                _duty_flags,
            ),
        ),
        urls=(("training/", "baomi.training.urls"),),
        indicators=indicators.INDICATORS,
        demo=(DemoStep(20, demo.exams),),
    )
)
