"""Customer notices (R-H2: customers told within 72 h).

Preparing: the affected customers' name and contact points are read through the gate
(`access_customers`, purpose `investigation`, audited); each notice is rendered in zh-Hans
or English (CN or unknown nationality → zh-Hans) from the case's texts — what happened,
which of *their* data, what we did, what they can do, whom to contact — and sealed under
the customer's data key at once (`Notice.body`; erasing the customer shreds it).

Sending: the body is opened by the gate (`open_attached_many`, audited), the address read
through the gate again, and the text handed to the configured sender (`BAOMI_PORTAL_SENDER`,
the portal's): with the default outbox sender the notice row is the outbox (the console
shows it, opened by the gate); with `SmtpSender` e-mail goes through Django's mail settings
and SMS through `BAOMI_PORTAL_SMS_SENDER`'s `send_sms`. Every hand-over is a
`NoticeDelivery` row and an audit event.

A drill never reaches a customer: its notices are counted (status `drill`), no contact point
is read, nothing is sealed or handed to a sender.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from baomi.access.enums import Role
from baomi.catalog import fields as catalog
from baomi.catalog import masking
from baomi.catalog.enums import Purpose
from baomi.core import clock
from baomi.core.errors import Conflict, Gone
from baomi.core.i18n import is_zh
from baomi.customers import gate
from baomi.portal.senders import get_sender
from baomi.vault import services as vault

from .enums import Channel, IncidentAction, NoticeDecision, NoticeStatus
from .inputs import event, get, invalid, local_zone, require
from .models import Incident, Notice, NoticeDelivery
from .scoping import affected_union

TABLE = "incident_notice"
BATCH = 500
CONTACT_FIELDS = ("name", "phone", "email", "nationality")


def _label(code: str, lang: str) -> str:
    if code.startswith("records."):
        entity = code.split(".", 1)[1]
        zh = {
            "booking": "预订记录",
            "stay": "入住记录",
            "shipment": "寄件记录",
            "payment_method": "支付方式",
        }.get(entity, entity)
        return zh if lang == "zh-hans" else f"{entity.replace('_', ' ')} records"
    if code == "*":
        return "您在我们这里的个人信息" if lang == "zh-hans" else "your personal data held by us"
    spec = catalog.BY_KEY.get(f"customer.{code}")
    if spec is None:
        return code
    return spec.label_zh if lang == "zh-hans" else spec.label_en


def field_label(code: str) -> str:
    """A field code as the console's language shows it."""
    return _label(code, "zh-hans" if is_zh() else "en")


def render(inc: Incident, lang: str, name: str, fields: dict[str, str]) -> str:
    """One customer's notice text (R-H2): what happened, which of their data, what we did,
    what they can do, contact."""
    detected = inc.detected_at.astimezone(local_zone())
    shown = (
        "、".join(_label(c, lang) for c in sorted(fields))
        if lang == "zh-hans"
        else ", ".join(_label(c, lang) for c in sorted(fields))
    )
    if lang == "zh-hans":
        who = f"尊敬的{name}：" if name else "尊敬的客户："
        return (
            f"{who}\n"
            f"我们于 {detected:%Y年%m月%d日 %H:%M}（北京时间）发现一起个人信息安全事件"
            f"（编号 {inc.reference}）。\n"
            f"发生了什么：{inc.notice_what}\n"
            f"涉及您的信息：{shown}\n"
            f"我们采取的措施：{inc.notice_measures}\n"
            f"您可以采取的措施：{inc.notice_advice}\n"
            f"联系我们：{inc.notice_contact}"
        )
    who = f"Dear {name}," if name else "Dear customer,"
    return (
        f"{who}\n"
        f"On {detected:%Y-%m-%d %H:%M} (Beijing time) we found a personal-information security "
        f"incident (reference {inc.reference}).\n"
        f"What happened: {inc.notice_what}\n"
        f"Your data involved: {shown}\n"
        f"What we have done: {inc.notice_measures}\n"
        f"What you can do: {inc.notice_advice}\n"
        f"Contact: {inc.notice_contact}"
    )


def _lang(nationality: object) -> str:
    n = str(nationality or "").strip().upper()
    return "zh-hans" if n in ("", "CN", "CHN") else "en"


@dataclass(frozen=True)
class Prepared:
    prepared: int
    no_address: int
    drill: int
    skipped: int  # already had a notice, or erased (their data is gone)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _check_ready(inc: Incident) -> None:
    if not inc.is_open:
        raise Conflict("the case is closed", code="incident_closed")
    if inc.notice_decision == NoticeDecision.NOT_REQUIRED:
        raise Conflict("customer notice was decided not required", code="notice_not_required")
    missing = [
        n
        for n in ("notice_what", "notice_measures", "notice_advice", "notice_contact")
        if not getattr(inc, n).strip()
    ]
    if missing:
        raise invalid(
            missing[0],
            "required",
            "write the notice texts first",
            "请先填写通知内容（发生了什么、措施、建议、联系方式）",
        )


@transaction.atomic
def prepare(actor: Any, incident_id: object) -> Prepared:
    """Prepare one sealed notice per affected customer who has none yet (privacy officer)."""
    require(actor, (Role.PRIVACY_OFFICER,))
    inc = get(incident_id, lock=True)
    _check_ready(inc)
    affected = affected_union(inc)
    if not affected:
        raise Conflict("no affected customers: scope the incident first", code="scope_empty")
    have = {str(c) for c in inc.notices.values_list("customer_id", flat=True)}
    todo = [cid for cid in sorted(affected) if cid not in have]
    now = clock.now()
    counts = {"prepared": 0, "no_address": 0, "drill": 0, "skipped": len(affected) - len(todo)}
    if inc.notice_decision != NoticeDecision.REQUIRED:
        inc.notice_decision = NoticeDecision.REQUIRED
        inc.notice_decided_at = now
        inc.save(update_fields=["notice_decision", "notice_decided_at"])
    if inc.drill:  # a drill never reads, seals or sends anything about a real customer
        Notice.objects.bulk_create(
            [
                Notice(
                    incident=inc,
                    customer_id=uuid.UUID(c),
                    lang="",
                    status=NoticeStatus.DRILL,
                    prepared_at=now,
                )
                for c in todo
            ],
            batch_size=2000,
        )
        counts["drill"] = len(todo)
    else:
        for i in range(0, len(todo), BATCH):
            part = todo[i : i + BATCH]
            views = {v.id: v for v in gate.access_customers(actor, Purpose.INVESTIGATION, part)}
            texts: list[tuple[str, str, str, str, object]] = []
            made: list[Notice] = []
            for cid in part:
                view = views.get(cid)
                if view is None:
                    counts["skipped"] += 1  # erased: nothing left to notify about
                    continue
                vals = {c: view.fields.get(c) for c in CONTACT_FIELDS if c not in view.withheld}
                lang = _lang(vals.get("nationality"))
                channel, masked = _destination(vals)
                notice = Notice.objects.create(
                    incident=inc,
                    customer_id=uuid.UUID(cid),
                    lang=lang,
                    channel=channel,
                    destination_masked=masked,
                    prepared_at=now,
                    status=NoticeStatus.PREPARED if channel else NoticeStatus.NO_ADDRESS,
                )
                made.append(notice)
                text = render(inc, lang, str(vals.get("name") or ""), affected[cid])
                texts.append((cid, TABLE, "body", text, notice.pk))
                counts["prepared" if channel else "no_address"] += 1
            sealed = vault.seal_for(texts)  # sealed at once: the text never rests in clear
            for notice in made:
                notice.body = sealed.get((str(notice.customer_id), notice.pk))
            Notice.objects.bulk_update(made, ["body"], batch_size=BATCH)
    out = Prepared(**counts)
    event(IncidentAction.NOTICES_PREPARED, actor, inc, **out.as_dict())
    return out


def _destination(vals: dict[str, Any]) -> tuple[str, str]:
    phone, email = vals.get("phone"), vals.get("email")
    if phone:
        return Channel.SMS.value, masking.phone(str(phone))
    if email:
        return Channel.EMAIL.value, masking.email(str(email))
    return "", ""


@dataclass(frozen=True)
class Sent:
    sent: int
    failed: int
    drill: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _deliver(sender: Any, channel: str, destination: str, subject: str, text: str) -> None:
    """Hand a text to the configured sender (module doc)."""
    if hasattr(sender, "deliver_text"):
        sender.deliver_text(channel, destination, subject, text)
        return
    if sender.name == "outbox":
        return  # the notice row is the outbox: the console shows it, opened by the gate
    if channel == Channel.EMAIL:
        from django.core.mail import send_mail

        send_mail(
            subject,
            text,
            getattr(settings, "DEFAULT_FROM_EMAIL", "noreply@localhost"),
            [destination],
        )
        return
    sms = import_string(
        getattr(settings, "BAOMI_PORTAL_SMS_SENDER", "baomi.portal.senders.SmsSender")
    )
    sms().send_sms(destination, text)


def send(actor: Any, incident_id: object) -> Sent:
    """Hand every prepared (or failed) notice to the sender; one delivery row and one audit
    event each, committed per notice (a failure leaves the rest sent and itself retryable)."""
    require(actor, (Role.PRIVACY_OFFICER,))
    inc = get(incident_id)
    if not inc.is_open:
        raise Conflict("the case is closed", code="incident_closed")
    counts = {"sent": 0, "failed": 0, "drill": 0}
    if inc.drill:
        with transaction.atomic():
            for n in inc.notices.filter(status=NoticeStatus.DRILL, deliveries__isnull=True):
                NoticeDelivery.objects.create(
                    notice=n, at=clock.now(), sender="drill", status=NoticeStatus.DRILL
                )
                counts["drill"] += 1
            event(IncidentAction.NOTICE_SENT, actor, inc, drill=counts["drill"])
        return Sent(**counts)
    sender = get_sender()
    pending = list(inc.notices.filter(status__in=[NoticeStatus.PREPARED, NoticeStatus.FAILED]))
    subject = {
        "zh-hans": f"个人信息安全事件告知（{inc.reference}）",
        "en": f"Notice of a personal-information incident ({inc.reference})",
    }
    for n in pending:
        with transaction.atomic():
            status, error = NoticeStatus.SENT, ""
            try:
                opened = gate.open_attached(
                    actor, Purpose.INVESTIGATION, n.customer_id, TABLE, {"body": n.body}, n.pk
                )
                view = gate.access_customers(actor, Purpose.INVESTIGATION, [n.customer_id])
                dest = ""
                if view:
                    dest = str(
                        view[0].fields.get("phone" if n.channel == Channel.SMS else "email") or ""
                    )
                if not dest:
                    status, error = NoticeStatus.FAILED, "no_address"
                else:
                    _deliver(
                        sender,
                        n.channel,
                        dest,
                        subject.get(n.lang, subject["en"]),
                        str(opened["body"]),
                    )
            except Gone:
                status, error = NoticeStatus.FAILED, "erased"
            except Exception as exc:
                status, error = NoticeStatus.FAILED, type(exc).__name__[:120]
            now = clock.now()
            n.status = status
            n.sent_at = now if status == NoticeStatus.SENT else n.sent_at
            n.save(update_fields=["status", "sent_at"])
            NoticeDelivery.objects.create(
                notice=n, at=now, sender=sender.name, channel=n.channel, status=status, error=error
            )
            event(
                IncidentAction.NOTICE_SENT,
                actor,
                n,
                incident=inc.pk,
                status=status.value,
                channel=n.channel,
                sender=sender.name,
                error=error,
            )
            counts["sent" if status == NoticeStatus.SENT else "failed"] += 1
    return Sent(**counts)


def open_notice(actor: Any, notice: Notice) -> str:
    """One notice's text, opened by the gate (audited); "" once the customer is erased."""
    require(actor, (Role.PRIVACY_OFFICER,))
    if notice.body is None:
        return ""
    try:
        opened = gate.open_attached(
            actor,
            Purpose.INVESTIGATION,
            notice.customer_id,
            TABLE,
            {"body": notice.body},
            notice.pk,
        )
    except Gone:
        return ""
    return str(opened["body"])


# -- the customer's side: erasure, the access copy, retention --------------------------------
def erase_customer(customer_id: uuid.UUID) -> int:
    """Erasure: clear the customer's notice texts (already unreadable once the data key is
    destroyed; cleared so no ciphertext lingers). Returns the rows cleared. The scopes keep
    the customer's id and field *names* as evidence of breach handling (no values)."""
    return Notice.objects.filter(customer_id=customer_id, body__isnull=False).update(body=None)


def copy_for(actor: Any, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """The access copy's section: every breach notice sent to the customer, its text opened
    by the gate under `rights_request` (one audited call)."""
    rows = list(
        Notice.objects.filter(customer_id=customer_id)
        .exclude(status=NoticeStatus.DRILL)
        .select_related("incident")
        .order_by("prepared_at", "id")
    )
    sealed = [(TABLE, n.pk, {"body": n.body}) for n in rows if n.body is not None]
    texts: dict[object, str] = {}
    if sealed:
        try:
            opened = gate.open_attached_many(actor, Purpose.RIGHTS_REQUEST, customer_id, sealed)
        except Gone:
            opened = []
        texts = {pk: str(o["body"]) for (_, pk, _), o in zip(sealed, opened, strict=False)}
    return [
        {
            "incident": n.incident.reference,
            "kind": n.incident.kind,
            "detected_at": n.incident.detected_at.isoformat(),
            "status": n.status,
            "sent_at": n.sent_at.isoformat() if n.sent_at else None,
            "channel": n.channel,
            "text": texts.get(n.pk, ""),
        }
        for n in rows
    ]


def expire(now: Any, dry_run: bool = False) -> int:
    """Retention: notice texts of cases closed more than `RETENTION_DAYS` ago are cleared
    (the delivery records stay as evidence, without the text)."""
    from datetime import timedelta

    cutoff = now - timedelta(days=RETENTION_DAYS)
    qs = Notice.objects.filter(body__isnull=False, incident__closed_at__lt=cutoff)
    return qs.count() if dry_run else qs.update(body=None)


RETENTION_DAYS = 3 * 365
