"""The privacy notice, generated from the data catalogue (R-B2) in zh-Hans and English.

`render(lang)` returns plain data (sections with paragraphs, bullet items and tables) that
the `/privacy` page, the API (`GET /api/v1/privacy-notice`) and apps or mini-programs show
alike. The version is the SHA-256 of both renderings (`digest()`): any change to a
catalogue entry (field, class, purpose, method, retention, legal hold), a consent purpose or
the text below yields a new digest, and the next request publishes it as a new version
(consent.services.current_notice).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Any

from baomi.catalog import fields as catalog
from baomi.catalog.enums import FieldClass, Purpose
from baomi.core.i18n import half, is_zh
from baomi.core.workdays import sla_working_days

from .purposes import CONSENTS

LANGS = ("zh-hans", "en")

ENTITIES = {
    "customer": ("客户档案", "Your profile"),
    "payment_method": ("支付方式", "Payment methods"),
    "booking": ("旅行预订（旅行社）", "Bookings (travel agency)"),
    "stay": ("住宿记录（酒店）", "Stays (hotel)"),
    "shipment": ("运单（快递）", "Shipments (courier)"),
    "rights_request": ("您的权利请求", "Your rights requests"),
    "rights_transition": ("请求处理记录", "Handling of your requests"),
    "rights_restriction": ("限制处理", "Restrictions of processing"),
}
METHODS = {
    "form": ("表单填写", "form"),
    "id_card_reader": ("证件读卡器", "ID-card reader"),
    "self_service": ("您自行填写", "filled in by you"),
    "booking": ("预订时采集", "at booking"),
    "check_in": ("入住登记时采集", "at check-in"),
    "folio": ("账单", "folio"),
    "waybill": ("运单", "waybill"),
    "import": ("批量导入", "import"),
    "api": ("接口", "API"),
    "rights_request": ("您提出请求时", "when you make a request"),
}
RETENTION_ZH = {
    "3 years after the request is closed (evidence of handling), then destroyed": (
        "请求办结后保存 3 年（处理凭证），期满销毁"
    ),
    "3 years after the last service, then destroyed": "最后一次服务后保存 3 年，期满销毁",
    "2 years after check-out (public-security registration rules), then destroyed": (
        "离店后保存 2 年（公安住宿登记规定），期满销毁"
    ),
    "3 years after the trip, then destroyed": "行程结束后保存 3 年，期满销毁",
    "1 year after delivery (Express Market rules), then destroyed": (
        "签收后保存 1 年（快递市场管理规定），期满销毁"
    ),
    "until the customer removes the card, or 1 year unused": "直至您删除该卡，或连续 1 年未使用",
}
RECIPIENTS: tuple[tuple[Purpose | None, str, str], ...] = (
    (
        Purpose.RECEPTION,
        "为履行您的预订：航空公司、酒店、地接社（仅限履约所需信息）",
        "To deliver your booking: airlines, hotels, local operators (only what it needs)",
    ),
    (
        Purpose.BILLING,
        "支付机构与银行（支付令牌与卡号前 6 后 4 位，从不提供安全码）",
        "Payment institutions and banks (token and first 6 / last 4 digits; never the CVV)",
    ),
    (
        Purpose.DELIVERY,
        "快递与物流合作方（派送所需的姓名、电话与地址，电话与姓名脱敏显示）",
        "Courier and logistics partners (name, phone and address for delivery, masked)",
    ),
    (
        Purpose.LEGAL_REQUEST,
        "公安机关、国家安全机关、检察机关依法调取（逐次登记并经审批）",
        "Public security, state security and procuratorate bodies acting under law (each "
        "request recorded and approved)",
    ),
    (
        None,
        "其他合作方：仅在您单独同意“向合作方提供”之后，并签订个人信息保护协议",
        "Other partners: only after your separate consent to sharing, under a signed "
        "data-protection agreement",
    ),
)
_REF = re.compile(r",?\s*\bR-[A-Z]\d+\b")


def _t(zh: str, en: str, lang: str) -> str:
    return zh if is_zh(lang) else en


def _purposes(purposes: tuple[Purpose, ...], lang: str) -> str:
    # answering your own requests and lawful requests apply to every item: named where
    # they are the only purpose
    shown = [p for p in purposes if p not in (Purpose.RIGHTS_REQUEST, Purpose.LEGAL_REQUEST)]
    shown = shown or list(purposes)
    sep = "、" if is_zh(lang) else ", "
    return sep.join(half(p.label, lang) for p in shown)


def _retention(text: str, lang: str) -> str:
    clean = _REF.sub("", text).replace(" ()", "").strip()
    return RETENTION_ZH.get(clean, clean) if is_zh(lang) else clean


def _collection(lang: str) -> list[dict[str, Any]]:
    cols = [
        _t("信息", "Item", lang),
        _t("类别", "Class", lang),
        _t("用途", "Used for", lang),
        _t("采集方式", "How collected", lang),
        _t("保存期限", "Kept for", lang),
    ]
    tables = []
    entities = dict.fromkeys(f.entity for f in catalog.FIELDS)
    for entity in entities:
        zh, en = ENTITIES.get(entity, (entity, entity))
        rows = [
            [
                f.label_zh if is_zh(lang) else f.label_en,
                half(f.klass.label, lang),
                _purposes(f.purposes, lang),
                _t(*METHODS.get(f.method, (f.method, f.method)), lang),
                _retention(f.retention, lang),
            ]
            for f in catalog.fields_of(entity)
        ]
        tables.append({"caption": _t(zh, en, lang), "columns": cols, "rows": rows})
    prefs = catalog.spec("customer", "preferences")
    tables.append(
        {
            "caption": _t("偏好（您自行填写，均为可选）", "Preferences (optional, yours)", lang),
            "columns": cols,
            "rows": [
                [
                    p.label_zh if is_zh(lang) else p.label_en,
                    half(FieldClass.PREFERENCE.label, lang),
                    _purposes(prefs.purposes, lang),
                    _t(*METHODS["self_service"], lang),
                    _retention(prefs.retention, lang),
                ]
                for p in catalog.PREFERENCE_KEYS
            ],
        }
    )
    return tables


def render(lang: str) -> dict[str, Any]:
    """The notice in one language, as plain data (no version: the version is its digest)."""
    lang = "zh-hans" if is_zh(lang) else "en"
    sensitive = [
        (f.label_zh if is_zh(lang) else f.label_en)
        for f in catalog.FIELDS
        if f.klass is FieldClass.SENSITIVE
    ]
    sep = "、" if is_zh(lang) else ", "
    days = sla_working_days()
    sections: list[dict[str, Any]] = [
        {
            "id": "intro",
            "heading": _t("我们是谁，本说明适用于什么", "Who we are and what this covers", lang),
            "paragraphs": [
                _t(
                    "本说明告诉您：我们在网站、App、微信公众号与小程序、门店柜台、呼叫中心"
                    "以及合作渠道收集哪些个人信息、为什么收集、保存多久、可能提供给谁，"
                    "以及您如何查阅、复制、更正、删除您的信息或撤回同意。",
                    "This notice tells you which personal information we collect on our "
                    "website, app, WeChat account and mini-program, at our counters, in our "
                    "call centre and through partners; why; how long we keep it; who may "
                    "receive it; and how you can see, copy, correct or delete it or withdraw "
                    "your consent.",
                    lang,
                ),
                _t(
                    "我们只收集下表所列、且有明确用途的信息；没有用途需要的信息不收集。",
                    "We collect only the items listed below, each for a stated purpose; "
                    "nothing is collected that no purpose needs.",
                    lang,
                ),
            ],
        },
        {
            "id": "collection",
            "heading": _t("我们收集的信息、用途与保存期限", "What we collect, why, how long", lang),
            "paragraphs": [
                _t(
                    "类别：基础信息（姓名、联系方式）、敏感信息（证件号码、支付信息、"
                    "住宿记录与行踪）、偏好信息（特殊需求、消费习惯）。每一类有不同的保护措施。",
                    "Classes: basic (name, contact), sensitive (ID numbers, payment data, "
                    "accommodation records and movements), preferences (special needs, "
                    "habits). Each class has its own protection.",
                    lang,
                )
            ],
            "tables": _collection(lang),
        },
        {
            "id": "sensitive",
            "heading": _t("敏感个人信息", "Sensitive personal information", lang),
            "paragraphs": [
                _t(
                    "以下信息属于敏感个人信息，我们仅在必要时处理，并事先取得您的单独同意：",
                    "The following are sensitive; we process them only where necessary and "
                    "with your separate consent:",
                    lang,
                )
                + sep.join(dict.fromkeys(sensitive))
                + _t(
                    "。不满十四周岁儿童的信息同样视为敏感信息。",
                    ". Data of children under 14 is treated as sensitive too.",
                    lang,
                ),
                _t(
                    "我们从不保存银行卡安全码（CVV），卡号只保存前 6 位与后 4 位。",
                    "We never store card security codes (CVV) and keep only the first 6 and "
                    "last 4 digits of a card number.",
                    lang,
                ),
            ],
        },
        {
            "id": "consents",
            "heading": _t("需要您同意的事项", "What we ask your consent for", lang),
            "paragraphs": [
                _t(
                    "以下事项仅在您同意后进行。您可以随时在自助服务页面、门店或客服处撤回，"
                    "撤回立即生效，不影响撤回前已进行的处理。",
                    "We do the following only with your consent. You can withdraw at any "
                    "time in the self-service portal, at a counter or through customer "
                    "service; withdrawal takes effect at once and does not affect earlier "
                    "processing.",
                    lang,
                )
            ],
            "tables": [
                {
                    "caption": "",
                    "columns": [
                        _t("事项", "Purpose", lang),
                        _t("说明", "What it means", lang),
                        _t("单独同意", "Separate consent", lang),
                    ],
                    "rows": [
                        [
                            c.label_zh if is_zh(lang) else c.label_en,
                            c.text_zh if is_zh(lang) else c.text_en,
                            _t("是", "yes", lang) if c.separate else _t("否", "no", lang),
                        ]
                        for c in CONSENTS
                    ],
                }
            ],
        },
        {
            "id": "sharing",
            "heading": _t("我们可能向谁提供您的信息", "Who may receive your data", lang),
            "paragraphs": [
                _t(
                    "除下列情形外，我们不向任何组织或个人提供您的信息；我们从不出售您的信息。",
                    "Apart from the cases below we give your data to no organisation or "
                    "person, and we never sell it.",
                    lang,
                )
            ],
            "bullets": [_t(zh, en, lang) for _, zh, en in RECIPIENTS],
        },
        {
            "id": "legal_holds",
            "heading": _t(
                "删除后依法保留的记录", "What the law makes us keep after deletion", lang
            ),
            "paragraphs": [
                _t(
                    "删除您的信息时，我们销毁您的数据密钥，所有个人信息随之无法恢复。"
                    "以下记录因法律要求以最小形式保留（不含姓名、电话等个人信息）：",
                    "When we delete your data we destroy its key, which makes every personal "
                    "value unrecoverable. The law makes us keep these records in minimal form "
                    "(no name, phone or other personal value):",
                    lang,
                )
            ],
            "bullets": [
                (h.basis_zh + "；" + h.period_zh)
                if is_zh(lang)
                else (h.basis_en + "; " + h.period_en)
                for h in catalog.LEGAL_HOLDS
            ],
        },
        {
            "id": "rights",
            "heading": _t("您的权利以及如何行使", "Your rights and how to use them", lang),
            "paragraphs": [
                _t(
                    f"您可以在自助服务页面（/portal/，用手机号或电子邮箱加一次性验证码登录）、"
                    f"门店柜台或客服电话提出请求。我们在 {days} 个工作日内答复；"
                    "如不能满足，会告诉您理由。",
                    f"Use the self-service portal (/portal/, sign in with your phone or e-mail "
                    f"and a one-time code), a counter or the call centre. We answer within "
                    f"{days} working days; if we refuse, we tell you why.",
                    lang,
                )
            ],
            "bullets": [
                _t("查阅并下载您的信息副本", "See your data and download a copy", lang),
                _t("更正不准确的信息", "Correct inaccurate data", lang),
                _t("删除您的信息", "Delete your data", lang),
                _t("限制处理（仅保存，不使用）", "Restrict processing (kept, not used)", lang),
                _t("撤回同意", "Withdraw consent", lang),
                _t("就个人信息问题投诉", "Complain about a privacy issue", lang),
            ],
        },
        {
            "id": "security",
            "heading": _t("我们如何保护您的信息", "How we protect your data", lang),
            "paragraphs": [
                _t(
                    "每位客户的信息用独立密钥加密保存，传输全程加密；员工只能按岗位与用途看到"
                    "必要的信息（其余脱敏或不显示），每一次查阅都记入防篡改的审计日志。",
                    "Each customer's data is encrypted under its own key and encrypted in "
                    "transit; staff see only what their role and purpose need (the rest is "
                    "masked or hidden), and every access is written to a tamper-evident "
                    "audit log.",
                    lang,
                )
            ],
        },
    ]
    for sec in sections:  # every section has every key (templates, apps)
        sec.setdefault("paragraphs", [])
        sec.setdefault("bullets", [])
        sec.setdefault("tables", [])
    return {
        "lang": lang,
        "title": _t("个人信息保护说明", "Privacy notice", lang),
        "sections": sections,
    }


@lru_cache(maxsize=1)
def rendered() -> tuple[dict[str, Any], str]:
    """Both renderings and their digest (the catalogue is code: fixed for the process)."""
    content = {lang: render(lang) for lang in LANGS}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return content, hashlib.sha256(canonical.encode()).hexdigest()


def clear_cache() -> None:
    rendered.cache_clear()
