"""The new-customer form: POST → service input, and service errors → per-field messages.

Validation itself lives in the services (catalogue-driven, whole-or-nothing); this module
only maps HTML input names to the service's field names and back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel, Gender, IdType
from baomi.core.errors import FieldIssue

from . import labels

PROFILE_INPUTS = ("name", "phone", "email", "id_type", "id_number", "gender")
PROFILE_INPUTS_2 = ("birth_date", "nationality", "address")
CARD_PREFIX = "card_"
CARD_KEYS = frozenset({"number", "expiry", "holder"})
PREF_PREFIX = "pref_"
LIST_PREFERENCES = frozenset({"interests"})
IGNORED = frozenset({"csrfmiddlewaretoken"})
# Form inputs whose service field name differs.
INPUT_FOR_FIELD = {
    "payment_card.number": "card_number",
    "payment_card.expiry": "card_expiry",
    "payment_card.holder": "card_holder",
}


def customer_input(post: Mapping[str, str]) -> tuple[dict[str, Any], str]:
    """(service data, channel). Empty inputs are dropped; unknown inputs are passed on so
    the service refuses them by name — a `cvv` (or `card_cvv`) is never silently ignored."""
    data: dict[str, Any] = {}
    card: dict[str, str] = {}
    prefs: dict[str, Any] = {}
    for key, raw in post.items():
        if key in IGNORED:
            continue
        value = raw.strip()
        if key.startswith(CARD_PREFIX):
            card[key[len(CARD_PREFIX) :]] = value
        elif key.startswith(PREF_PREFIX):
            code = key[len(PREF_PREFIX) :]
            if value and code in LIST_PREFERENCES:
                prefs[code] = [v.strip() for v in re.split(r"[,，、;；]", value) if v.strip()]
            elif value:
                prefs[code] = value
        elif key in catalog.CUSTOMER_FIELDS or key == "channel":
            if value:
                data[key] = value
        else:
            data[key] = raw  # not a form field: let the service refuse it by name
    if any(card.values()) or set(card) - CARD_KEYS:
        # an unexpected card input (e.g. card_cvv) is passed on even when empty: refused
        data["payment_card"] = {k: v for k, v in card.items() if v or k not in CARD_KEYS}
    if prefs:
        data["preferences"] = prefs
    channel = str(data.pop("channel", Channel.STORE))
    return data, channel


def echo(post: Mapping[str, str]) -> dict[str, str]:
    """Values to put back into the form after an error (card inputs are never echoed)."""
    return {
        k: v
        for k, v in post.items()
        if k not in IGNORED and not k.startswith(CARD_PREFIX) and len(v) <= 200
    }


@dataclass
class FormErrors:
    by_input: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_input or self.general)


def form_errors(issues: list[FieldIssue]) -> FormErrors:
    """Attach each issue to its input; issues about inputs the form lacks go on top."""
    out = FormErrors()
    inputs = {*PROFILE_INPUTS, *PROFILE_INPUTS_2, "channel", *INPUT_FOR_FIELD.values()}
    for issue in issues:
        name = INPUT_FOR_FIELD.get(issue.field, issue.field)
        if name.startswith("preferences"):
            name = "preferences"
        msg = labels.issue_message(issue)
        if name in inputs or name == "preferences":
            out.by_input.setdefault(name, []).append(msg)
        else:
            label = labels.issue_field_label(issue.field)
            out.general.append(f"{label}: {msg}" if label else msg)
    return out


@dataclass
class Input:
    name: str
    label: str
    kind: str = "text"  # text, email, date, select
    value: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    required: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


def _spec_input(code: str, data: Mapping[str, str], errors: FormErrors) -> Input:
    spec = catalog.spec("customer", code)
    inp = Input(
        code,
        labels.spec_label(spec),
        value=data.get(code, ""),
        errors=errors.by_input.get(code, []),
        required=spec.required,
    )
    if code == "email":
        inp.kind = "email"
    elif code == "birth_date":
        inp.kind = "date"
    elif code == "id_type":
        inp.kind = "select"
        inp.options = [(v, labels.choice_label(IdType, v)) for v in IdType.values]
    elif code == "gender":
        inp.kind = "select"
        inp.options = [(v, labels.choice_label(Gender, v)) for v in Gender.values]
    elif code == "phone":
        inp.kind = "tel"
    if code in ("id_number", "phone"):
        inp.attrs["autocomplete"] = "off"
    if code == "nationality":
        inp.attrs.update(maxlength="2", placeholder="CN")
    return inp


def customer_form(data: Mapping[str, str], errors: FormErrors) -> dict[str, Any]:
    """Template context for the new-customer form."""
    from django.utils.translation import gettext as _

    channel = Input(
        "channel",
        _("Channel"),
        kind="select",
        value=data.get("channel", Channel.STORE),
        options=[(v, labels.choice_label(Channel, v)) for v in Channel.values],
        errors=errors.by_input.get("channel", []),
    )
    card = [
        Input("card_number", _("Card number"), attrs={"inputmode": "numeric"}),
        Input("card_expiry", _("Expiry (MM/YY)"), attrs={"placeholder": "MM/YY"}),
        Input("card_holder", _("Card holder")),
    ]
    for c in card:
        c.attrs["autocomplete"] = "off"
        c.errors = errors.by_input.get(c.name, [])
    prefs = []
    for key in catalog.PREFERENCE_KEYS:
        name = PREF_PREFIX + key.code
        inp = Input(name, labels.preference_label(key.code), value=data.get(name, ""))
        if key.choices:
            inp.kind = "select"
            inp.options = [(c, labels.preference_value(c)) for c in key.choices]
        prefs.append(inp)
    return {
        "profile_inputs": [_spec_input(c, data, errors) for c in PROFILE_INPUTS],
        "profile_inputs_2": [_spec_input(c, data, errors) for c in PROFILE_INPUTS_2] + [channel],
        "card_inputs": card,
        "pref_inputs": prefs,
        "pref_errors": errors.by_input.get("preferences", []),
        "general_errors": errors.general,
        "has_errors": bool(errors),
    }


# -- sign-in and staff security ---------------------------------------------------------------
def clean_code(code: str) -> str:
    """A one-time code as typed, without spaces or dashes (recovery codes are grouped)."""
    return "".join(ch for ch in str(code) if ch.isalnum())


def group(secret: str, size: int = 4) -> list[str]:
    """A base32 secret in groups of four, easier to type into an authenticator app."""
    return [secret[i : i + size] for i in range(0, len(secret), size)]


def issue_text(issue: FieldIssue) -> str:
    return labels.issue_message(issue)


def password_problems(new: str, staff: Any) -> list[str]:
    """Why a new password was refused, one translated sentence per broken rule. Django's
    own validators come translated; baomi's validators are mapped by their error code."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(new, staff)
    except ValidationError as exc:
        out = []
        for err in exc.error_list:
            msg = labels.PASSWORD_RULES.get(str(err.code or ""))
            out.append(str(msg) if msg is not None else " ".join(err.messages))
        return out
    return [str(labels.PASSWORD_RULES["password_weak"])]
