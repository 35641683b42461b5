"""Matching and duplicates (stage 3): which rows are the same person as a stored customer
or as an earlier row of the file, and what a row does to the profile it lands on.

Duplicates are judged as if the rows were imported one at a time: against the stored
profiles (blind index → candidates → exact compare in the gate) and against the rows before
it in the same file. The ID number decides first, then phone and name together.

Within the batch, `merge_into` gathers a row's values on the profile it lands on; for a
stored customer, `survive` then decides per row what may change (`customers.survivorship`:
a confirmed value is never overwritten, an identity that disagrees holds the whole row)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from baomi.catalog import validators
from baomi.vault import services as vault

from .. import gate, survivorship
from ..models import Customer
from ..services import CONFIRMED_BASES
from ..signals import HeldRow


@dataclass
class Profile:
    """A customer touched by this batch: created here (`new`) or stored before."""

    id: uuid.UUID
    new: bool
    values: dict[str, str] = field(default_factory=dict)
    first_row: int = 0


def merge_into(target: Profile, values: Mapping[str, str]) -> list[str]:
    """Apply a row's validated values to the profile it lands on; the fields it set."""
    target.values.update(values)
    return list(values)


def dedup_keys(values: Mapping[str, str]) -> tuple[str | None, str | None]:
    """De-dup keys: the ID number; phone + name (name compared as its index key)."""
    idk = "id:" + values["id_number"] if values.get("id_number") else None
    pnk = (
        "pn:" + values["phone"] + "|" + validators.name_key(values["name"])
        if values.get("phone") and values.get("name")
        else None
    )
    return idk, pnk


def _uuid(raw: Any) -> uuid.UUID:
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))


class Buckets:
    """Blind-index buckets, computed once per value and batch (`clear()` per batch)."""

    def __init__(self) -> None:
        self._ix: dict[str, Any] = {}
        self._memo: dict[tuple[str, str], int] = {}

    def clear(self) -> None:
        self._memo = {}

    def __call__(self, field: str, normalised: str) -> int:
        b = self._memo.get((field, normalised))
        if b is None:
            ix = self._ix.get(field)
            if ix is None:
                ix = self._ix[field] = vault.indexer(field)
            b = self._memo[field, normalised] = ix.bucket(normalised)
        return b


def stored_matches(
    batch: list[tuple[int, dict[str, str]]], bucket: Buckets
) -> tuple[dict[int, uuid.UUID], dict[int, uuid.UUID]]:
    """Row → stored profile with the same ID number; row → same phone and name.

    One blind-index query per field for the whole batch, then one bulk exact compare in the
    gate (candidates are decrypted there, only ids come back)."""
    with_id = [(n, v) for n, v in batch if v.get("id_number")]
    with_pn = [(n, v) for n, v in batch if v.get("phone") and v.get("name")]
    by_id = vault.bucket_members(
        "id_number", (bucket("id_number", v["id_number"]) for _, v in with_id)
    )
    by_phone = vault.bucket_members("phone", (bucket("phone", v["phone"]) for _, v in with_pn))
    by_name = (
        vault.bucket_members(
            "name", (bucket("name", validators.name_key(v["name"])) for _, v in with_pn)
        )
        if by_phone
        else {}
    )
    queries: list[tuple[dict[str, str], list[uuid.UUID]]] = []
    owners: list[tuple[str, int]] = []
    for n, v in with_id:
        cands = by_id.get(bucket("id_number", v["id_number"]))
        if cands:
            queries.append(({"id_number": v["id_number"]}, [_uuid(c) for c in cands]))
            owners.append(("id", n))
    for n, v in with_pn:
        cands = by_phone.get(bucket("phone", v["phone"]))
        if not cands:
            continue
        names = set(by_name.get(bucket("name", validators.name_key(v["name"])), ()))
        both = [c for c in cands if c in names]
        if both:
            queries.append(({"phone": v["phone"], "name": v["name"]}, [_uuid(c) for c in both]))
            owners.append(("pn", n))
    id_hits: dict[int, uuid.UUID] = {}
    pn_hits: dict[int, uuid.UUID] = {}
    if queries:
        for (kind, n), hits in zip(owners, gate.match_exact_many(queries), strict=True):
            if hits:
                (id_hits if kind == "id" else pn_hits)[n] = min(hits)  # lowest id: stable
    return id_hits, pn_hits


@dataclass
class Landing:
    """Where one row of the batch landed."""

    row: int
    profile: Profile
    created: bool
    fields: list[str]
    held: str = ""  # survivorship: "identity_conflict" | "confirmed_value" | ""


def assign(
    batch: list[tuple[int, dict[str, str]]],
    id_hits: Mapping[int, uuid.UUID],
    pn_hits: Mapping[int, uuid.UUID],
) -> tuple[dict[uuid.UUID, Profile], list[Landing]]:
    """Each row onto a profile — an earlier row's of this batch, a stored one, or a new
    one — in file order; the batch's profiles and each row's landing."""
    profiles: dict[uuid.UUID, Profile] = {}
    seen: dict[str, Profile] = {}  # de-dup key → profile, as rows before this one left it
    out: list[Landing] = []

    def stored(cid: uuid.UUID | None) -> Profile | None:
        if cid is None:
            return None
        if cid not in profiles:
            profiles[cid] = Profile(cid, new=False)
        return profiles[cid]

    for n, values in batch:
        idk, pnk = dedup_keys(values)
        target = None
        if idk:
            target = seen.get(idk) or stored(id_hits.get(n))
        if target is None and pnk:
            target = seen.get(pnk) or stored(pn_hits.get(n))
        created = target is None
        if target is None:
            target = Profile(uuid.uuid4(), new=True, first_row=n)
            profiles[target.id] = target
        fields = merge_into(target, values)
        for k in dedup_keys(target.values):
            if k:
                seen[k] = target
        out.append(Landing(n, target, created, fields))
    return profiles, out


def survive(
    batch: list[tuple[int, dict[str, str]]], landings: list[Landing], source: str
) -> list[HeldRow]:
    """Survivorship for the rows that landed on stored customers (issue #16): each row is
    compared with what is stored (in the gate: only `same` / `differs` / `empty` come
    back) and decided with the stored values' lineage. The stored profiles' values become
    what the rows may apply, in file order; each landing's `fields` what it applied; the
    answer lists what was held back, for the steward's queue (`signals.merge_held`)."""
    stored = [land for land in landings if not land.profile.new]
    if not stored:
        return []
    values_of = dict(batch)
    ids = list(dict.fromkeys(land.profile.id for land in stored))
    lineage: dict[uuid.UUID, Any] = {}
    for n in range(0, len(ids), 500):
        rows = Customer.objects.filter(id__in=ids[n : n + 500]).values_list("id", "lineage")
        lineage.update({_uuid(cid): lin or {} for cid, lin in rows})
    verdicts = gate.compare_stored([(land.profile.id, values_of[land.row]) for land in stored])
    for land in stored:
        land.profile.values = {}
    held: list[HeldRow] = []
    for land, verdict in zip(stored, verdicts, strict=True):
        d = survivorship.decide(
            values_of[land.row], verdict, lineage.get(land.profile.id, {}), CONFIRMED_BASES
        )
        land.profile.values.update(d.apply)
        # what the row applied; a row held whole names the fields it held (never values)
        land.fields = sorted(d.held if d.reason == survivorship.IDENTITY_CONFLICT else d.apply)
        land.held = d.reason
        if d.held:
            held.append(HeldRow(land.profile.id, land.row, dict(d.held), d.reason, source))
    return held
