"""Catalogue-driven validation of customer input (R-B4, R-K3). Whole-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stdnum.cn import ric

from baomi.catalog import fields as catalog
from baomi.catalog import validators
from baomi.catalog.enums import Channel, IdType
from baomi.core.errors import FieldIssue, ValidationFailed

CUSTOMER_INPUT = set(catalog.CUSTOMER_FIELDS) | {"channel", "consent", "payment_card"}


def reject_cvv(data: Mapping[str, Any], where: str = "") -> None:
    """R-C4: refuse any CVV/CVC-like key anywhere in the input, before anything is stored."""
    stack: list[tuple[str, Any]] = [(where, data)]
    while stack:
        prefix, node = stack.pop()
        if isinstance(node, Mapping):
            for k, v in node.items():
                if validators.is_cvv_key(k):
                    raise ValidationFailed(
                        [
                            FieldIssue(
                                f"{prefix}{k}",
                                "cvv_forbidden",
                                "card security codes (CVV/CVC) are never accepted or stored",
                                "不接受也不存储银行卡安全码（CVV/CVC）",
                            )
                        ]
                    )
                stack.append((f"{prefix}{k}.", v))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                stack.append((f"{prefix}{i}.", v))


def issue(code: str, exc: validators.Invalid) -> FieldIssue:
    return FieldIssue(code, exc.code, exc.en, exc.zh)


def channel(value: object) -> str:
    s = str(value or "").strip().lower()
    if s not in Channel.values:
        raise ValidationFailed(
            [
                FieldIssue(
                    "channel",
                    "channel_unknown",
                    f"channel must be one of {', '.join(Channel.values)}",
                    "渠道代码无效",
                )
            ]
        )
    return s


def preferences(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise validators.Invalid(
                "preferences_json", "preferences must be a JSON object", "偏好必须是 JSON 对象"
            ) from exc
    if not isinstance(value, Mapping):
        raise validators.Invalid(
            "preferences_object", "preferences must be an object", "偏好必须是对象"
        )
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = catalog.PREFERENCES_BY_CODE.get(str(k))
        if key is None:
            raise validators.Invalid(
                "preference_unknown",
                f"unknown preference key {str(k)[:30]!r}",
                "未在数据目录中声明的偏好项",
            )
        items = v if isinstance(v, list) else [v]
        clean = [validators.text(i, max_len=100) for i in items]
        if key.choices and any(c not in key.choices for c in clean):
            raise validators.Invalid(
                "preference_choice",
                f"{key.code} must be one of {', '.join(key.choices)}",
                f"{key.label_zh} 取值无效",
            )
        out[key.code] = clean if isinstance(v, list) else clean[0]
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def birth_date_of(resident_id: str) -> str:
    """The ISO birth date in a validated 18-character mainland resident ID."""
    if len(resident_id) == 18:
        return f"{resident_id[6:10]}-{resident_id[10:12]}-{resident_id[12:14]}"
    return ric.get_birth_date(resident_id).isoformat()  # not produced by the validator


def clean_customer(
    data: Mapping[str, Any],
    *,
    partial: bool = False,
    existing_id_type: str | None = None,
    keys_checked: bool = False,
) -> dict[str, str]:
    """Validate and normalise profile fields. Returns {field: normalised string}.

    Raises ValidationFailed listing every bad field; nothing is stored on failure.
    Unknown keys are refused too (minimisation: nothing outside the catalogue is collected).
    `keys_checked`: the caller has already refused CVV-like and uncatalogued keys and
    passes flat text values (the importer, whose keys are the checked header's catalogue
    fields: the same keys on every row, checked once per file instead of once per row).
    """
    if not keys_checked:
        reject_cvv(data)
    issues: list[FieldIssue] = []
    out: dict[str, str] = {}
    for k in () if keys_checked else data:
        if k not in CUSTOMER_INPUT:
            issues.append(
                FieldIssue(
                    str(k)[:40],
                    "field_unknown",
                    "not a catalogued field; it cannot be collected",
                    "未在数据目录中声明的字段，不得采集",
                )
            )
    for spec in catalog.fields_of("customer"):
        raw = data.get(spec.code)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required and not partial:
                issues.append(FieldIssue(spec.code, "required", "is required", "必填"))
            continue
        try:
            if spec.code == "preferences":
                out[spec.code] = preferences(raw)
            elif spec.code == "id_number":
                continue  # needs id_type; below
            elif spec.normalise is not None:
                out[spec.code] = spec.normalise(raw)
        except validators.Invalid as exc:
            issues.append(issue(spec.code, exc))
    raw_id = data.get("id_number")
    if raw_id not in (None, ""):
        kind = out.get("id_type") or existing_id_type
        if "id_type" in data and "id_type" not in out:
            pass  # id_type itself was invalid; already reported
        else:
            try:
                out["id_number"] = validators.id_number(raw_id, kind)
            except validators.Invalid as exc:
                issues.append(issue("id_number", exc))
    elif "id_type" in out and not partial:
        issues.append(
            FieldIssue(
                "id_number", "required", "is required with id_type", "填写证件类型时须填写证件号码"
            )
        )
    # cross-field: a mainland ID encodes the birth date; they must agree. The number is
    # already validated (`validators.resident_id`: 18 characters, digits 7–14 a real date
    # YYYYMMDD), so the date is read from it as text, not re-parsed by stdnum.
    if (
        out.get("id_type") == IdType.CN_RESIDENT_ID
        and "id_number" in out
        and "birth_date" in out
        and birth_date_of(out["id_number"]) != out["birth_date"]
    ):
        issues.append(
            FieldIssue(
                "birth_date",
                "birth_date_mismatch",
                "does not match the birth date in the ID number",
                "与身份证号码中的出生日期不一致",
            )
        )
    if issues:
        raise ValidationFailed(issues)
    return out


def clean_record(entity: str, data: Mapping[str, Any]) -> dict[str, str]:
    reject_cvv(data)
    issues: list[FieldIssue] = []
    out: dict[str, str] = {}
    specs = {s.code: s for s in catalog.fields_of(entity)}
    for k, raw in data.items():
        spec = specs.get(k)
        if spec is None:
            issues.append(
                FieldIssue(
                    str(k)[:40],
                    "field_unknown",
                    "not a catalogued field; it cannot be collected",
                    "未在数据目录中声明的字段，不得采集",
                )
            )
            continue
        if raw is None or str(raw).strip() == "":
            continue
        try:
            out[k] = spec.normalise(raw) if spec.normalise else validators.text(raw)
        except validators.Invalid as exc:
            issues.append(issue(k, exc))
    if issues:
        raise ValidationFailed(issues)
    return out
