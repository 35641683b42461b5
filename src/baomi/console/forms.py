"""The new-customer form: POST → service input, and service errors → per-field messages.

Validation itself lives in the services (catalogue-driven, whole-or-nothing); this module
only maps HTML input names to the service's field names and back. The form's consent box
(consent_<purpose>, consent_method, consent_evidence) maps to `consent.services.capture`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel, Gender, IdType, Industry
from baomi.consent.models import ConsentMethod
from baomi.consent.purposes import BY_CODE as CONSENT_BY_CODE
from baomi.consent.purposes import CONSENTS
from baomi.consent.services import clean_purpose, how_issues
from baomi.core.errors import FieldIssue, ValidationFailed

from . import labels

PROFILE_INPUTS = ("name", "phone", "email", "id_type", "id_number", "gender")
PROFILE_INPUTS_2 = ("birth_date", "nationality", "address")
CARD_PREFIX = "card_"
CARD_KEYS = frozenset({"number", "expiry", "holder"})
PREF_PREFIX = "pref_"
LIST_PREFERENCES = frozenset({"interests"})
IGNORED = frozenset({"csrfmiddlewaretoken"})
# Consent inputs: one three-way choice per purpose (consent_<purpose>), the method and the
# evidence reference. They go to the consent ledger, never to the customer service.
CONSENT_PREFIX = "consent_"
CONSENT_METHOD = "consent_method"
CONSENT_EVIDENCE = "consent_evidence"
NOT_ASKED, GIVEN, REFUSED = "not_asked", "given", "refused"
DECISIONS = {NOT_ASKED: None, "": None, GIVEN: True, REFUSED: False}
# What a counter can use; `signature` first and by default (see `consent_form`).
COUNTER_METHODS = (ConsentMethod.SIGNATURE, ConsentMethod.CHECKBOX, ConsentMethod.VERBAL_RECORDED)
DEFAULT_METHOD = ConsentMethod.SIGNATURE
# Ledger (consent.services) issue codes → the consent input they are about.
CONSENT_ISSUE_INPUTS = {
    "consent_method_unknown": CONSENT_METHOD,
    "evidence_format": CONSENT_EVIDENCE,
}
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
        if key in IGNORED or key.startswith(CONSENT_PREFIX):  # consent: see consent_input
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
class ConsentInput:
    """The consent part of the form: decisions for the ledger ({purpose: given?}; purposes
    left "not asked" are absent), how they were captured, and what was wrong with the
    inputs themselves (a tampered purpose or decision) — never silently dropped."""

    choices: dict[str, bool] = field(default_factory=dict)
    method: str = ""
    evidence: str = ""
    issues: list[FieldIssue] = field(default_factory=list)


def consent_input(post: Mapping[str, str]) -> ConsentInput:
    """Parse consent_<purpose> (not_asked / given / refused), consent_method and
    consent_evidence. Purpose codes are checked by the ledger's own `clean_purpose`;
    formats of method and evidence are left to `consent.services` (one rule, one place)."""
    out = ConsentInput()
    for key, raw in post.items():
        if not key.startswith(CONSENT_PREFIX):
            continue
        value = raw.strip()
        if key == CONSENT_METHOD:
            out.method = value
            continue
        if key == CONSENT_EVIDENCE:
            out.evidence = value
            continue
        code = key[len(CONSENT_PREFIX) :]
        try:
            purpose = clean_purpose(code)
        except ValidationFailed as exc:
            out.issues.extend(replace(i, field=key[:64]) for i in exc.issues)
            continue
        if value not in DECISIONS:
            out.issues.append(
                FieldIssue(
                    key,
                    "consent_decision",
                    "choose not asked, given or refused",
                    "请选择“未询问”“同意”或“拒绝”",
                )
            )
        elif DECISIONS[value] is not None:
            out.choices[purpose.value] = bool(DECISIONS[value])
    if out.choices:  # checked now, so every problem shows in one submit
        inputs = {"method": CONSENT_METHOD, "evidence": CONSENT_EVIDENCE}
        out.issues.extend(
            replace(i, field=inputs[i.field])
            for i in how_issues(out.method, out.evidence, COUNTER_METHODS)
        )
    return out


@dataclass
class FormErrors:
    by_input: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    consent: list[str] = field(default_factory=list)  # shown at the top of the consent box

    def __bool__(self) -> bool:
        return bool(self.by_input or self.general or self.consent)


def form_errors(issues: list[FieldIssue], consent: ConsentInput | None = None) -> FormErrors:
    """Attach each issue to its input; issues about inputs the form lacks go on top. The
    consent ledger's issues (by code) and the consent inputs' own go to the consent box."""
    out = FormErrors()
    inputs = {*PROFILE_INPUTS, *PROFILE_INPUTS_2, "channel", *INPUT_FOR_FIELD.values()}
    consent_inputs = {
        CONSENT_METHOD,
        CONSENT_EVIDENCE,
        *(CONSENT_PREFIX + c for c in CONSENT_BY_CODE),
    }
    extra = [i for i in (consent.issues if consent else []) if i not in issues]
    for issue in [*issues, *extra]:
        name = CONSENT_ISSUE_INPUTS.get(issue.code) or INPUT_FOR_FIELD.get(issue.field, issue.field)
        if name in consent_inputs:
            out.by_input.setdefault(name, []).append(labels.issue_message(issue))
            continue
        if issue.code == "consent_purpose_unknown" or name.startswith(CONSENT_PREFIX):
            msg = labels.issue_message(issue)
            out.consent.append(f"{name}: {msg}" if name.startswith(CONSENT_PREFIX) else msg)
            continue
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


@dataclass
class ConsentChoice:
    """One purpose on the form: what the customer is told, and the three-way answer."""

    name: str  # input name: consent_<purpose>
    code: str
    label: str
    text: str
    separate: bool  # PIPL separate consent (单独同意)
    value: str = NOT_ASKED
    errors: list[str] = field(default_factory=list)


@dataclass
class ConsentGroup:
    industry: str  # "" for every customer, else an Industry code
    title: str
    items: list[ConsentChoice]


def consent_form(
    data: Mapping[str, str], errors: FormErrors, notice_version: int
) -> dict[str, Any]:
    """Template context for the consent box: every purpose of `consent.purposes.CONSENTS`,
    general ones first, industry ones grouped under their industry (none is hidden: a travel
    agency may also deliver parcels). The method defaults to a signed form, the usual proof
    at a counter (registration card, travel contract), which the evidence input numbers."""
    from django.utils.translation import gettext as _

    zh = labels.is_zh()
    groups: dict[str, ConsentGroup] = {"": ConsentGroup("", _("For every customer"), [])}
    for ind in Industry:
        groups[ind.value] = ConsentGroup(
            ind.value,
            _("Industry: %(industry)s") % {"industry": labels.choice_label(Industry, ind)},
            [],
        )
    for spec in CONSENTS:
        name = CONSENT_PREFIX + spec.code.value
        value = data.get(name, NOT_ASKED)
        groups[spec.industry.value if spec.industry else ""].items.append(
            ConsentChoice(
                name,
                spec.code.value,
                spec.label_zh if zh else spec.label_en,
                spec.text_zh if zh else spec.text_en,
                spec.separate,
                value if value in (GIVEN, REFUSED) else NOT_ASKED,
                errors.by_input.get(name, []),
            )
        )
    method = data.get(CONSENT_METHOD, DEFAULT_METHOD)
    return {
        "consent_groups": [g for g in groups.values() if g.items],
        "consent_decisions": [
            (NOT_ASKED, _("Not asked")),
            (GIVEN, _("Given")),
            (REFUSED, _("Refused")),
        ],
        "consent_methods": [
            (m.value, labels.choice_label(ConsentMethod, m)) for m in COUNTER_METHODS
        ],
        "consent_method": method,
        "consent_method_errors": errors.by_input.get(CONSENT_METHOD, []),
        "consent_evidence": Input(
            CONSENT_EVIDENCE,
            _("Evidence reference (optional)"),
            value=data.get(CONSENT_EVIDENCE, ""),
            errors=errors.by_input.get(CONSENT_EVIDENCE, []),
            attrs={"maxlength": "64", "autocomplete": "off", "placeholder": "FORM-2026-0042"},
        ),
        "consent_errors": errors.consent,
        "notice_version": notice_version,
    }


def customer_form(
    data: Mapping[str, str], errors: FormErrors, *, notice_version: int
) -> dict[str, Any]:
    """Template context for the new-customer form (with its consent box)."""
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
        **consent_form(data, errors, notice_version),
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
