"""Typed codes of the operations domain (R-A6, R-M1, R-M2). Labels are "中文 / English"."""

from __future__ import annotations

from django.db import models


class SiteKind(models.TextChoices):
    HOTEL = "hotel", "酒店 / hotel"
    OUTLET = "outlet", "快递网点 / courier outlet"
    COUNTER = "counter", "旅行社门店 / travel counter"


class StayState(models.TextChoices):
    RESERVED = "reserved", "待入住 / reserved"
    IN_HOUSE = "in_house", "在住 / in house"
    CHECKED_OUT = "checked_out", "已离店 / checked out"


class WaybillState(models.TextChoices):
    """A blank waybill's life (R-M1): issued to an outlet, used on a shipment, then
    delivered; or voided (spoilt, cancelled) or lost — each with who and when."""

    ISSUED = "issued", "空白 / blank"
    USED = "used", "已使用 / used"
    DELIVERED = "delivered", "已签收 / delivered"
    VOIDED = "voided", "已作废 / voided"
    LOST = "lost", "已遗失 / lost"


class ScanStage(models.TextChoices):
    PICKUP = "pickup", "揽收 / pickup"
    SORTING = "sorting", "分拣 / sorting"
    TRANSPORT = "transport", "运输 / transport"
    DELIVERY = "delivery", "派送 / out for delivery"


class FailReason(models.TextChoices):
    NOBODY_HOME = "nobody_home", "无人签收 / nobody home"
    WRONG_ADDRESS = "wrong_address", "地址有误 / wrong address"
    REFUSED = "refused", "拒收 / refused"
    RESCHEDULED = "rescheduled", "改约时间 / rescheduled"


class VoidReason(models.TextChoices):
    SPOILT = "spoilt", "填写错误或损坏 / spoilt"
    CANCELLED = "cancelled", "寄件取消 / shipment cancelled"
    MISPRINT = "misprint", "打印错误 / misprint"
    MISSING = "missing", "清点缺失 / missing at count"
    PARCEL_LOST = "parcel_lost", "快件遗失 / parcel lost"


class ProofKind(models.TextChoices):
    SIGNATURE = "signature", "签名 / signature"
    PHOTO = "photo", "拍照 / photo"
    LOCKER = "locker", "快递柜 / parcel locker"


class OpsAction(models.TextChoices):
    """Audit codes of this domain (registered through the participant contract)."""

    SITE_CREATED = "ops.site_created", "新建门店或网点 / site created"
    STAFF_POSTED = "ops.staff_posted", "员工任职门店 / staff posted to a site"
    STAY_BOOKED = "stay.booked", "登记住宿 / stay recorded"
    STAY_CHECKED_IN = "stay.checked_in", "入住 / checked in"
    STAY_ROOM_CHANGED = "stay.room_changed", "换房 / room changed"
    STAY_CHECKED_OUT = "stay.checked_out", "离店 / checked out"
    CARD_PRINTED = "stay.card_printed", "打印住宿登记单 / registration card printed"
    BOOKING_ADDED = "booking.added", "登记订单 / booking recorded"
    TRAVELLER_ADDED = "booking.traveller_added", "添加同行旅客 / traveller added"
    TRAVELLER_REMOVED = "booking.traveller_removed", "移除同行旅客 / traveller removed"
    GUEST_ADDED = "stay.guest_added", "登记同住客人 / room guest added"
    BOOKING_UPDATED = "booking.updated", "修改旅游订单 / booking changed"
    GUEST_REMOVED = "stay.guest_removed", "移除同住客人 / room guest removed"
    RANGE_ISSUED = "waybill.range_issued", "发放空白运单号段 / waybill range issued"
    WAYBILL_USED = "waybill.used", "运单已使用 / waybill used"
    WAYBILL_VOIDED = "waybill.voided", "运单作废 / waybill voided"
    WAYBILL_LOST = "waybill.lost", "运单遗失 / waybill lost"
    WAYBILL_SCANNED = "waybill.scanned", "扫描 / scanned"
    PARCEL_DELIVERED = "parcel.delivered", "已签收 / delivered"
    PARCEL_FAILED = "parcel.failed", "派送未成功 / delivery failed"
    LABEL_PRINTED = "waybill.label_printed", "打印面单 / label printed"
