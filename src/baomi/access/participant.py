"""The access app in the participant contract: its four-eyes approval kinds."""

from __future__ import annotations

from baomi.contract.participants import Participant, register

from .approval_kinds import KINDS

register(Participant(app="access", approvals=KINDS))
