"""The access app in the participant contract: its four-eyes approval kinds, and the
eraser of the recent-customers lists (issue #17 §4)."""

from __future__ import annotations

from baomi.contract.participants import Participant, register

from . import recent
from .approval_kinds import KINDS

register(Participant(app="access", approvals=KINDS, eraser=recent.erase))
