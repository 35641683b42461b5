"""The day's work around the customer's records (issue #17, decision 0025).

Bookings, stays and shipments stay where they are (`customers.Booking/Stay/Shipment`: the
profile's records, read by the gate, written by the importer, cleared by erasure). This app
keeps what running a front desk or an outlet adds to them, and nothing personal in plain:

* `Site` — a hotel, a courier outlet or a travel counter; `Posting` — who works where.
* `Occupancy` — a stay's hotel and state (reserved → in house → checked out) and three
  keyed digests: arrival day, departure day and room, each HMAC-SHA256 over
  `site|value` under a key derived from the blind-index root (`operations.keys`). They find
  "today's arrivals at this hotel" or "room 502 tonight" without storing a date or a room
  in plain; the room and the dates themselves stay sealed on the stay.
* `WaybillRange` / `Waybill` / `Scan` — the register of blank waybills (R-M1): every number
  of an issued range is a row, tracked issued → used → delivered / voided / lost, with who
  and when; scans by stage.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .enums import (
    FailReason,
    ProofKind,
    ScanStage,
    SiteKind,
    StayState,
    VoidReason,
    WaybillState,
)


class Site(models.Model):
    id = models.BigAutoField(primary_key=True)
    code = models.CharField(max_length=16, unique=True)
    kind = models.CharField(max_length=16, choices=SiteKind.choices)
    name_zh = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80)
    city = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "operations_site"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Posting(models.Model):
    """The site a member of staff works at (one at a time)."""

    id = models.BigAutoField(primary_key=True)
    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posting"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="postings")
    since = models.DateTimeField()

    class Meta:
        db_table = "operations_posting"


class Occupancy(models.Model):
    stay = models.OneToOneField(
        "customers.Stay", on_delete=models.CASCADE, primary_key=True, related_name="occupancy"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="occupancies")
    state = models.CharField(max_length=16, choices=StayState.choices)
    arrival_key = models.CharField(max_length=32, db_index=True, blank=True, default="")
    departure_key = models.CharField(max_length=32, db_index=True, blank=True, default="")
    room_key = models.CharField(max_length=32, db_index=True, blank=True, default="")

    class Meta:
        db_table = "operations_occupancy"
        indexes = [models.Index(fields=["site", "state"], name="ops_occ_site_state")]


class WaybillRange(models.Model):
    id = models.BigAutoField(primary_key=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="ranges")
    start = models.BigIntegerField()
    count = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    issued_by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "operations_waybill_range"
        ordering = ["start"]

    @property
    def end(self) -> int:
        return self.start + self.count - 1


class Waybill(models.Model):
    no = models.CharField(max_length=20, primary_key=True)
    number = models.BigIntegerField(unique=True)  # the same, as a number (order, ranges)
    range = models.ForeignKey(WaybillRange, on_delete=models.PROTECT, related_name="waybills")
    state = models.CharField(max_length=16, choices=WaybillState.choices)
    shipment = models.OneToOneField(
        "customers.Shipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="register_entry",
    )
    courier_id = models.BigIntegerField(null=True, blank=True)  # who has it out for delivery
    stage = models.CharField(max_length=16, choices=ScanStage.choices, blank=True, default="")
    changed_at = models.DateTimeField()
    changed_by_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=16, choices=VoidReason.choices, blank=True, default="")
    proof_kind = models.CharField(max_length=16, choices=ProofKind.choices, blank=True, default="")
    proof_ref = models.CharField(max_length=64, blank=True, default="")
    failed_reason = models.CharField(
        max_length=16, choices=FailReason.choices, blank=True, default=""
    )

    class Meta:
        db_table = "operations_waybill"
        indexes = [
            models.Index(fields=["state"], name="ops_waybill_state"),
            models.Index(fields=["courier_id", "state"], name="ops_waybill_courier"),
        ]


class Scan(models.Model):
    id = models.BigAutoField(primary_key=True)
    waybill = models.ForeignKey(Waybill, on_delete=models.PROTECT, related_name="scans")
    stage = models.CharField(max_length=16, choices=ScanStage.choices)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="scans")
    at = models.DateTimeField()
    by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "operations_scan"
        ordering = ["at", "id"]


class Traveller(models.Model):
    """A companion on a booking (the booking's own customer is the lead traveller). Each
    traveller is a customer of their own — their profile, their consents — so the link
    holds two ids and what the counter checked, never a value (issue #17 §2)."""

    id = models.BigAutoField(primary_key=True)
    booking = models.ForeignKey(
        "customers.Booking", on_delete=models.PROTECT, related_name="travellers_on"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="trips_joined"
    )
    document_checked = models.BooleanField(default=False)  # ID / passport seen at the counter
    added_at = models.DateTimeField()
    added_by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "operations_traveller"
        constraints = [
            models.UniqueConstraint(fields=["booking", "customer"], name="ops_traveller_once")
        ]


class StayGuest(models.Model):
    """Another guest in the room of a stay (同住客人): hotel rules register every guest
    (《旅馆业治安管理办法》 art. 6), so each is a customer of their own — profile, ID
    document, consents — and the link holds two ids and whether the desk saw the original
    document, never a value (issue #17 §1 "the stay, room, companions")."""

    id = models.BigAutoField(primary_key=True)
    stay = models.ForeignKey("customers.Stay", on_delete=models.PROTECT, related_name="guests_on")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="stays_joined"
    )
    document_checked = models.BooleanField(default=False)
    added_at = models.DateTimeField()
    added_by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "operations_stay_guest"
        constraints = [models.UniqueConstraint(fields=["stay", "customer"], name="ops_guest_once")]


class CounterBooking(models.Model):
    """The travel counter that took a booking (decision 0041 §7): its staff see that
    booking's itinerary and dates in full under their duty (the participant's record
    opener), and its list of departures finds it by keyed digests of the trip's first and
    last day — HMAC over `site|day` like a stay's (`operations.keys`), never a plain date.
    The booking's values stay sealed on `customers.Booking`."""

    booking = models.OneToOneField(
        "customers.Booking", on_delete=models.CASCADE, primary_key=True, related_name="counter"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="bookings_taken")
    start_key = models.CharField(max_length=32, db_index=True, blank=True, default="")
    end_key = models.CharField(max_length=32, db_index=True, blank=True, default="")
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "operations_counter_booking"
