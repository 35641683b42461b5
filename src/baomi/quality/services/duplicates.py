"""The duplicate queue (issue #16 §2, R-K1, R-B4): scan, merge, unmerge, dismiss, defer.

Scan (`baomi dedupe`, `refresh`): candidate pairs come from blocking keys that are keyed
hashes — the vault's blind-index buckets (ID number, phone, e-mail, name) and this app's
own buckets of the name in sorted pinyin and of the birth date — so no plaintext rests.
The candidates' values are decrypted only inside the gate's bulk path under
`data_quality` (`gate.process_customers`) and scored there by the linkage engine; only
ids, probabilities and comparison levels come out. Pairs at or above the review threshold
join the queue; a pair once dismissed or merged is remembered and not raised again.

Merge: the steward keeps one customer (the survivor) and, field by field, takes values
from the other; the survivor's state before is kept (ciphertext, lineage, buckets) so
`unmerge` restores it exactly; the absorbed customer is closed for ordinary reads while
the merge stands (`closes_merged`). Every step is audited."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from baomi import audit
from baomi.access.services import require_role
from baomi.catalog.enums import Purpose, Role
from baomi.core import clock
from baomi.core.errors import Conflict, FieldIssue, NotFound, ValidationFailed
from baomi.core.sql import exists_naming
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.models import Customer
from baomi.quality.enums import PairState, QualityAction
from baomi.quality.linkage import engine
from baomi.quality.linkage.engine import Comparator, FieldKind
from baomi.quality.models import BlockingKey, DuplicatePair, Merge
from baomi.vault import services as vault

P = Purpose.DATA_QUALITY
COMPARATORS = (
    Comparator("name", FieldKind.NAME),
    Comparator("phone", FieldKind.NUMBER),
    Comparator("email", FieldKind.EMAIL),
    Comparator("id_number", FieldKind.IDENTIFIER),  # compared as "id_type:id_number"
    Comparator("birth_date", FieldKind.DATE),
    Comparator("gender", FieldKind.CODE),
    Comparator("nationality", FieldKind.CODE),
    Comparator("address", FieldKind.TEXT),
)
MATCH_FIELDS = tuple(c.name for c in COMPARATORS)
REVIEW_THRESHOLD = 0.5
MAX_BUCKET = 50  # a bucket shared by more customers identifies nobody: not a block
INDEX_FIELDS = ("id_number", "phone", "email", "name")
# name and birth date together: the block that still works where a common name or a
# common birth date alone is shared by more than MAX_BUCKET customers (10^6 customers)
OWN_KEYS = ("name_pinyin", "birth_date", "name_birth")
REMEMBERED = (PairState.DISMISSED, PairState.MERGED, PairState.UNMERGED)


def _steward(actor: Any) -> None:
    require_role(actor, Role.DATA_STEWARD)
    gate.check_purpose(actor, P)


# -- blocking keys ---------------------------------------------------------------------------
def _own_keys(values: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    name = engine.normalise(values.get("name"))
    if name:
        out["name_pinyin"] = " ".join(sorted(engine.pinyin(name).replace("·", " ").split()))
    birth = engine.normalise(values.get("birth_date"))
    if birth:
        out["birth_date"] = birth
    if name and birth:
        out["name_birth"] = out["name_pinyin"] + "\x1f" + birth
    return out


def refresh_blocking_keys(actor: Any) -> int:
    """Blocking keys of the customers changed since their keys were computed (all, the
    first time): decrypted in the gate's bulk path, only bucket numbers kept."""
    fresh = BlockingKey.objects.filter(
        customer_id=OuterRef("pk"), computed_at__gte=OuterRef("updated_at")
    )
    stale = list(
        Customer.objects.filter(erased_at__isnull=True)
        .exclude(Exists(fresh))
        .values_list("id", flat=True)
    )
    if not stale:
        return 0
    now = clock.now()
    indexers = {k: vault.indexer("quality_" + k) for k in OWN_KEYS}

    uid = BlockingKey._meta.get_field("customer").target_field
    stamp = BlockingKey._meta.get_field("computed_at").get_db_prep_save(now, connection)

    def buckets(values: Mapping[uuid.UUID, Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (uid.get_db_prep_save(cid, connection), k, indexers[k].bucket(v), stamp)
            for cid, vals in values.items()
            for k, v in _own_keys(vals).items()
        ]

    done = 0
    for n in range(0, len(stale), 2000):
        chunk = stale[n : n + 2000]
        rows = gate.process_customers(actor, P, chunk, ["name", "birth_date"], buckets)
        with transaction.atomic(), connection.cursor() as cur:
            BlockingKey.objects.filter(customer_id__in=chunk).delete()
            cur.executemany(
                "INSERT INTO quality_blocking_key (customer_id, kind, bucket, computed_at) "
                "VALUES (%s, %s, %s, %s)",
                rows,
            )
        done += len(chunk)
    return done


def _absorbed() -> set[uuid.UUID]:
    return set(Merge.objects.filter(undone_at__isnull=True).values_list("absorbed_id", flat=True))


def candidate_groups() -> list[tuple[str, list[uuid.UUID]]]:
    """(key kind, customers) sharing a bucket of a blocking key (blind index or own keyed
    hash). A bucket is a truncated keyed hash, shared on purpose by customers whose values
    differ (≈ 8 per bucket at 10^6 customers): `_score` splits each group by the true key
    inside the gate, so only customers whose key is equal become candidate pairs."""
    groups: dict[tuple[str, int], list[uuid.UUID]] = dict(vault.bucket_groups(INDEX_FIELDS))
    for k, b, cid in BlockingKey.objects.values_list("kind", "bucket", "customer_id").iterator(
        chunk_size=10_000
    ):
        groups.setdefault(("q_" + k, b), []).append(cid)
    skip = _absorbed()
    canonical: dict[uuid.UUID, uuid.UUID] = {}  # one object per id, not one per row
    out = []
    for (kind, _), ids in groups.items():
        members = [canonical.setdefault(i, i) for i in dict.fromkeys(ids) if i not in skip]
        if len(members) > 1:
            out.append((kind, members))
    return out


# -- scan ------------------------------------------------------------------------------------
@dataclass
class ScanResult:
    customers: int
    candidates: int
    queued: int
    updated: int
    remembered: int
    trained: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _match_values(values: Mapping[str, Any]) -> list[str]:
    out = [engine.normalise(values.get(f)) for f in MATCH_FIELDS]
    i = MATCH_FIELDS.index("id_number")
    if out[i]:  # a number is compared with numbers of its own scheme only
        out[i] = f"{engine.normalise(values.get('id_type')) or 'unknown'}:{out[i]}"
    return out


def _block_key(kind: str, values: Mapping[str, Any]) -> str:
    if kind.startswith("q_"):
        return _own_keys(values).get(kind[2:], "")
    return engine.normalise(values.get(kind))


def _pairs_in(
    values: Mapping[uuid.UUID, Mapping[str, Any]],
    groups: Sequence[tuple[str, Sequence[uuid.UUID]]],
    pos: Mapping[uuid.UUID, int],
) -> set[tuple[int, int]]:
    """Each bucket split by its true key: pairs of customers whose key is equal, in groups
    of at most MAX_BUCKET (a value shared by more identifies nobody)."""
    keys: dict[tuple[str, uuid.UUID], str] = {}
    out: set[tuple[int, int]] = set()
    for kind, ids in groups:
        split: dict[str, list[int]] = {}
        for c in ids:
            if c not in pos:
                continue
            key = keys.get((kind, c))
            if key is None:
                key = keys[(kind, c)] = _block_key(kind, values[c])
            if key:
                split.setdefault(key, []).append(pos[c])
        for members in split.values():
            if 1 < len(members) <= MAX_BUCKET:
                members.sort()
                out.update(combinations(members, 2))
    return out


def _score(
    values: Mapping[uuid.UUID, Mapping[str, Any]],
    groups: Sequence[tuple[str, Sequence[uuid.UUID]]],
) -> tuple[list[tuple[uuid.UUID, uuid.UUID, engine.Pair]], int, bool]:
    ids = list(values)
    pos = {cid: i for i, cid in enumerate(ids)}
    rows = [tuple(_match_values(values[c])) for c in ids]
    idx = sorted(_pairs_in(values, groups, pos))
    scored, model = engine.score_pairs(rows, None, COMPARATORS, idx, threshold=REVIEW_THRESHOLD)
    # a pair is stored left < right (levels are symmetric), as the queue always held it
    out = []
    for p in scored:
        a, b = ids[p.left], ids[p.right]
        out.append((a, b, p) if a < b else (b, a, p))
    return out, len(idx), model.trained_on > 0


def scan(actor: Any) -> ScanResult:
    """Refresh blocking keys, score candidate pairs, fill the queue (audited)."""
    _steward(actor)
    refresh_blocking_keys(actor)
    groups = candidate_groups()
    involved = {c for _, ids in groups for c in ids}
    live = list(Customer.objects.filter(erased_at__isnull=True).values_list("id", flat=True))
    rng = random.Random(16)
    sample = rng.sample(live, min(len(live), 2000))  # random pairs for u, when enough
    wanted = sorted(involved | set(sample))
    scored, candidates, trained = gate.process_customers(
        actor, P, wanted, [*MATCH_FIELDS, "id_type"], lambda v: _score(v, groups)
    )
    now = clock.now()
    found = {(a, b) for a, b, _ in scored}
    existing = {
        (p.left_id, p.right_id): p
        for p in DuplicatePair.objects.iterator(chunk_size=5000)
        if (p.left_id, p.right_id) in found
    }
    queued = updated = remembered = 0
    with transaction.atomic():
        for a, b, pair in scored:
            levels = {f: lv for f, lv in zip(MATCH_FIELDS, pair.levels, strict=True)}
            old = existing.get((a, b))
            if old is None:
                DuplicatePair.objects.create(
                    left_id=a,
                    right_id=b,
                    probability=pair.probability,
                    weight=pair.weight,
                    levels=levels,
                    source="scan",
                    state=PairState.OPEN,
                    found_at=now,
                    updated_at=now,
                )
                queued += 1
            elif old.state in REMEMBERED:
                remembered += 1
            else:
                old.probability, old.weight, old.levels, old.updated_at = (
                    pair.probability,
                    pair.weight,
                    levels,
                    now,
                )
                old.save(update_fields=["probability", "weight", "levels", "updated_at"])
                updated += 1
        result = ScanResult(len(live), candidates, queued, updated, remembered, trained)
        audit.record(
            QualityAction.DEDUPE_RUN,
            actor,
            purpose=P,
            object_type="duplicates",
            detail=result.as_dict(),
        )
    return result


# -- decisions -------------------------------------------------------------------------------
def _pair(pair_id: object, *states: PairState) -> DuplicatePair:
    try:
        pk = int(str(pair_id))
    except ValueError:
        raise NotFound("no such duplicate pair") from None
    pair = DuplicatePair.objects.select_for_update().filter(pk=pk).first()
    if pair is None:
        raise NotFound("no such duplicate pair")
    if states and pair.state not in states:
        raise Conflict(f"this pair is {pair.state}", code="pair_state")
    return pair


def _decided(
    actor: Any, pair: DuplicatePair, state: PairState, action: QualityAction, **detail: Any
) -> None:
    pair.state = state
    pair.decided_at = clock.now()
    pair.decided_by = actor
    pair.save(update_fields=["state", "decided_at", "decided_by"])
    audit.record(
        action,
        actor,
        purpose=P,
        object_type="duplicate_pair",
        object_id=pair.pk,
        detail={"left": str(pair.left_id), "right": str(pair.right_id), **detail},
    )


def dismiss(actor: Any, pair_id: object) -> DuplicatePair:
    """Not a duplicate: remembered, never raised again by a scan."""
    _steward(actor)
    with transaction.atomic():
        pair = _pair(pair_id, PairState.OPEN, PairState.DEFERRED)
        _decided(actor, pair, PairState.DISMISSED, QualityAction.DISMISSED)
    return pair


def defer(actor: Any, pair_id: object) -> DuplicatePair:
    _steward(actor)
    with transaction.atomic():
        pair = _pair(pair_id, PairState.OPEN)
        _decided(actor, pair, PairState.DEFERRED, QualityAction.DEFERRED)
    return pair


def _clean_take(take: Iterable[str]) -> list[str]:
    take = list(dict.fromkeys(take))
    bad = [t for t in take if t not in MATCH_FIELDS]
    if bad:
        raise ValidationFailed(
            [
                FieldIssue(
                    "take",
                    "field_unknown",
                    f"not a field a merge can take: {', '.join(bad)}",
                    "合并只能选取客户资料字段",
                )
            ]
        )
    return take


def merge(actor: Any, pair_id: object, survivor: str, take: Iterable[str] = ()) -> Merge:
    """Keep `survivor` ("left" or "right"); copy the fields `take` from the other."""
    _steward(actor)
    if survivor not in ("left", "right"):
        raise ValidationFailed(
            [
                FieldIssue(
                    "survivor", "survivor_invalid", "survivor is left or right", "请选择保留的客户"
                )
            ]
        )
    fields = _clean_take(take)
    with transaction.atomic():
        pair = _pair(pair_id, PairState.OPEN, PairState.DEFERRED)
        keep, drop = (
            (pair.left_id, pair.right_id) if survivor == "left" else (pair.right_id, pair.left_id)
        )
        if drop in _absorbed() or keep in _absorbed():
            raise Conflict("one of these customers was merged already", code="pair_state")
        snapshot = customers.merge_into(actor, P, keep, drop, fields, ref=f"pair:{pair.pk}")
        m = Merge.objects.create(
            pair=pair,
            survivor_id=keep,
            absorbed_id=drop,
            fields=fields,
            snapshot=snapshot,
            merged_at=clock.now(),
            merged_by=actor,
        )
        _decided(
            actor,
            pair,
            PairState.MERGED,
            QualityAction.MERGED,
            survivor=str(keep),
            absorbed=str(drop),
            fields=fields,
            merge=m.pk,
        )
    return m


def unmerge(actor: Any, pair_id: object) -> Merge:
    """Undo a merge: the survivor's columns, lineage and buckets as before, the absorbed
    customer open again."""
    _steward(actor)
    with transaction.atomic():
        pair = _pair(pair_id, PairState.MERGED)
        m = Merge.objects.select_for_update().filter(pair=pair, undone_at__isnull=True).first()
        if m is None:
            raise Conflict("this pair has no merge to undo", code="pair_state")
        customers.restore_columns(actor, P, m.survivor_id, m.snapshot, ref=f"pair:{pair.pk}")
        m.undone_at, m.undone_by, m.snapshot = clock.now(), actor, {}
        m.save(update_fields=["undone_at", "undone_by", "snapshot"])
        _decided(actor, pair, PairState.UNMERGED, QualityAction.UNMERGED, merge=m.pk)
    return m


# -- the contract ---------------------------------------------------------------------------
KEEPS_OPEN = frozenset({Purpose.RIGHTS_REQUEST, Purpose.INVESTIGATION, Purpose.LEGAL_REQUEST})


def closes_merged(purpose: Purpose, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Customers merged into another one (while the merge stands) are closed for ordinary
    reads; the customer's own rights and investigations still reach them."""
    if purpose in KEEPS_OPEN:
        return set()
    return set(
        Merge.objects.filter(absorbed_id__in=ids, undone_at__isnull=True).values_list(
            "absorbed_id", flat=True
        )
    )


def merged_sql(purpose: Purpose) -> tuple[str, list[Any]] | None:
    """`closes_merged` inside the gate's one query per read (decision 0040)."""
    if purpose in KEEPS_OPEN:
        return None
    return exists_naming(Merge, "absorbed", ["undone_at IS NULL"]), []


def erase(customer_id: uuid.UUID) -> dict[str, int]:
    """Erasure: the customer's pairs, merges and blocking keys go (ids and ciphertext
    under a shredded key only, but nothing about an erased customer stays queued)."""
    pairs = DuplicatePair.objects.filter(Q(left_id=customer_id) | Q(right_id=customer_id))
    merges, _ = Merge.objects.filter(pair__in=pairs).delete()
    merges += Merge.objects.filter(
        Q(survivor_id=customer_id) | Q(absorbed_id=customer_id)
    ).delete()[0]
    n_pairs, _ = pairs.delete()
    keys, _ = BlockingKey.objects.filter(customer_id=customer_id).delete()
    return {
        k: v
        for k, v in {"duplicate_pair": n_pairs, "merge": merges, "blocking_key": keys}.items()
        if v
    }
