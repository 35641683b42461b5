"""Reporting (stage 5): the summary `baomi import` prints, the rejects file (row, field,
code and message — never a value), and the import's audit events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from baomi import audit
from baomi.audit.models import Action, Outcome
from baomi.audit.services import build_naming, record_many
from baomi.catalog.enums import Gender, IdType
from baomi.core.errors import FieldIssue

from ..survivorship import IDENTITY_CONFLICT
from .matching import Landing
from .reading import cell_text

_CODES = frozenset({*IdType.values, *Gender.values})  # choice codes may appear in messages


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    merged: int = 0
    held: int = 0  # rows with values held back for the data steward (survivorship)
    rejected: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)  # per column extension: records

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "merged": self.merged,
            "held": self.held,
            "rejected": self.rejected,
            **self.extra,
            "seconds": round(self.seconds, 3),
        }


def reject(
    rej: Any,
    n: int,
    issues: list[FieldIssue],
    raw: Sequence[Any],
    summary: ImportSummary,
) -> None:
    """One rejected row's issues into the rejects file and the summary's reasons."""
    # Messages never echo values by contract; check anyway, since the file is on disk.
    values = [s for s in (cell_text(v) for v in raw) if len(s) >= 3 and s not in _CODES]
    for i in issues:
        msg = f"{i.en} / {i.zh}"
        if any(v in msg for v in values):
            msg = i.code
        rej.writerow([n, i.field, i.code, msg])
        summary.reasons[i.code] = summary.reasons.get(i.code, 0) + 1


def started(
    actor: Any, purpose: Any, run_id: str, fields: list[str], channel: str, file_type: str
) -> None:
    audit.record(
        Action.IMPORT_STARTED,
        actor,
        purpose=purpose,
        object_type="import",
        object_id=run_id,
        fields=fields,
        detail={"channel": channel, "file_type": file_type},
    )


def finished(
    actor: Any, purpose: Any, run_id: str, summary: ImportSummary, *, failed: bool = False
) -> None:
    audit.record(
        Action.IMPORT_FINISHED,
        actor,
        purpose=purpose,
        object_type="import",
        object_id=run_id,
        **({"outcome": Outcome.FAILED} if failed else {}),
        detail={**summary.as_dict(), "reasons": summary.reasons},
    )


def batch_event(
    actor: Any, purpose: Any, channel: str, run_id: str, landings: Sequence[Landing]
) -> Any:
    """ONE audit event for a batch, naming every customer it created or merged (decision
    0023): the rows' changes grouped by (created | merged, field names), each group listing
    its customers — field names only, never values. The event's `detail` commits the
    names to its Merkle leaf; `build_naming` indexes them so each customer's history and
    access copy list the event."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    count = {"created": 0, "merged": 0, "unchanged": 0, "held": 0}
    for land in landings:
        action = "created" if land.created else "merged"
        if land.held == IDENTITY_CONFLICT:
            action = "held"  # nothing applied: the fields are the ones held back
        elif not land.created and not land.fields:
            action = "held" if land.held else "unchanged"
        count[action] += 1
        key = (action, tuple(sorted(land.fields)))
        groups.setdefault(key, []).append(str(land.profile.id))
    names = sorted({f for (_, fields) in groups for f in fields})
    return build_naming(
        Action.CUSTOMER_IMPORTED,
        actor,
        dict.fromkeys(str(land.profile.id) for land in landings),
        purpose=purpose,
        object_type="import",
        object_id=run_id,
        fields=names,
        detail={
            "channel": channel,
            "via": "import",
            "rows": [landings[0].row, landings[-1].row] if landings else [],
            "created": count["created"],
            "merged": count["merged"],
            "held": sum(1 for land in landings if land.held),
            "changes": [
                {"action": action, "fields": list(fields), "customers": ids}
                for (action, fields), ids in groups.items()
            ],
        },
    )


def record_batch(events: list[Any]) -> None:
    """The batch's audit events, appended in the batch's transaction."""
    record_many(events)
