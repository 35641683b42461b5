"""The training app in the participant contract (issue #14): its audit actions and the
staff withholder the gate asks (decision 0030: staff whose required training or
confidentiality agreement is not current, past the grace period, see no sensitive field —
reason `training_required`)."""

from __future__ import annotations

from baomi.contract.participants import Participant, StaffWithholder, register

from . import standing
from .enums import TrainingAction

register(
    Participant(
        app="training",
        actions=(TrainingAction,),
        withholders=(
            StaffWithholder(
                standing.REASON,
                standing.withholds,
                "培训未完成或未签保密协议：敏感信息不予显示",
                "Training or confidentiality agreement not current: sensitive fields withheld",
            ),
        ),
    )
)
