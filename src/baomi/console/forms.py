"""The new-customer form: POST → service input, and service errors → per-field messages.

Validation itself lives in the services (catalogue-driven, whole-or-nothing); this module
only maps HTML input names to the service's field names and back. The form's consent box
(consent_<purpose>, consent_method, consent_evidence) maps to `consent.services.capture`;
the 360 page's decision form (one purpose, given or refused) maps to `consent.services.record`.
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
from baomi.consent.purposes import asked
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
        out.issues.extend(counter_how_issues(out.method, out.evidence))
    return out


def counter_how_issues(method: str, evidence: str) -> list[FieldIssue]:
    """The ledger's method / evidence check for a counter (COUNTER_METHODS), each issue
    named after its form input (consent_method, consent_evidence)."""
    inputs = {"method": CONSENT_METHOD, "evidence": CONSENT_EVIDENCE}
    return [
        replace(i, field=inputs[i.field]) for i in how_issues(method, evidence, COUNTER_METHODS)
    ]


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


def spec_input(code: str, data: Mapping[str, str], errors: FormErrors) -> Input:
    """The input for a customer field (the new-customer form, the edit form)."""
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
    """Template context for the consent box: every purpose this deployment asks
    (`consent.purposes.asked`: the general ones first, then those of the industries it
    runs, grouped under their industry — a hotel deployment asks no travel or courier item).
    The method defaults to a signed form, the usual proof at a counter (registration card,
    travel contract), which the evidence input numbers."""
    from django.utils.translation import gettext as _

    zh = labels.is_zh()
    groups: dict[str, ConsentGroup] = {"": ConsentGroup("", _("For every customer"), [])}
    for ind in Industry:
        groups[ind.value] = ConsentGroup(
            ind.value,
            _("Industry: %(industry)s") % {"industry": labels.choice_label(Industry, ind)},
            [],
        )
    for spec in asked():
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
    return {
        "consent_groups": [g for g in groups.values() if g.items],
        "consent_decisions": [
            (NOT_ASKED, _("Not asked")),
            (GIVEN, _("Given")),
            (REFUSED, _("Refused")),
        ],
        **consent_how(data, errors),
        "consent_errors": errors.consent,
        "notice_version": notice_version,
    }


def consent_how(data: Mapping[str, str], errors: FormErrors) -> dict[str, Any]:
    """Template context for how a decision was given at a counter: the method (a signed form
    by default) and the evidence reference — shared by every console form that records
    consent."""
    from django.utils.translation import gettext as _

    return {
        "consent_methods": [
            (m.value, labels.choice_label(ConsentMethod, m)) for m in COUNTER_METHODS
        ],
        "consent_method": data.get(CONSENT_METHOD, DEFAULT_METHOD),
        "consent_method_errors": errors.by_input.get(CONSENT_METHOD, []),
        "consent_evidence": Input(
            CONSENT_EVIDENCE,
            _("Evidence reference (optional)"),
            value=data.get(CONSENT_EVIDENCE, ""),
            errors=errors.by_input.get(CONSENT_EVIDENCE, []),
            attrs={"maxlength": "64", "autocomplete": "off", "placeholder": "FORM-2026-0042"},
        ),
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
        "profile_inputs": [spec_input(c, data, errors) for c in PROFILE_INPUTS],
        "profile_inputs_2": [spec_input(c, data, errors) for c in PROFILE_INPUTS_2] + [channel],
        "card_inputs": card,
        "pref_inputs": prefs,
        "pref_errors": errors.by_input.get("preferences", []),
        "general_errors": errors.general,
        "has_errors": bool(errors),
        **consent_form(data, errors, notice_version),
    }


# -- one decision recorded from the 360 page (R-B3: at a counter or by phone) -----------------
DECISION_CONSENT = "consent"
DECISION = "decision"
DECISION_CHANNEL = "channel"
COUNTER_CHANNELS = (Channel.STORE, Channel.CALL_CENTER)
DECISION_INPUTS = (DECISION_CONSENT, DECISION, DECISION_CHANNEL, CONSENT_METHOD, CONSENT_EVIDENCE)
# The ledger's own field names (consent.services issues) → the decision form's inputs.
DECISION_INPUT_FOR = {
    "purpose": DECISION_CONSENT,
    "channel": DECISION_CHANNEL,
    "method": CONSENT_METHOD,
    "evidence": CONSENT_EVIDENCE,
}


@dataclass
class ConsentDecision:
    """One decision a customer states at a counter or by phone, for `consent.services.record`,
    and what was wrong with the inputs (all of it, so one submit shows every problem)."""

    purpose: str = ""
    given: bool = False
    channel: str = ""
    method: str = ""
    evidence: str = ""
    issues: list[FieldIssue] = field(default_factory=list)


def consent_decision_input(post: Mapping[str, str]) -> ConsentDecision:
    """Parse consent (a purpose code), decision (given / refused), channel (a counter's),
    consent_method and consent_evidence. Purpose, method and evidence are checked by the
    ledger's own rules (`clean_purpose`, `how_issues` with COUNTER_METHODS)."""
    out = ConsentDecision(
        channel=post.get(DECISION_CHANNEL, "").strip(),
        method=post.get(CONSENT_METHOD, "").strip(),
        evidence=post.get(CONSENT_EVIDENCE, "").strip(),
    )
    code = post.get(DECISION_CONSENT, "").strip()
    if not code:
        out.issues.append(
            FieldIssue(DECISION_CONSENT, "required", "choose a consent item", "请选择同意事项")
        )
    else:
        try:
            out.purpose = clean_purpose(code).value
        except ValidationFailed as exc:
            out.issues.extend(replace(i, field=DECISION_CONSENT) for i in exc.issues)
    decision = post.get(DECISION, "").strip()
    if decision in (GIVEN, REFUSED):
        out.given = decision == GIVEN
    else:
        out.issues.append(
            FieldIssue(
                DECISION,
                "consent_decision",
                "choose given, or refused / withdrawn",
                "请选择“同意”或“拒绝或撤回”",
            )
        )
    if out.channel not in COUNTER_CHANNELS:
        out.issues.append(
            FieldIssue(DECISION_CHANNEL, "channel_unknown", "unknown channel", "渠道代码无效")
        )
    out.issues.extend(counter_how_issues(out.method, out.evidence))
    return out


def decision_errors(issues: list[FieldIssue]) -> FormErrors:
    """Each issue next to its input of the decision form; anything else above the form."""
    out = FormErrors()
    for issue in issues:
        name = DECISION_INPUT_FOR.get(issue.field, issue.field)
        if name in DECISION_INPUTS:
            out.by_input.setdefault(name, []).append(labels.issue_message(issue))
        else:
            out.general.append(labels.issue_message(issue))
    return out


def consent_decision_form(data: Mapping[str, str], errors: FormErrors) -> dict[str, Any]:
    """Template context for the decision form of the 360 page's consent panel."""
    from django.utils.translation import gettext as _

    zh = labels.is_zh()
    consent = Input(
        DECISION_CONSENT,
        _("Consent item"),
        kind="select",
        value=data.get(DECISION_CONSENT, ""),
        options=[(s.code.value, s.label_zh if zh else s.label_en) for s in asked()],
        errors=errors.by_input.get(DECISION_CONSENT, []),
        required=True,
    )
    channel = Input(
        DECISION_CHANNEL,
        _("Channel"),
        kind="select",
        value=data.get(DECISION_CHANNEL, Channel.STORE),
        options=[(c.value, labels.choice_label(Channel, c)) for c in COUNTER_CHANNELS],
        errors=errors.by_input.get(DECISION_CHANNEL, []),
    )
    how = consent_how(data, errors)
    method = Input(
        CONSENT_METHOD,
        _("How the decision was given"),
        kind="select",
        value=how["consent_method"],
        options=how["consent_methods"],
        errors=how["consent_method_errors"],
    )
    return {
        "decision_inputs": [consent, channel],
        "decision_how": [method, how["consent_evidence"]],
        "decision_choices": [(GIVEN, _("Given")), (REFUSED, _("Refused or withdrawn"))],
        "decision": data.get(DECISION, ""),
        "decision_errors": errors.by_input.get(DECISION, []),
        "decision_general_errors": errors.general,
        "decision_open": bool(errors),
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
