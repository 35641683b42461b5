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
from baomi.customers.models import Booking, Stay

from .enums import SiteKind, StayState
from .models import CounterBooking, Occupancy, Site
from .services import bookings, stays, waybills

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


# -- booking.site: the travel counter that took an imported booking (decision 0041 §7) ------
BOOKING_COLUMN = "booking.site"
BOOKING_READS = frozenset({"booking.reference", "booking.start_date", "booking.end_date"})


@dataclass(frozen=True)
class BookingAtSite:
    site: str
    reference: str
    start: str
    end: str


@dataclass(frozen=True)
class BookingSiteColumn:
    """`booking.site` — a travel counter's site code: the imported booking is linked to
    that counter through `bookings.record_at_counter` (the counter's staff then see it in
    full and list it). Same shape and rules as `stay.site`: counter codes loaded once per
    file, an unknown code or a site that is no counter rejects the row (`site_unknown`),
    the booking's reference and start date are needed (`booking_missing`), a booking
    already at a counter is left as it is (`bookings_at_site_present`)."""

    name: str = "bookings_at_site"
    counters: frozenset[str] = field(default_factory=frozenset)

    @property
    def counts(self) -> tuple[str, ...]:
        return (self.name, f"{self.name}_present")

    def claims(self, column: str) -> bool:
        return column == BOOKING_COLUMN

    def reads(self, column: str) -> bool:
        return column in BOOKING_READS

    def check_header(self, columns: Sequence[str]) -> BookingSiteColumn | None:
        if not columns:
            return None
        codes = Site.objects.filter(kind=SiteKind.COUNTER).values_list("code", flat=True)
        return replace(self, counters=frozenset(codes))

    def parse(self, cells: Mapping[str, str]) -> tuple[BookingAtSite | None, list[FieldIssue]]:
        raw = cells.get(BOOKING_COLUMN, "").strip()
        if not raw:
            return None, []
        issues: list[FieldIssue] = []
        code = raw.upper()[:16]
        if code not in self.counters:
            issues.append(
                FieldIssue(
                    BOOKING_COLUMN, "site_unknown", "no such travel counter", "没有这家旅行社门店"
                )
            )
        days: list[str] = []
        for col in ("booking.start_date", "booking.end_date"):
            try:
                days.append(validators.plain_date(cells.get(col, "")))
            except validators.Invalid:
                days.append("")  # an invalid date is reported by the bookings' extension
        if (
            not cells.get("booking.reference", "").strip()
            or not cells.get("booking.start_date", "").strip()
        ):
            issues.append(
                FieldIssue(
                    BOOKING_COLUMN,
                    "booking_missing",
                    "a counter needs the booking's reference and start date",
                    "登记门店须同时填写订单号和出发日期",
                )
            )
        if issues or not days[0]:
            return None, issues
        ref = cells["booking.reference"].strip()
        return BookingAtSite(code, ref, days[0], days[1]), []

    def write(
        self, actor: Any, purpose: Any, channel: str, items: list[tuple[uuid.UUID, BookingAtSite]]
    ) -> dict[str, int]:
        counts = dict.fromkeys(self.counts, 0)
        found = self._bookings(items)
        placed = set(
            CounterBooking.objects.filter(
                booking_id__in=[b.pk for b in found.values()]
            ).values_list("booking_id", flat=True)
        )
        sites = {s.code: s for s in Site.objects.filter(code__in={i.site for _, i in items})}
        for cid, item in items:
            booking = found.get((cid, item.reference))
            if booking is None:  # the bookings' extension writes first (it registers first)
                raise ImportRefused(
                    "booking.site: the batch's bookings were not written first",
                    code="import_order",
                )
            if booking.pk in placed:
                counts[f"{self.name}_present"] += 1
                continue
            bookings.record_at_counter(
                actor,
                purpose,
                booking,
                sites[item.site],
                start_date=dt.date.fromisoformat(item.start),
                end_date=dt.date.fromisoformat(item.end) if item.end else None,
            )
            placed.add(booking.pk)
            counts[self.name] += 1
        return counts

    @staticmethod
    def _bookings(
        items: list[tuple[uuid.UUID, BookingAtSite]],
    ) -> dict[tuple[uuid.UUID, str], Booking]:
        out: dict[tuple[uuid.UUID, str], Booking] = {}
        cids = list(dict.fromkeys(c for c, _ in items))
        for n in range(0, len(cids), _CHUNK):
            part = set(cids[n : n + _CHUNK])
            refs = list({i.reference for c, i in items if c in part})
            rows = Booking.objects.filter(customer_id__in=list(part), reference__in=refs).only(
                "id", "customer_id", "reference"
            )
            for b in rows:
                cid = b.customer_id
                out[(cid if isinstance(cid, uuid.UUID) else uuid.UUID(str(cid)), b.reference)] = b
        return out


BOOKING_SITE_COLUMN = BookingSiteColumn()
