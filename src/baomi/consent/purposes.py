"""What each consent covers, for the notice, the portal and the gate (R-B3).

`separate` marks the purposes PIPL asks a separate consent (单独同意) for: sensitive
personal information (art. 29), provision to other processors (art. 23) and cross-border
transfer (art. 39). `gate` names the processing purpose the access gate ties to a consent:
a `marketing` read of a customer without marketing consent gets no personal field.
"""

from __future__ import annotations

from dataclasses import dataclass

from baomi.catalog import deployment
from baomi.catalog.enums import Industry, Purpose

from .models import ConsentPurpose


@dataclass(frozen=True)
class ConsentSpec:
    code: ConsentPurpose
    text_zh: str
    text_en: str
    industry: Industry | None = None
    separate: bool = False
    gate: Purpose | None = None

    @property
    def label_zh(self) -> str:
        return str(self.code.label).partition(" / ")[0]

    @property
    def label_en(self) -> str:
        en = str(self.code.label).partition(" / ")[2]
        return en[:1].upper() + en[1:]


C = ConsentPurpose
CONSENTS: tuple[ConsentSpec, ...] = (
    ConsentSpec(
        C.MARKETING,
        "通过短信、电子邮件或微信向您发送优惠与活动信息；可随时退订。",
        "Offers and news by SMS, e-mail or WeChat; you can unsubscribe at any time.",
        gate=Purpose.MARKETING,
    ),
    ConsentSpec(
        C.PARTNER_SHARING,
        "为完成您预订的服务之外的目的，向合作方（如航空公司、酒店、保险公司）提供您的信息。",
        "Sharing your data with partners (airlines, hotels, insurers) beyond what your "
        "booking itself needs.",
        separate=True,
    ),
    ConsentSpec(
        C.SENSITIVE_PROCESSING,
        "处理敏感个人信息：证件号码、支付信息、住宿记录与行踪信息、不满十四周岁儿童的信息。",
        "Processing sensitive data: ID numbers, payment data, accommodation records and "
        "movements, data of children under 14.",
        separate=True,
    ),
    ConsentSpec(
        C.CROSS_BORDER,
        "为出境旅行等需要，向境外接收方提供您的信息（接收方名称与联系方式另行告知）。",
        "Transfer to recipients outside mainland China where your trip needs it (each "
        "recipient is named to you first).",
        separate=True,
    ),
    ConsentSpec(
        C.PROFILING,
        "根据您的偏好与消费记录为您推荐产品；您可随时关闭个性化推荐。",
        "Recommendations based on your preferences and purchases; you can switch them off "
        "at any time.",
    ),
    ConsentSpec(
        C.TRAVEL_COMPANIONS,
        "保存同行人信息，便于您下次预订时直接选用。",
        "Keeping your travel companions' details for your next booking.",
        industry=Industry.TRAVEL,
    ),
    ConsentSpec(
        C.HOTEL_PREFERENCES,
        "在本集团旗下酒店之间共享您的住宿偏好（楼层、枕头、饮食等）。",
        "Sharing your stay preferences (floor, pillow, diet) between the group's hotels.",
        industry=Industry.HOTEL,
    ),
    ConsentSpec(
        C.COURIER_ADDRESS_BOOK,
        "保存常用寄件人与收件人地址，便于下次寄件。",
        "Keeping frequent sender and recipient addresses for your next shipment.",
        industry=Industry.COURIER,
    ),
)
BY_CODE: dict[str, ConsentSpec] = {c.code.value: c for c in CONSENTS}
GATE_CONSENT: dict[Purpose, ConsentPurpose] = {c.gate: c.code for c in CONSENTS if c.gate}


def asked() -> tuple[ConsentSpec, ...]:
    """The consent items this deployment asks: every general one, and those of the
    industries it runs (`BAOMI_INDUSTRIES`; a hotel deployment asks no travel or courier
    item). The ledger still accepts any known purpose (imports, older decisions)."""
    return tuple(c for c in CONSENTS if deployment.runs(c.industry))
