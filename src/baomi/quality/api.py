"""Quality API (INTERFACES.md): `GET /quality/duplicates`, `POST
/quality/duplicates/{id}/merge|dismiss|unmerge|defer`, `POST /quality/duplicates/scan`.
For the data steward under `data_quality`. Thin: parse, call a service, shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Router, Schema

from baomi.access.services import require_role
from baomi.api.auth import bearer
from baomi.catalog.enums import Role
from baomi.core.errors import FieldIssue, ValidationFailed
from baomi.customers import gate

from . import selectors
from .enums import PairState
from .models import HeldValue
from .services import duplicates, held, metrics

router = Router(tags=["data quality"], auth=bearer)


def _steward(request: HttpRequest) -> Any:
    actor = request.staff  # type: ignore[attr-defined]
    require_role(actor, Role.DATA_STEWARD)
    gate.check_purpose(actor, request.headers.get("X-Purpose"))
    return actor


class PairOut(Schema):
    id: int
    left: str
    right: str
    probability: float
    weight: float
    levels: dict[str, str]
    source: str
    state: str
    found_at: str
    decided_at: str | None


class QueueOut(Schema):
    counts: dict[str, int]
    pairs: list[PairOut]


class MergeIn(Schema):
    survivor: str = "left"
    take: list[str] = []


class ScanOut(Schema):
    customers: int
    candidates: int
    queued: int
    updated: int
    remembered: int
    trained: bool


class MetricsOut(Schema):
    computed_at: str | None
    customers: int
    recomputed: int
    totals: dict[str, Any]
    by_field: dict[str, Any]
    by_channel: dict[str, Any]


METRIC_READERS = (Role.DATA_STEWARD, Role.PRIVACY_OFFICER, Role.MANAGER, Role.INSPECTOR)


def run_json(run: Any) -> dict[str, Any]:
    def shaped(cells: dict[str, Any]) -> dict[str, Any]:
        return {
            m: {"numerator": c["num"], "denominator": c["den"], "value": metrics.share(c)}
            for m, c in cells.items()
        }

    if run is None:
        return {
            "computed_at": None,
            "customers": 0,
            "recomputed": 0,
            "totals": {},
            "by_field": {},
            "by_channel": {},
        }
    return {
        "computed_at": run.computed_at.isoformat(),
        "customers": run.customers,
        "recomputed": run.recomputed,
        "totals": shaped(run.totals),
        "by_field": {f: shaped(c) for f, c in run.by_field.items()},
        "by_channel": {ch: shaped(c) for ch, c in run.by_channel.items()},
    }


@router.get("/metrics", response=MetricsOut)
def get_metrics(request: HttpRequest) -> dict[str, Any]:
    """The latest data-quality run: counts and shares per metric, field and channel (no
    value of any customer). Data steward, privacy officer, management, inspectors."""
    require_role(request.staff, *METRIC_READERS)  # type: ignore[attr-defined]
    return run_json(metrics.latest())


@router.post("/metrics", response=MetricsOut)
def compute_metrics(request: HttpRequest) -> dict[str, Any]:
    """Compute now (data steward under data_quality): changed customers' facts are
    refreshed through the gate, then everything is counted."""
    return run_json(metrics.compute(_steward(request)))


@router.get("/duplicates", response=QueueOut)
def list_duplicates(request: HttpRequest, state: str | None = None) -> dict[str, Any]:
    _steward(request)
    if state is not None and state not in PairState.values:
        raise ValidationFailed(
            [FieldIssue("state", "state_unknown", "unknown state", "未知的状态")]
        )
    return {
        "counts": selectors.counts(),
        "pairs": [selectors.as_json(p) for p in selectors.pairs(state)],
    }


@router.post("/duplicates/scan", response=ScanOut)
def scan(request: HttpRequest) -> dict[str, Any]:
    return duplicates.scan(_steward(request)).as_dict()


@router.post("/duplicates/{pair_id}/merge", response=PairOut)
def merge(request: HttpRequest, pair_id: int, body: MergeIn = Body(...)) -> dict[str, Any]:  # noqa: B008
    actor = _steward(request)
    m = duplicates.merge(actor, pair_id, body.survivor, body.take)
    return selectors.as_json(m.pair)


@router.post("/duplicates/{pair_id}/unmerge", response=PairOut)
def unmerge(request: HttpRequest, pair_id: int) -> dict[str, Any]:
    m = duplicates.unmerge(_steward(request), pair_id)
    return selectors.as_json(selectors.pair(m.pair_id))


@router.post("/duplicates/{pair_id}/dismiss", response=PairOut)
def dismiss(request: HttpRequest, pair_id: int) -> dict[str, Any]:
    return selectors.as_json(duplicates.dismiss(_steward(request), pair_id))


@router.post("/duplicates/{pair_id}/defer", response=PairOut)
def defer(request: HttpRequest, pair_id: int) -> dict[str, Any]:
    return selectors.as_json(duplicates.defer(_steward(request), pair_id))


# -- values an import held back (survivorship) ----------------------------------------------
class HeldOut(Schema):
    id: str
    customer: str
    fields: list[str]
    reason: str
    source: str
    row: int
    state: str
    held_at: str
    decided_at: str | None


def held_json(h: HeldValue) -> dict[str, Any]:
    return {
        "id": str(h.id),
        "customer": str(h.customer_id),
        "fields": list(h.fields),
        "reason": h.reason,
        "source": h.source,
        "row": h.row,
        "state": h.state,
        "held_at": h.held_at.isoformat(),
        "decided_at": h.decided_at.isoformat() if h.decided_at else None,
    }


@router.get("/held", response=list[HeldOut])
def list_held(request: HttpRequest) -> list[dict[str, Any]]:
    """Import values held back instead of overwriting (no value in the answer)."""
    _steward(request)
    return [held_json(h) for h in selectors.held_open()]


@router.post("/held/{held_id}/keep", response=HeldOut)
def keep_held(request: HttpRequest, held_id: str) -> dict[str, Any]:
    return held_json(held.keep(_steward(request), held_id))


@router.post("/held/{held_id}/take", response=HeldOut)
def take_held(request: HttpRequest, held_id: str) -> dict[str, Any]:
    return held_json(held.take(_steward(request), held_id))
