"""Customer profiles and their industry records (R-A1, R-A4, R-A6).

Every personal column is a SealedField (ciphertext under the customer's data key, bound to
table, field, customer and row); catalogue entries declare each one. `lineage` keeps the
source channel and time of every value (codes and timestamps only, no values).
"""

from __future__ import annotations

import uuid

from django.db import models

from baomi.catalog.enums import Channel
from baomi.vault.fields import SealedField


class Customer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = SealedField()
    phone = SealedField()
    email = SealedField()
    id_type = SealedField()
    id_number = SealedField()
    gender = SealedField()
    birth_date = SealedField()
    nationality = SealedField()
    address = SealedField()
    preferences = SealedField()
    lineage = models.JSONField(default=dict)
    primary_channel = models.CharField(max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "customers_customer"

    def __str__(self) -> str:  # never a personal value
        return f"Customer {self.id}"


class ShipmentStatus(models.TextChoices):
    CREATED = "created", "已下单 / created"
    COLLECTED = "collected", "已揽收 / collected"
    SORTING = "sorting", "分拣中 / sorting"
    IN_TRANSIT = "in_transit", "运输中 / in transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "派送中 / out for delivery"
    DELIVERED = "delivered", "已签收 / delivered"
    RETURNED = "returned", "已退回 / returned"


class _Record(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True


class Booking(_Record):
    """Travel pack: a booking / itinerary."""

    reference = models.CharField(max_length=32, db_index=True)
    product = SealedField()
    destination = SealedField()
    start_date = SealedField()
    end_date = SealedField()
    travellers = SealedField()
    amount = SealedField()

    class Meta:
        db_table = "customers_booking"


class Stay(_Record):
    """Hotel pack: a stay (accommodation record — sensitive, R-C1)."""

    reference = models.CharField(max_length=32, db_index=True)
    room = SealedField()
    check_in = SealedField()
    check_out = SealedField()
    spend = SealedField()
    special_requests = SealedField()

    class Meta:
        db_table = "customers_stay"


class Shipment(_Record):
    """Courier pack: a waybill with sender and recipient (R-M2)."""

    waybill_no = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices)
    sender_name = SealedField()
    sender_phone = SealedField()
    sender_address = SealedField()
    recipient_name = SealedField()
    recipient_phone = SealedField()
    recipient_address = SealedField()
    item_type = SealedField()

    class Meta:
        db_table = "customers_shipment"


class PaymentMethod(_Record):
    """Tokenised card: brand + first 6 / last 4 + expiry. Never a PAN, never a CVV (R-C4)."""

    token = models.CharField(max_length=40, unique=True)
    brand = models.CharField(max_length=16)
    card = SealedField()
    expiry = SealedField()
    holder = SealedField()

    class Meta:
        db_table = "customers_payment_method"


ENTITY_MODELS: dict[str, type[models.Model]] = {
    "customer": Customer,
    "booking": Booking,
    "stay": Stay,
    "shipment": Shipment,
    "payment_method": PaymentMethod,
}
