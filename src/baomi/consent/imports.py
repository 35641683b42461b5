"""Consent columns in `baomi import` files (R-B3: consent captured at every entry point).

The importer (customers) knows nothing of the consent ledger; it takes column extensions
(`customers.importer.ColumnExtension`) from its caller, and the CLI passes this one. It
claims the consent columns at the header, parses them with the row (pure: it runs in the
validation worker processes) and writes the decisions to the ledger in the same transaction
as the batch's customers, so a row lands whole or not at all.

Columns (headers, or targets of a `--mapping`):
- `consent.<purpose>` or `consent_<purpose>` — one purpose per column (`consent.marketing`,
  `consent_sensitive_processing`, …): yes / no, blank = not asked (nothing recorded).
- `consent` — several in one cell: `marketing=yes; profiling=no` (`:` works too).
- `consent_method` — how the source system captured it: `checkbox`, `signature`,
  `verbal_recorded` or `import` (the default: brought in by a file, method unknown).
- `consent_evidence` — a reference code (form number, recording id), as the API takes it.

Yes is `yes y true 1 given 是 同意 已同意`; no is `no n false 0 refused withdrawn 否 不同意
拒绝 撤回`. Anything else rejects the row (rejects file: row, column, code — no value). The
decisions are recorded against the notice version in force at import time, method and
evidence as given, channel = the import's `--channel`, operator = whoever runs the import.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from baomi.core.errors import FieldIssue
from baomi.customers.importer import ImportRefused

from . import services
from .models import ConsentMethod, ConsentPurpose

YES = frozenset({"yes", "y", "true", "1", "given", "是", "同意", "已同意"})
NO = frozenset({"no", "n", "false", "0", "refused", "withdrawn", "否", "不同意", "拒绝", "撤回"})
# methods an import may state (portal and api are recorded by those surfaces themselves)
IMPORT_METHODS = frozenset(
    {ConsentMethod.CHECKBOX, ConsentMethod.SIGNATURE, ConsentMethod.VERBAL_RECORDED}
) | {ConsentMethod.IMPORT}
LIST_COLUMN = "consent"
METHOD_COLUMN = "consent_method"
EVIDENCE_COLUMN = "consent_evidence"
_PREFIXES = ("consent.", "consent_")
_SPLIT = re.compile(r"[;；,，、\n]+")
_PAIR = re.compile(r"^\s*([A-Za-z_]+)\s*[=:：]\s*(.*?)\s*$")


@dataclass(frozen=True)
class RowConsent:
    """One row's decisions: purpose → given, with how and on what evidence."""

    choices: dict[str, bool]
    method: str
    evidence: str


def _purpose_of(column: str) -> str | None:
    for prefix in _PREFIXES:
        if column.startswith(prefix):
            return column[len(prefix) :]
    return None


def _answer(raw: str) -> bool | None:
    s = raw.strip().lower()
    if s in YES:
        return True
    if s in NO:
        return False
    return None


def _bad_value(column: str) -> FieldIssue:
    return FieldIssue(
        column,
        "consent_value",
        "a consent is yes or no (blank when not asked)",
        "同意项只能填“是”或“否”（未询问留空）",
    )


class ConsentColumns:
    """The consent ledger's `customers.importer.ColumnExtension`. Stateless and picklable
    (instances travel to the validation worker processes)."""

    name = "consents"

    def claims(self, column: str) -> bool:
        return column == LIST_COLUMN or _purpose_of(column) is not None

    def check_header(self, columns: Sequence[str]) -> None:
        """Refuse the whole file for a consent column naming no known purpose, or two
        columns for one purpose (`consent.marketing` and `consent_marketing`)."""
        unknown = [
            c
            for c in columns
            if c not in (LIST_COLUMN, METHOD_COLUMN, EVIDENCE_COLUMN)
            and _purpose_of(c) not in ConsentPurpose.values
        ]
        if unknown:
            raise ImportRefused(
                f"consent columns name unknown purposes: {', '.join(unknown[:10])} — use "
                f"consent.<purpose> with one of {', '.join(ConsentPurpose.values)}",
                code="consent_purpose_unknown",
            )
        purposes = [_purpose_of(c) for c in columns if c != LIST_COLUMN]
        twice = sorted({p for p in purposes if p and purposes.count(p) > 1})
        if twice:
            raise ImportRefused(
                f"more than one column maps to: {', '.join(f'consent.{p}' for p in twice)}",
                code="column_duplicate",
            )

    def parse(self, cells: Mapping[str, str]) -> tuple[RowConsent | None, list[FieldIssue]]:
        issues: list[FieldIssue] = []
        choices: dict[str, bool] = {}
        from_list: dict[str, bool] = {}
        for column, raw in cells.items():
            if column in (METHOD_COLUMN, EVIDENCE_COLUMN):
                continue
            if column == LIST_COLUMN:
                from_list.update(self._parse_list(raw, issues))
                continue
            answer = _answer(raw)
            if answer is None:
                issues.append(_bad_value(column))
            else:
                choices[str(_purpose_of(column))] = answer
        for purpose, given in from_list.items():
            if choices.get(purpose, given) != given:
                issues.append(
                    FieldIssue(
                        LIST_COLUMN,
                        "consent_conflict",
                        f"the consent column and consent.{purpose} disagree",
                        f"consent 列与 consent.{purpose} 列的取值矛盾",
                    )
                )
            choices[purpose] = given
        method = cells.get(METHOD_COLUMN, "").strip().lower() or ConsentMethod.IMPORT.value
        evidence = cells.get(EVIDENCE_COLUMN, "").strip()
        where = {"method": METHOD_COLUMN, "evidence": EVIDENCE_COLUMN}
        how = services.how_issues(method, evidence, IMPORT_METHODS)
        issues.extend(replace(i, field=where[i.field]) for i in how)
        if issues:
            return None, issues
        return (RowConsent(choices, method, evidence) if choices else None), []

    @staticmethod
    def _parse_list(raw: str, issues: list[FieldIssue]) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for part in filter(None, (p.strip() for p in _SPLIT.split(raw))):
            m = _PAIR.match(part)
            answer = _answer(m.group(2)) if m else None
            purpose = m.group(1).lower() if m else ""
            if m is None or answer is None:
                issues.append(
                    FieldIssue(
                        LIST_COLUMN,
                        "consent_list_format",
                        "the consent column lists purpose=yes|no pairs, e.g. "
                        "marketing=yes; profiling=no",
                        "consent 列的格式为 用途=是/否，例如 marketing=是; profiling=否",
                    )
                )
            elif purpose not in ConsentPurpose.values:
                issues.append(
                    FieldIssue(
                        LIST_COLUMN,
                        "consent_purpose_unknown",
                        f"purposes are {', '.join(ConsentPurpose.values)}",
                        "同意事项代码无效",
                    )
                )
            elif out.get(purpose, answer) != answer:
                issues.append(
                    FieldIssue(
                        LIST_COLUMN,
                        "consent_conflict",
                        "the consent column names a purpose twice, with different answers",
                        "consent 列对同一用途给出了矛盾的取值",
                    )
                )
            else:
                out[purpose] = answer
        return out

    def write(
        self,
        actor: Any,
        purpose: Any,
        channel: str,
        items: list[tuple[uuid.UUID, RowConsent]],
    ) -> int:
        """Record the batch's decisions (called inside the batch's transaction), with one
        audit event per batch and outcome naming its customers (decision 0038)."""
        return services.capture_many(
            actor,
            [services.Capture(cid, rc.choices, rc.method, rc.evidence) for cid, rc in items],
            channel=channel,
            staff_purpose=purpose or None,
            per_batch=True,
        )


CONSENT_COLUMNS = ConsentColumns()
