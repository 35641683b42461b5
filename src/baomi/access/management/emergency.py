"""Privileged commands on the host are break-glass operations (issue #9 §2): they need a
reason category and a reason, and each run is recorded, alerted and queued for the
security auditor (docs/decisions/0017-cli-break-glass.md)."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import CommandError

from baomi.access.models import OperationReason


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--reason-category",
        choices=OperationReason.values,
        help="why this runs on the host and not as a four-eyes request (recorded, alerted, "
        "reviewed by the security auditor)",
    )
    parser.add_argument("--reason", default="", help="the reason, 10+ characters (recorded)")


def require(opts: dict[str, Any], command: str) -> tuple[str, str]:
    """(category, reason) or a CommandError saying what is missing — before anything runs."""
    category, reason = opts.get("reason_category") or "", (opts.get("reason") or "").strip()
    if not category or len(reason) < 10:
        raise CommandError(
            f"`baomi {command}` is a break-glass operation: give --reason-category "
            f"({'|'.join(OperationReason.values)}) and --reason (10+ characters); the run is "
            "recorded and the security auditor reviews it. / 此命令属于紧急操作，须提供原因类别和"
            "原因（至少10个字符），运行记录将由安全审计员审查。"
        )
    return category, reason


def record(command: str, detail: dict[str, Any], category: str, reason: str) -> None:
    from baomi.access.services import record_break_glass_operation

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    record_break_glass_operation(command, detail, category, reason, os_user=user)
