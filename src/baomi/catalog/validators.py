"""Normalise-and-validate functions named by the catalogue (R-B4, R-K3).

Each takes the raw input and returns the normalised string, or raises `Invalid` with a
code and zh/en message. Messages never echo the value (it may be personal).
Checksums come from python-stdnum and phonenumbers, never hand-written.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from datetime import date

import email_validator
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import luhn, numdb
from stdnum.cn import ric

from .enums import Gender, IdType


class Invalid(ValueError):
    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code, self.en, self.zh = code, en, zh


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 controls
_SPACES = re.compile(r"\s+")
# Bidirectional embeddings, overrides and isolates reorder what a reader sees ("Trojan
# Source", CVE-2021-42574): refused in every text field.
_BIDI_OVERRIDES = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# In names also the bidi marks (LRM, RLM, ALM): a name needs none of them.
_BIDI_MARKS = frozenset("\u200e\u200f\u061c")
_JOINERS = frozenset("\u200c\u200d")  # ZWNJ / ZWJ: part of some scripts' spelling


def text(value: object, *, max_len: int = 200) -> str:
    s = unicodedata.normalize("NFKC", str(value)).strip()
    s = _SPACES.sub(" ", s)
    if not s:
        raise Invalid("required", "must not be empty", "不能为空")
    if _CONTROL.search(s):
        raise Invalid("control_chars", "contains control characters", "包含控制字符")
    if _BIDI_OVERRIDES.search(s):
        raise Invalid(
            "bidi_control", "contains text-direction override characters", "包含文字方向控制字符"
        )
    if len(s) > max_len:
        raise Invalid("too_long", f"longer than {max_len} characters", f"超过 {max_len} 个字符")
    return s


def name(value: object) -> str:
    """A person's name: visible letters, no digits, no bidi controls, no invisible
    characters except a joiner (ZWNJ/ZWJ) between two letters, as some scripts spell."""
    s = text(value, max_len=100)
    if any(ch.isdigit() for ch in s):
        raise Invalid("name_digits", "a name cannot contain digits", "姓名不能包含数字")
    if any(ch in _BIDI_MARKS for ch in s):
        raise Invalid(
            "bidi_control", "contains text-direction override characters", "包含文字方向控制字符"
        )
    for i, ch in enumerate(s):
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Co", "Cn", "Cs") and not (
            ch in _JOINERS and 0 < i < len(s) - 1 and s[i - 1].isalpha() and s[i + 1].isalpha()
        ):
            raise Invalid("name_invisible", "contains invisible characters", "包含不可见字符")
    if not any(unicodedata.category(ch)[0] == "L" for ch in s):
        raise Invalid("name_no_letters", "a name needs at least one letter", "姓名须包含文字")
    return s


_NAME_KEY_DROP = re.compile(r"[\s.·•]")  # compiled once: an import calls name_key ≈ 4× a row


def name_key(value: str) -> str:
    """Blind-index normalisation for names: NFKC, case-folded, no spaces or dots.

    NFKC again at the end: dropping a space or case-folding can leave a sequence that NFKC
    composes ("A ́" → "a\u0301" → "á"), and the key must be canonical (idempotent)."""
    s = _NAME_KEY_DROP.sub("", unicodedata.normalize("NFKC", value)).casefold()
    return unicodedata.normalize("NFKC", s)


# Fast paths (issue #11: the three library validators were ≈ 70 % of an import row's
# validation). Each accepts only a shape for which the library's own answer is certain, and
# gives exactly that answer; anything else goes through the library.
# `tests/test_validation_fastpaths.py` compares both paths on tens of thousands of inputs.
#
# Phones: an 11-digit mainland mobile written plainly (optionally +86). Prefixes 11x, 12x
# and 179 are left to the library: CN's national_prefix_for_parsing strips carrier codes
# (1[12]xx, 179xx) from such numbers. Validity is the library's own metadata: the number
# matches CN's general pattern and its mobile pattern (so its type is not UNKNOWN).
_CN_MOBILE_SHAPE = re.compile(r"(?:\+86)?(1(?:[3-68-9]\d|7[0-8])\d{8})")


@functools.cache
def _cn_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    md = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert md is not None and md.general_desc is not None and md.mobile is not None
    general = md.general_desc.national_number_pattern
    mobile = md.mobile.national_number_pattern
    assert general is not None and mobile is not None
    return re.compile(general), re.compile(mobile)


def phone(value: object, region: str = "CN") -> str:
    raw = str(value).strip()
    if region == "CN":
        m = _CN_MOBILE_SHAPE.fullmatch(raw)
        if m is not None:
            general, mobile = _cn_patterns()
            nn = m.group(1)
            if general.fullmatch(nn) and mobile.fullmatch(nn):
                return "+86" + nn
    return phone_library(raw, region)


def phone_library(raw: str, region: str = "CN") -> str:
    """The phonenumbers path (every shape the fast path does not take)."""
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise Invalid("phone_unparseable", "not a phone number", "不是有效的电话号码") from exc
    if not phonenumbers.is_valid_number(num):
        raise Invalid("phone_invalid", "phone number is not valid", "电话号码无效")
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


# E-mail: a plain ASCII address — letters, digits and . _ + - in the local part (no dot at
# either end, none doubled), LDH domain labels without "--" (so no IDNA), a letters-only
# TLD, not a special-use domain, within RFC 5321 lengths. email-validator accepts every
# such address and normalises it to itself (then lower-cased here, as before).
_EMAIL_SHAPE = re.compile(
    r"[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?@"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.ASCII,
)
_SPECIAL_USE = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)  # arpa, invalid, local, …


def _plain_email(s: str) -> bool:
    if len(s) > 254 or not _EMAIL_SHAPE.fullmatch(s):
        return False
    local, _, domain = s.partition("@")
    if len(local) > 64 or ".." in local or "--" in domain or len(domain) > 253:
        return False
    return not any(domain == d or domain.endswith("." + d) for d in _SPECIAL_USE)


def email(value: object) -> str:
    s = str(value).strip()
    low = s.lower()
    if low.isascii() and _plain_email(low):
        return low
    return email_library(s)


def email_library(s: str) -> str:
    """The email-validator path (every shape the fast path does not take)."""
    try:
        result = validate_email(s, check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid("email_invalid", "e-mail address is not valid", "电子邮箱无效") from exc
    return str(result.normalized).lower()


@functools.cache
def _codes(allowed: type[IdType] | type[Gender]) -> frozenset[str]:
    """The codes of a choice enum, computed once (Django's `.values` builds a new list on
    every access, which cost ~50 µs per imported row)."""
    return frozenset(allowed.values)


def choice(value: object, allowed: type[IdType] | type[Gender]) -> str:
    s = str(value).strip().lower()
    if s not in _codes(allowed):
        raise Invalid(
            "not_a_choice",
            f"must be one of {', '.join(allowed.values)}",
            f"必须是 {', '.join(allowed.values)} 之一",
        )
    return s


def id_type(value: object) -> str:
    return choice(value, IdType)


def gender(value: object) -> str:
    return choice(value, Gender)


_ID_FORMATS: dict[str, re.Pattern[str]] = {
    IdType.PASSPORT: re.compile(r"^[A-Z0-9]{5,17}$"),
    # 港澳居民来往内地通行证 (H/M + 8 or 10 digits); 往来港澳通行证 (C + letter/digit + 7 digits)
    IdType.HK_MACAU_PERMIT: re.compile(r"^(?:[HM]\d{8}(?:\d{2})?|C[0-9A-Z]\d{7})$"),
    # 台湾居民来往大陆通行证: 8 digits (since 2015) or 10 characters (older)
    IdType.TAIWAN_PERMIT: re.compile(r"^(?:\d{8}|\d{10}|[A-Z]\d{9})$"),
    # 外国人永久居留身份证: 3 letters + 12 digits (2004) or 18 digits starting with 9 (2023)
    IdType.FOREIGN_PERMANENT_RESIDENT: re.compile(r"^(?:[A-Z]{3}\d{12}|9\d{17})$"),
}


_RIC_SHAPE = re.compile(r"\d{17}[\dX]")
_RIC_INVALID = (
    "id_number_invalid",
    "not a valid mainland resident ID (checksum, birth date or region)",
    "居民身份证号码无效（校验位、出生日期或地区码错误）",
)


@functools.cache
def region_code_known(code: str) -> bool:
    """Whether a 6-digit administrative division code exists or ever existed, per
    python-stdnum's own region data (`stdnum/cn/loc.dat`, which keeps retired and renamed
    counties with their `[start-end]` years).

    The years are deliberately ignored: an ID carries the code in force when the card was
    ISSUED, not at birth, so someone born in 1962 holds a valid 440305 (Nanshan, 1990-)
    number. `stdnum.cn.ric.validate` checks the code against the birth year and so refused
    over half of a realistic file (issue #9 §1)."""
    if len(code) != 6 or not code.isdigit():
        return False
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    return bool(info.get("county"))


def preload() -> None:
    """Load the validators' lazily built tables now (stdnum's region table, ≈ 0.3 s;
    phonenumbers' metadata for CN and the regions of `phone_library`'s first foreign
    numbers; email-validator's): called once before the importer forks its validation
    workers, so each worker inherits them instead of building its own copy."""
    _cn_patterns()
    numdb.get("cn/loc")
    region_code_known("110105")
    for sample in ("+1 212 555 0123", "+44 20 7946 0958", "+852 2123 4567", "010 6552 9988"):
        phonenumbers.is_valid_number(phonenumbers.parse(sample, "CN"))
    validate_email("preload@example.org", check_deliverability=False)


def resident_id(value: str) -> str:
    """A mainland resident ID (居民身份证号码, GB 11643): 18 characters, ISO 7064 checksum
    (stdnum), a real birth date between 1900-01-01 and today, and a region code that
    exists or existed at any time. The one rule for the API, console, import and portal."""
    s = value if _RIC_SHAPE.fullmatch(value) else ric.compact(value)  # compact: identity then
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in "0123456789X":
        raise Invalid(*_RIC_INVALID)
    if ric.calc_check_digit(s) != s[17]:
        raise Invalid(*_RIC_INVALID)
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise Invalid(*_RIC_INVALID) from None
    if born < date(1900, 1, 1) or born > date.today():
        raise Invalid(*_RIC_INVALID)
    if not region_code_known(s[:6]):
        raise Invalid(*_RIC_INVALID)
    return s


def id_number(value: object, kind: str | None) -> str:
    s = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", str(value))).upper()
    if not s:
        raise Invalid("required", "must not be empty", "不能为空")
    if kind is None:
        raise Invalid(
            "id_type_required", "id_type is required with id_number", "填写证件号码时须填写证件类型"
        )
    if kind == IdType.CN_RESIDENT_ID:
        return resident_id(s)
    pattern = _ID_FORMATS.get(kind)
    if pattern is None or not pattern.match(s):
        raise Invalid("id_number_format", f"not a valid {kind} number", "证件号码格式错误")
    return s


def birth_date(value: object) -> str:
    if isinstance(value, date):
        d = value
    else:
        try:
            d = date.fromisoformat(str(value).strip()[:10])
        except ValueError as exc:
            raise Invalid(
                "date_invalid", "not an ISO date (YYYY-MM-DD)", "日期格式应为 YYYY-MM-DD"
            ) from exc
    if d > date.today() or d.year < 1900:
        raise Invalid("date_out_of_range", "birth date out of range", "出生日期超出范围")
    return d.isoformat()


def plain_date(value: object) -> str:
    try:
        return date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError as exc:
        raise Invalid(
            "date_invalid", "not an ISO date (YYYY-MM-DD)", "日期格式应为 YYYY-MM-DD"
        ) from exc


def nationality(value: object) -> str:
    s = str(value).strip().upper()
    if s not in phonenumbers.SUPPORTED_REGIONS:
        raise Invalid("country_invalid", "not an ISO 3166 alpha-2 country code", "国家代码无效")
    return s


def address(value: object) -> str:
    return text(value, max_len=300)


def amount(value: object) -> str:
    try:
        v = round(float(str(value).strip()), 2)
    except ValueError as exc:
        raise Invalid("amount_invalid", "not a number", "金额无效") from exc
    if not math.isfinite(v):  # float() accepts "nan" and "inf"; NaN passes both bounds below
        raise Invalid("amount_invalid", "not a number", "金额无效")
    if v < 0 or v > 10_000_000:
        raise Invalid("amount_out_of_range", "amount out of range", "金额超出范围")
    return f"{v:.2f}"


def short_text(value: object) -> str:
    return text(value, max_len=500)


# -- payment cards (R-C4) ---------------------------------------------------------
CVV_KEYS = frozenset(
    {"cvv", "cvc", "cvv2", "cvc2", "cid", "csc", "security_code", "card_security_code", "cav2"}
)


def _key_compact(key: object) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", str(key))).casefold()


_CVV_COMPACT = frozenset(_key_compact(k) for k in CVV_KEYS)


def is_cvv_key(key: object) -> bool:
    """A CVV_KEYS name in any case, width or spelling: `CVV`, `Cvc-2`, `security code`,
    `securityCode`, `card.security.code`, full-width `ＣＶＶ` (R-C4)."""
    return _key_compact(key) in _CVV_COMPACT


def card_number(value: object) -> tuple[str, str, str]:
    """Validate a PAN (Luhn via stdnum); return (brand, first6, last4). The PAN is not kept."""
    s = re.sub(r"[\s-]", "", str(value))
    if not s.isdigit() or not 12 <= len(s) <= 19 or not luhn.is_valid(s):
        raise Invalid("card_invalid", "card number is not valid", "银行卡号无效")
    return card_brand(s), s[:6], s[-4:]


def card_brand(pan: str) -> str:
    if pan.startswith("62"):
        return "unionpay"
    if pan.startswith("4"):
        return "visa"
    if pan[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(pan[:4]) <= 2720:
        return "mastercard"
    if pan[:2] in {"34", "37"}:
        return "amex"
    if pan.startswith("35"):
        return "jcb"
    return "other"


def card_expiry(value: object) -> str:
    m = re.match(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$", str(value))
    if not m:
        raise Invalid("expiry_invalid", "expiry must be MM/YY", "有效期格式应为 MM/YY")
    month, year = int(m.group(1)), int(m.group(2))
    year = year + 2000 if year < 100 else year
    if not 1 <= month <= 12:
        raise Invalid("expiry_invalid", "expiry month out of range", "有效期月份无效")
    return f"{month:02d}/{year % 100:02d}"
