"""Display labels for the console, in the active language (zh-Hans or English).

The shared enums carry bilingual labels ("接待 / reception"); `bilingual` picks the half
for the active language. Texts that exist only in the console (purpose descriptions,
preference choices, error messages) are gettext strings translated in
`baomi/locale/zh_Hans/LC_MESSAGES/django.po`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Choices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from baomi.catalog import fields as catalog
from baomi.catalog import validators
from baomi.catalog.enums import Purpose, Treatment
from baomi.core import i18n
from baomi.core.errors import FieldIssue


def is_zh() -> bool:
    return i18n.is_zh()


def bilingual(label: object) -> str:
    """'接待 / reception' → '接待' in Chinese, 'Reception' in English (baomi.core.i18n)."""
    return i18n.half(label)


def choice_label(enum: type[Choices], code: object) -> str:
    """The label of one enum code; the code itself when it is not a member."""
    try:
        return bilingual(enum(code).label)
    except ValueError:
        return str(code)


def spec_label(spec: catalog.FieldSpec) -> str:
    return spec.label_zh if is_zh() else spec.label_en


PURPOSE_HELP: dict[str, Promise] = {
    Purpose.RECEPTION: _("Check-in, bookings and counter service."),
    Purpose.BILLING: _("Invoices, payments and refunds."),
    Purpose.MARKETING: _("Campaigns for customers who agreed to marketing."),
    Purpose.CUSTOMER_SERVICE: _("Answering a customer's own questions and complaints."),
    Purpose.DELIVERY: _("Collecting, sorting and delivering shipments."),
    Purpose.RIGHTS_REQUEST: _(
        "Handling a customer's request to see, copy, correct or delete their data."
    ),
    Purpose.INVESTIGATION: _("Investigating a suspected privacy incident."),
    Purpose.LEGAL_REQUEST: _(
        "A lawful request from public security, state security or the procuratorate."
    ),
    Purpose.DATA_QUALITY: _("Reviewing duplicate or invalid records (masked comparison)."),
}

PREFERENCE_CHOICES: dict[str, Promise] = {
    "zh": _("Chinese"),
    "en": _("English"),
    "ja": _("Japanese"),
    "ko": _("Korean"),
    "fr": _("French"),
    "de": _("German"),
    "morning": _("Morning"),
    "afternoon": _("Afternoon"),
    "evening": _("Evening"),
    "any": _("Any"),
    "window": _("Window"),
    "aisle": _("Aisle"),
    "standard": _("Standard"),
    "vegetarian": _("Vegetarian"),
    "halal": _("Halal"),
    "kosher": _("Kosher"),
    "no_pork": _("No pork"),
    "diabetic": _("Diabetic"),
    "group": _("Group tour"),
    "independent": _("Independent"),
    "family": _("Family"),
    "business": _("Business"),
    "luxury": _("Luxury"),
    "budget": _("Budget"),
    "low": _("Low"),
    "middle": _("Middle"),
    "high": _("High"),
    "soft": _("Soft"),
    "firm": _("Firm"),
    "buckwheat": _("Buckwheat"),
    "hypoallergenic": _("Hypoallergenic"),
    "non_smoking": _("Non-smoking"),
    "smoking": _("Smoking"),
    "weekday": _("Weekdays"),
    "weekend": _("Weekends"),
    "yes": _("Yes"),
    "no": _("No"),
}


def preference_value(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return "、".join(str(PREFERENCE_CHOICES.get(str(v), v)) for v in items)


def preference_label(code: str) -> str:
    key = catalog.PREFERENCES_BY_CODE.get(code)
    if key is None:
        return code
    return key.label_zh if is_zh() else key.label_en


ENTITY_TITLES: dict[str, Promise] = {
    "booking": _("Bookings"),
    "stay": _("Stays"),
    "shipment": _("Shipments"),
    "payment_method": _("Payment methods"),
}

# One record of each catalogue entity (for choosing a field in a policy change).
ENTITY_NAMES: dict[str, Promise] = {
    "customer": _("Customer"),
    "booking": _("Booking"),
    "stay": _("Stay"),
    "shipment": _("Shipment"),
    "payment_method": _("Payment method"),
    "rights_request": _("Rights request"),
    "rights_transition": _("Rights request step"),
    "rights_restriction": _("Restriction of processing"),
}

# Error codes (core.errors / services) → message shown in the console. Never a value.
ERROR_MESSAGES: dict[str, Promise] = {
    "purpose_required": _("Choose the purpose of your work first."),
    "purpose_unknown": _("That purpose does not exist."),
    "purpose_forbidden": _("Your role may not work under that purpose. The attempt was recorded."),
    "forbidden": _("You may not see this."),
    "write_forbidden": _("Your role may not create or change customer data under this purpose."),
    "field_forbidden": _("You may not use one of these fields under this purpose."),
    "not_found": _("No such customer."),
    "erased": _("This customer's data has been erased."),
    "customer_restricted": _(
        "Processing of this customer's data is restricted at their request. The attempt was "
        "recorded."
    ),
    "duplicate_customer": _(
        "A customer with the same ID number, or the same phone and name, already exists."
    ),
    "validation_failed": _("Please correct the marked fields."),
    "criteria_required": _("Enter a phone, e-mail, ID number or full name."),
    "integrity_failure": _(
        "Stored data failed its integrity check. Nothing was shown; security has been told."
    ),
    # staff security (access.services)
    "role_required": _("Your role may not use this page or action."),
    "self_change": _("Nobody may change their own account, role or access this way."),
    "four_eyes": _(
        "Four eyes: you may not decide this request. You asked for it, it concerns your own "
        "account, or you and its requester set each other's credentials; another security "
        "administrator decides."
    ),
    "enrolment_expired": _(
        "The time to set up a new authenticator has run out. Ask a security administrator for "
        "a new reset."
    ),
    "credentials_expired": _(
        "This temporary password has expired. Ask a security administrator for a new reset."
    ),
    "approval_expired": _("This request has expired. Ask again if it is still needed."),
    "approval_closed": _("This request has already been decided."),
    "username_taken": _("That username is already taken."),
    "sod": _("Administrator and auditor roles never read customer data."),
    "break_glass_role": _(
        "Your role cannot open emergency access. Ask a colleague at the counter or the "
        "privacy officer."
    ),
    "break_glass_cap": _(
        "You have reached the limit of emergency grants for 24 hours. Ask the privacy officer."
    ),
    "staff_not_found": _("No such staff member."),
    "review_not_found": _("No such item in the review queue."),
    "approval_not_found": _("No such approval request."),
}
ERROR_TITLES: dict[int, Promise] = {
    400: _("Request refused"),
    403: _("Access refused"),
    404: _("Not found"),
    409: _("Already exists"),
    410: _("Erased"),
    422: _("Invalid input"),
    500: _("Something went wrong"),
}


def error_message(code: str, status: int = 400) -> str:
    msg = ERROR_MESSAGES.get(code)
    if msg is not None:
        return str(msg)
    return str(ERROR_TITLES.get(status, ERROR_TITLES[400]))


def error_title(status: int) -> str:
    return str(ERROR_TITLES.get(status, ERROR_TITLES[400]))


# Input names of the new-customer form that are not catalogue field codes.
FORM_FIELD_LABELS: dict[str, Promise] = {
    "payment_card.number": _("Card number"),
    "payment_card.expiry": _("Expiry (MM/YY)"),
    "payment_card.holder": _("Card holder"),
    "channel": _("Channel"),
}


def issue_field_label(field: str) -> str:
    if field in FORM_FIELD_LABELS:
        return str(FORM_FIELD_LABELS[field])
    if field.rsplit(".", 1)[-1].strip().lower() in validators.CVV_KEYS:
        return str(_("Card security code"))
    spec = catalog.BY_KEY.get(f"customer.{field}")
    if spec is not None:
        return spec_label(spec)
    if field == "*":
        return ""
    return field


def issue_message(issue: FieldIssue) -> str:
    return issue.zh if is_zh() else issue.en


# baomi's own password rules (access/passwords.py) by error code; Django's built-in
# validators bring their own translations.
PASSWORD_RULES: dict[str, Promise] = {
    "password_too_long": _("The password is longer than 128 characters."),
    "password_reused": _("You used this password recently; choose one not among your last 5."),
    "password_context_word": _(
        "The password is built around a word tied to this system, its company or its roles."
    ),
    "password_weak": _("The new password does not meet the password policy."),
    "password_guessable": _(
        "The password is too easy to guess (a common password, word, name, keyboard run, "
        "repeat or sequence)."
    ),
    "password_too_recent": _(
        "You changed your password less than 24 hours ago. Change it again later, or ask a "
        "security administrator for a reset if it was exposed."
    ),
}


def treatment_label(code: str) -> str:
    return choice_label(Treatment, code)
