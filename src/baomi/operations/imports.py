"""`stay.site` in `baomi import` files: an imported stay lands on its hotel's front-desk
board (issue #11 with issue #17; decision 0039).

The stays themselves are the customers app's column extension (`customers.record_columns`:
`stay.reference`, `stay.check_in`, `stay.check_out`, …); this extension claims only
`stay.site` — a hotel's site code (`operations.Site`, kind hotel) — and *reads* the stay's
reference, dates and room (`ColumnExtension.reads`) to find the stay just written and to
compute the board's keyed digests. The hotel codes are loaded once per file, in the
importing process (`check_header` answers a copy holding them), so `parse` stays pure:
an unknown code rejects the row (`stay.site`, `site_unknown`), as does a check-out not
after check-in (`check_out_order`: the board's rule, `stays.record_at_site`).

Writing runs after the stays (the customers app registers first), in the batch's
transaction: for each stay of the batch not yet at a hotel, `stays.record_at_site` — the
one service the console and both stay APIs use — records it at the hotel, with its keyed
digests and one `stay.booked` audit event. State: `checked_out` when the check-out day is
past, else `reserved` (the desk checks the guest in). A stay already at a hotel (a re-run)
is left as it is (`stays_at_site_present`).

The waybill register (R-M1) reads `shipment.waybill_no` the same way
(`WaybillRegisterReader`): an imported shipment numbered with an outlet's blank marks that
blank used (`waybills.register_imported`; `waybills_registered` in the summary).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from baomi.catalog import validators
from baomi.core.errors import FieldIssue
from baomi.customers.importer import ImportRefused
from baomi.customers.models import Stay

from .enums import SiteKind, StayState
from .models import Occupancy, Site
from .services import stays, waybills

COLUMN = "stay.site"
READS = frozenset({"stay.reference", "stay.check_in", "stay.check_out", "stay.room"})
_CHUNK = 500


@dataclass(frozen=True)
class StayAtSite:
    """One row's hotel and what the board needs of its stay (kept in memory only)."""

    site: str
    reference: str
    check_in: str
    check_out: str
    room: str


@dataclass(frozen=True)
class StaySiteColumn:
    """Operations' `customers.importer.ColumnExtension` for `stay.site` (picklable)."""

    name: str = "stays_at_site"
    hotels: frozenset[str] = field(default_factory=frozenset)  # loaded per file

    @property
    def counts(self) -> tuple[str, ...]:
        return (self.name, f"{self.name}_present")

    def claims(self, column: str) -> bool:
        return column == COLUMN

    def reads(self, column: str) -> bool:
        return column in READS

    def check_header(self, columns: Sequence[str]) -> StaySiteColumn | None:
        if not columns:
            return None
        codes = Site.objects.filter(kind=SiteKind.HOTEL).values_list("code", flat=True)
        return replace(self, hotels=frozenset(codes))

    def parse(self, cells: Mapping[str, str]) -> tuple[StayAtSite | None, list[FieldIssue]]:
        raw = cells.get(COLUMN, "").strip()
        if not raw:
            return None, []
        issues: list[FieldIssue] = []
        code = raw.upper()[:16]
        if code not in self.hotels:
            issues.append(FieldIssue(COLUMN, "site_unknown", "no such hotel", "没有这家酒店"))
        days: list[str] = []
        for col in ("stay.check_in", "stay.check_out"):
            try:
                days.append(validators.plain_date(cells.get(col, "")))
            except validators.Invalid:
                days.append("")  # an invalid date is reported by the stays' own extension
        if not cells.get("stay.reference", "").strip() or not all(
            cells.get(c, "").strip() for c in ("stay.check_in", "stay.check_out")
        ):
            # the stays' extension reports its own blank cells when the row has a stay;
            # this names what the hotel column lacks (also for a row with no stay at all)
            issues.append(
                FieldIssue(
                    COLUMN,
                    "stay_missing",
                    "a hotel needs the stay's reference, check-in and check-out",
                    "登记酒店须同时填写住宿单号、入住和离店日期",
                )
            )
        if all(days) and days[1] <= days[0]:
            issues.append(
                FieldIssue(
                    "stay.check_out",
                    "check_out_order",
                    "must be after check-in",
                    "离店日期须晚于入住日期",
                )
            )
        if issues or not all(days):  # an invalid date rejects the row through the stays
            return None, issues
        ref = cells["stay.reference"].strip()
        return StayAtSite(code, ref, days[0], days[1], cells.get("stay.room", "").strip()), []

    def write(
        self, actor: Any, purpose: Any, channel: str, items: list[tuple[uuid.UUID, StayAtSite]]
    ) -> dict[str, int]:
        counts = dict.fromkeys(self.counts, 0)
        found = self._stays(items)
        placed = set(
            Occupancy.objects.filter(stay_id__in=[s.pk for s in found.values()]).values_list(
                "stay_id", flat=True
            )
        )
        sites = {s.code: s for s in Site.objects.filter(code__in={i.site for _, i in items})}
        today = stays.today()
        for cid, item in items:
            stay = found.get((cid, item.reference))
            if stay is None:  # the stays' extension writes first (it registers first)
                raise ImportRefused(
                    "stay.site: the batch's stays were not written first", code="import_order"
                )
            if stay.pk in placed:
                counts[f"{self.name}_present"] += 1
                continue
            leave = dt.date.fromisoformat(item.check_out)
            stays.record_at_site(
                actor,
                purpose,
                stay,
                sites[item.site],
                check_in=dt.date.fromisoformat(item.check_in),
                check_out=leave,
                room=item.room or None,
                state=StayState.CHECKED_OUT if leave < today else StayState.RESERVED,
            )
            placed.add(stay.pk)
            counts[self.name] += 1
        return counts

    @staticmethod
    def _stays(items: list[tuple[uuid.UUID, StayAtSite]]) -> dict[tuple[uuid.UUID, str], Stay]:
        """(customer, reference) → the stored stay, one query per 500 customers."""
        out: dict[tuple[uuid.UUID, str], Stay] = {}
        cids = list(dict.fromkeys(c for c, _ in items))
        for n in range(0, len(cids), _CHUNK):
            part = set(cids[n : n + _CHUNK])
            refs = list({i.reference for c, i in items if c in part})
            rows = Stay.objects.filter(customer_id__in=list(part), reference__in=refs).only(
                "id", "customer_id", "reference"
            )
            for s in rows:
                cid = s.customer_id
                out[(cid if isinstance(cid, uuid.UUID) else uuid.UUID(str(cid)), s.reference)] = s
        return out


STAY_SITE_COLUMN = StaySiteColumn()


@dataclass(frozen=True)
class WaybillRegisterReader:
    """Claims no column; reads `shipment.waybill_no` (`ColumnExtension.reads`) so that an
    imported shipment numbered with a blank of an outlet's register marks that blank used
    (`waybills.register_imported`): the outlet would otherwise hand the same number out
    again, and the register (R-M1) would miss a used form. Runs after the shipments
    (registered later), in the batch's transaction."""

    name: str = "waybills_registered"

    def claims(self, column: str) -> bool:
        return False

    def reads(self, column: str) -> bool:
        return column == "shipment.waybill_no"

    def check_header(self, columns: Sequence[str]) -> None:
        return None

    def parse(self, cells: Mapping[str, str]) -> tuple[str | None, list[FieldIssue]]:
        return (cells.get("shipment.waybill_no", "").strip() or None), []

    def write(
        self, actor: Any, purpose: Any, channel: str, items: list[tuple[uuid.UUID, str]]
    ) -> dict[str, int]:
        n = waybills.register_imported(actor, purpose, [no for _, no in items])
        return {self.name: n} if n else {}


WAYBILL_REGISTER = WaybillRegisterReader()
