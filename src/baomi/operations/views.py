"""Console pages of the day's work (issue #17): the front desk (today's arrivals, guests in
house, departures; check-in, room change, check-out; record a stay or a booking; edit the
customer), finding records by reference, room or waybill number, the courier's phone-first
delivery list and parcel page, and the waybill register. Thin: parse, call a service or the
gate, render; errors in words, never raw codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from baomi.access.policy import may_write
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose, Role
from baomi.consent.models import ConsentPurpose
from baomi.consent.purposes import asked
from baomi.console import forms as console_forms
from baomi.console import labels
from baomi.console.context import active_purpose
from baomi.console.views import purpose_required, role_required
from baomi.core.downloads import attachment
from baomi.core.errors import BaomiError, FieldIssue, Forbidden, NotFound, ValidationFailed
from baomi.core.i18n import bi
from baomi.customers import gate
from baomi.customers import services as customers

from . import cards, selectors
from . import presenters as P
from .enums import FailReason, ProofKind, ScanStage, SiteKind, VoidReason
from .privacy import relay_number
from .services import bookings, guests, scanning, stays, waybills
from .services.common import posting

Input = console_forms.Input


def _error(request: HttpRequest, exc: BaomiError) -> HttpResponse:
    """The console's error page, with this domain's messages in words."""
    message = (
        P.error_text(exc) if exc.code in P.ERRORS else labels.error_message(exc.code, exc.status)
    )
    ctx = {"title": labels.error_title(exc.status), "message": message, "code": exc.code}
    return render(request, "console/error.html", ctx, status=exc.status)


def _role(request: HttpRequest) -> str:
    return str(getattr(request.user, "role_code", ""))


def _errors_by_field(exc: ValidationFailed) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i in exc.issues:
        out.setdefault(i.field, []).append(bi(i.zh, i.en))
    return out


def _inputs(
    entity: str,
    codes: tuple[str, ...],
    data: dict[str, str],
    errors: dict[str, list[str]],
    required: frozenset[str] = frozenset(),
) -> list[Input]:
    out = []
    for code in codes:
        spec = catalog.spec(entity, code)
        kind = "date" if spec.type == "date" else "text"
        attrs = {"maxlength": "200", "autocomplete": "off"}
        if spec.type == "phone":
            attrs["inputmode"] = "tel"
        if spec.type == "money":
            attrs["inputmode"] = "decimal"
        out.append(
            Input(
                code,
                bi(spec.label_zh, spec.label_en),
                kind=kind,
                value=data.get(code, ""),
                errors=errors.get(code, []),
                required=code in required,
                attrs=attrs,
            )
        )
    return out


# -- the front desk ----------------------------------------------------------------------------
def _one_by_id_number(request: HttpRequest, purpose: Purpose) -> Any:
    """The one customer whose ID number the desk typed (`lookup_id_number`), found by the
    ordinary audited exact search; none or several is a form error on that field."""
    found = customers.search_customers(
        request.user, purpose, {"id_number": request.POST.get("lookup_id_number", "").strip()}
    )
    if found.total != 1:
        raise ValidationFailed(
            [
                FieldIssue(
                    "lookup_id_number",
                    "not_found",
                    "no single customer has this ID number",
                    "没有找到唯一对应该证件号码的客户",
                )
            ]
        )
    return found.results[0].id


def _tab_and_day(request: HttpRequest, kinds: Any, default: str) -> tuple[str, dt.date]:
    """A list page's tab (`?kind=`, else `default`) and day (`?date=`, else today; a date
    that does not parse is today too)."""
    kind = request.GET.get("kind", default)
    if kind not in kinds:
        kind = default
    try:
        raw = request.GET.get("date", "")
        day = dt.date.fromisoformat(raw) if raw else stays.today()
    except ValueError:
        day = stays.today()
    return kind, day


@purpose_required
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest, purpose: Purpose) -> HttpResponse:
    """Today's arrivals / in house / departures at the desk's own hotel, and the room
    finder. Names come through the gate (one bulk read); rooms and dates too."""
    site = posting(request.user)
    if site is None or site.kind != SiteKind.HOTEL:
        return render(request, "operations/desk.html", {"unposted": True})
    kind, day = _tab_and_day(request, selectors.BOARD_KINDS, "arrivals")
    room = request.POST.get("room", "").strip() if request.method == "POST" else ""
    occ = selectors.by_room(site, room) if room else selectors.board(site, day, kind)
    rows = _stay_rows(request, purpose, occ)
    counts = selectors.board_counts(site, day)
    tabs = [
        {"kind": k, "label": label, "count": counts[k], "current": k == kind and not room}
        for k, label in (
            ("arrivals", bi("今日抵店", "Arrivals")),
            ("in_house", bi("在住", "In house")),
            ("departures", bi("今日离店", "Departures")),
        )
    ]
    ctx = {
        "site": site,
        "site_name": P.site_name(site),
        "day": day,
        "kind": kind,
        "tabs": tabs,
        "rows": rows,
        "room": room,
        "is_today": day == stays.today(),
    }
    return render(request, "operations/desk.html", ctx)


def _stay_rows(request: HttpRequest, purpose: Purpose, occ: list[Any]) -> list[dict[str, Any]]:
    if not occ:
        return []
    ids = [str(o.stay_id) for o in occ]
    views = {v.id: v for v in gate.access_records(request.user, purpose, "stay", ids)}
    cids = list(dict.fromkeys(v.customer_id for v in views.values()))
    people = {c.id: c for c in gate.access_customers(request.user, purpose, cids)}
    rows = []
    for o in occ:
        v = views.get(str(o.stay_id))
        if v is None:
            continue
        person = people.get(v.customer_id)
        rows.append(
            {
                "id": v.id,
                "reference": v.meta.get("reference", ""),
                "guest": (person.fields.get("name") if person else None) or "—",
                "room": v.fields.get("room") or "—",
                "check_in": v.fields.get("check_in") or "—",
                "check_out": v.fields.get("check_out") or "—",
                "state": P.state(o.state),
                "state_code": o.state,
            }
        )
    return rows


@purpose_required
@require_http_methods(["GET"])
def stay_detail(request: HttpRequest, purpose: Purpose, stay_id: Any) -> HttpResponse:
    return _stay_page(request, purpose, stay_id)


def _stay_page(
    request: HttpRequest,
    purpose: Purpose,
    stay_id: Any,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    guest_form: dict[str, Any] | None = None,
) -> HttpResponse:
    occ = selectors.occupancy(stay_id)
    if occ is None:
        return _error(request, NotFound(code="stay_unknown"))
    try:
        view = gate.access_records(request.user, purpose, "stay", [str(stay_id)])[0]
        person = gate.access_customers(request.user, purpose, [view.customer_id])
    except BaomiError as exc:
        return _error(request, exc)
    mine = posting(request.user)
    ctx = {
        "occ": occ,
        "stay": view,
        "site_name": P.site_name(occ.site),
        "state": P.state(occ.state),
        "guest": (person[0].fields.get("name") if person else None) or "—",
        "customer_id": view.customer_id,
        "cells": P.record_cells("stay", view.fields, view.masked, view.withheld),
        "may_act": mine is not None and mine.pk == occ.site_id,
        "errors": errors or {},
    }
    if ctx["may_act"]:
        ctx.update(_guest_context(request, purpose, stay_id, guest_form or {}))
    return render(request, "operations/stay.html", ctx, status=status)


GUEST_CODES = ("name", "id_type", "id_number", "phone", "birth_date", "nationality")


def _guest_consents() -> list[tuple[str, str]]:
    """A new guest's own consent items: the hotel's and marketing, if this deployment asks
    them (`consent.purposes.asked`)."""
    offered = {c.code.value for c in asked()}
    return [
        (c, bi(*ConsentPurpose(c).label.split(" / ", 1)))
        for c in ("hotel_preferences", "marketing")
        if c in offered
    ]


def _guest_context(
    request: HttpRequest, purpose: Purpose, stay_id: Any, form: dict[str, Any]
) -> dict[str, Any]:
    """Other guests in the room (read through the gate) and the two ways to add one."""
    errors = form.get("errors", {})
    sent = form.get("sent", {})
    inputs = []
    for code in GUEST_CODES:
        inp = console_forms.spec_input(code, sent, console_forms.FormErrors(errors))
        inp.required = code in ("name", "id_type", "id_number")
        inputs.append(inp)
    return {
        "room_guests": guests.guests(request.user, purpose, stay_id),
        "guest_inputs": inputs,
        "guest_consents": _guest_consents(),
        "guest_general": form.get("general", []),
        "guest_open": form.get("op", ""),
    }


@purpose_required
@require_POST
def stay_guests(request: HttpRequest, purpose: Purpose, stay_id: Any) -> HttpResponse:
    """Add another guest to the room (found by exact ID number, or registered here with
    their own ID document and consent decisions) or remove one."""
    p = request.POST
    op = p.get("op", "")
    try:
        if op == "remove":
            guests.remove_guest(request.user, purpose, stay_id, p.get("customer_id"))
            messages.success(request, bi("已移除同住客人。", "Guest removed."))
            return redirect("operations:stay", stay_id=stay_id)
        checked = p.get("document_checked") == "1"
        if op == "existing":
            guests.add_guest(
                request.user,
                purpose,
                stay_id,
                customer_id=_one_by_id_number(request, purpose),
                document_checked=checked,
            )
        else:
            new = {c: p.get(c, "").strip() for c in GUEST_CODES if p.get(c, "").strip()}
            consents = {
                c: p.get(f"consent_{c}") == "yes"
                for c, _ in _guest_consents()
                if p.get(f"consent_{c}") in ("yes", "no")
            }
            guests.add_guest(
                request.user,
                purpose,
                stay_id,
                new=new,
                consents=consents,
                document_checked=checked,
            )
    except ValidationFailed as exc:
        form = {
            "op": op,
            "errors": _errors_by_field(exc),
            "sent": {c: p.get(c, "") for c in GUEST_CODES},
            "general": [P.issue_text(i) for i in exc.issues if i.field not in GUEST_CODES],
        }
        return _stay_page(request, purpose, stay_id, status=422, guest_form=form)
    except BaomiError as exc:
        messages.error(request, P.error_text(exc))
        return redirect("operations:stay", stay_id=stay_id)
    messages.success(request, bi("已登记同住客人。", "Guest registered."))
    return redirect("operations:stay", stay_id=stay_id)


@purpose_required
def stay_card(request: HttpRequest, purpose: Purpose, stay_id: Any) -> HttpResponse:
    """The registration card (PDF) for the guest to check and sign."""
    try:
        card = cards.build(request.user, purpose, stay_id, request.GET.get("guest") or None)
    except BaomiError as exc:
        return _error(request, exc)
    resp = HttpResponse(cards.pdf(card), content_type="application/pdf")
    resp["Content-Disposition"] = attachment(f"registration-{card.reference}.pdf")
    return resp


def _stay_action(
    request: HttpRequest, purpose: Purpose, stay_id: Any, act: Any, done: str
) -> HttpResponse:
    try:
        act()
    except ValidationFailed as exc:
        return _stay_page(request, purpose, stay_id, _errors_by_field(exc), 422)
    except BaomiError as exc:
        messages.error(request, P.error_text(exc))
        return redirect("operations:stay", stay_id=stay_id)
    messages.success(request, done)
    return redirect("operations:stay", stay_id=stay_id)


@purpose_required
@require_POST
def stay_check_in(request: HttpRequest, purpose: Purpose, stay_id: Any) -> HttpResponse:
    room = request.POST.get("room", "")
    return _stay_action(
        request,
        purpose,
        stay_id,
        lambda: stays.check_in(request.user, purpose, stay_id, room),
        bi("已办理入住。", "Checked in."),
    )


@purpose_required
@require_POST
def stay_room(request: HttpRequest, purpose: Purpose, stay_id: Any) -> HttpResponse:
    room = request.POST.get("room", "")
    return _stay_action(
        request,
        purpose,
        stay_id,
        lambda: stays.change_room(request.user, purpose, stay_id, room),
        bi("已换房。", "Room changed."),
    )


@purpose_required
@require_POST
def stay_check_out(request: HttpRequest, purpose: Purpose, stay_id: Any) -> HttpResponse:
    spend = request.POST.get("spend", "")
    return _stay_action(
        request,
        purpose,
        stay_id,
        lambda: stays.check_out(request.user, purpose, stay_id, spend),
        bi("已办理离店。", "Checked out."),
    )


# -- new records for a customer ---------------------------------------------------------------
STAY_CODES = ("check_in", "check_out", "room", "special_requests")
BOOKING_CODES = ("product", "destination", "start_date", "end_date", "travellers", "amount")
SHIPMENT_CODES = (
    "sender_name",
    "sender_phone",
    "sender_address",
    "recipient_name",
    "recipient_phone",
    "recipient_address",
    "item_type",
)


def _record_form(
    request: HttpRequest,
    purpose: Purpose,
    customer_id: Any,
    entity: str,
    codes: tuple[str, ...],
    required: frozenset[str],
    save: Any,
    title: str,
    note: str = "",
) -> HttpResponse:
    try:
        person = gate.access_customer(request.user, purpose, customer_id, related=False)
    except BaomiError as exc:
        return _error(request, exc)
    data = {c: request.POST.get(c, "").strip() for c in codes} if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            obj = save({k: v for k, v in data.items() if v})
        except ValidationFailed as exc:
            errors = _errors_by_field(exc)
            general = [P.issue_text(i) for i in exc.issues if i.field not in codes]
            status = 422
        except BaomiError as exc:
            general = [P.error_text(exc)]
            status = exc.status
        else:
            messages.success(request, bi("已保存。", "Saved."))
            if entity == "stay":
                return redirect("operations:stay", stay_id=obj.pk)
            if entity == "shipment":
                return redirect("operations:parcel", no=obj.waybill_no)
            if entity == "booking":
                return redirect("operations:booking", booking_id=obj.pk)
            return redirect("console:customer_detail", customer_id=customer_id)
    ctx = {
        "title": title,
        "note": note,
        "entity": entity,
        "guest": person.fields.get("name") or "—",
        "customer_id": str(customer_id),
        "inputs": _inputs(entity, codes, data, errors, required),
        "general": general,
        "has_errors": bool(errors or general),
    }
    return render(request, "operations/record_new.html", ctx, status=status)


@purpose_required
@require_http_methods(["GET", "POST"])
def stay_new(request: HttpRequest, purpose: Purpose, customer_id: Any) -> HttpResponse:
    site = posting(request.user)
    if site is None or site.kind != SiteKind.HOTEL:
        return _error(request, Forbidden(code="not_posted_here"))
    return _record_form(
        request,
        purpose,
        customer_id,
        "stay",
        STAY_CODES,
        frozenset({"check_in", "check_out"}),
        lambda d: stays.book_stay(request.user, purpose, customer_id, site.code, d),
        bi("登记住宿", "Add a stay"),
        bi(f"酒店：{site.name_zh}", f"Hotel: {site.name_en}"),
    )


@purpose_required
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest, purpose: Purpose, customer_id: Any) -> HttpResponse:
    """Staff posted at a travel counter record the booking as taken there (their counter
    then sees it in full and lists it); anyone else records it at no counter, as before."""
    site = posting(request.user)
    if site is not None and site.kind == SiteKind.COUNTER:
        return _record_form(
            request,
            purpose,
            customer_id,
            "booking",
            BOOKING_CODES,
            frozenset({"product", "start_date"}),
            lambda d: bookings.book_at_counter(request.user, purpose, customer_id, site.code, d),
            bi("登记旅游订单", "Add a booking"),
            bi(f"门店：{site.name_zh}", f"Counter: {site.name_en}"),
        )
    return _record_form(
        request,
        purpose,
        customer_id,
        "booking",
        BOOKING_CODES,
        frozenset({"product", "start_date"}),
        lambda d: customers.add_record(request.user, purpose, customer_id, "booking", d),
        bi("登记旅游订单", "Add a booking"),
    )


# -- the travel counter's own bookings (decision 0041 §7) -------------------------------------
@purpose_required
@require_http_methods(["GET"])
def counter(request: HttpRequest, purpose: Purpose) -> HttpResponse:
    """本柜台订单: the bookings the signed-in member of staff's travel counter took, leaving
    on a day, in the two weeks after it, or coming back on it. Bookings and lead
    travellers are read through the gate (two bulk reads, each audited): the counter's own
    bookings show product, destination and dates in full; the names as the role shows them."""
    site = posting(request.user)
    if site is None or site.kind != SiteKind.COUNTER:
        return render(request, "operations/counter.html", {"unposted": True})
    kind, day = _tab_and_day(request, selectors.COUNTER_KINDS, "departures")
    found = selectors.counter_list(site, day, kind)
    rows: list[dict[str, Any]] = []
    if found:
        ids = [str(r.booking_id) for r, _ in found]
        views = gate.access_records(request.user, purpose, "booking", ids)
        cids = list(dict.fromkeys(v.customer_id for v in views))
        people = {c.id: c for c in gate.access_customers(request.user, purpose, cids)}
        for v in views:
            person = people.get(v.customer_id)
            rows.append(
                {
                    "id": v.id,
                    "reference": v.meta.get("reference", ""),
                    "lead": (person.fields.get("name") if person else None) or "—",
                    "product": v.fields.get("product") or "—",
                    "destination": v.fields.get("destination") or "—",
                    "start": v.fields.get("start_date") or "—",
                    "end": v.fields.get("end_date") or "—",
                    "travellers": party
                    if (party := str(v.fields.get("travellers") or "")).isdigit()
                    else "",
                    "masked": bool(set(v.masked) & {"product", "destination", "start_date"}),
                }
            )
    counts = selectors.counter_counts(site, day)
    tabs = [
        {"kind": k, "label": label, "count": counts[k], "current": k == kind}
        for k, label in (
            ("departures", bi("今日出发", "Leaving today")),
            ("upcoming", bi("近期出发", "Leaving soon")),
            ("returns", bi("今日返回", "Back today")),
        )
    ]
    if day != stays.today():
        tabs[0]["label"] = bi("当日出发", "Leaving that day")
        tabs[2]["label"] = bi("当日返回", "Back that day")
    ctx = {
        "site": site,
        "site_name": P.site_name(site),
        "day": day,
        "kind": kind,
        "tabs": tabs,
        "rows": rows,
        "upcoming_days": selectors.UPCOMING_DAYS,
    }
    return render(request, "operations/counter.html", ctx)


@purpose_required
@require_http_methods(["GET", "POST"])
def shipment_new(request: HttpRequest, purpose: Purpose, customer_id: Any) -> HttpResponse:
    site = posting(request.user)
    note = bi(f"网点：{site.name_zh}", f"Outlet: {site.name_en}") if site else ""
    return _record_form(
        request,
        purpose,
        customer_id,
        "shipment",
        SHIPMENT_CODES,
        frozenset({"recipient_name", "recipient_phone", "recipient_address"}),
        lambda d: waybills.create_shipment(request.user, purpose, customer_id, d),
        bi("收寄快件", "Send a parcel"),
        note,
    )


# -- edit a customer -------------------------------------------------------------------------
EDIT_CODES = (
    "name",
    "phone",
    "email",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "nationality",
    "address",
)


@purpose_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, purpose: Purpose, customer_id: Any) -> HttpResponse:
    """Change profile fields through `customers.services.update_customer` — the same
    authorisation, validation and audit as `PATCH /api/v1/customers/{id}`. Only the fields
    filled in are changed; fields the view shows masked are never pre-filled."""
    try:
        view = gate.access_customer(request.user, purpose, customer_id, related=False)
    except BaomiError as exc:
        return _error(request, exc)
    shown = {
        c: str(v)
        for c, v in view.fields.items()
        if v is not None and c not in view.masked and c in EDIT_CODES
    }
    editable = [c for c in EDIT_CODES if c not in view.withheld]
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    status = 200
    data = dict(shown)
    if request.method == "POST":
        sent = {c: request.POST.get(c, "").strip() for c in editable}
        changes = {c: v for c, v in sent.items() if v and v != shown.get(c)}
        data = {**shown, **{c: v for c, v in sent.items() if v}}
        try:
            if not changes:
                raise ValidationFailed([])
            customers.update_customer(request.user, purpose, customer_id, changes, channel="store")
        except ValidationFailed as exc:
            errors = _errors_by_field(exc)
            general = [P.issue_text(i) for i in exc.issues if i.field not in editable] or (
                [] if exc.issues else [bi("没有需要修改的字段。", "Nothing to change.")]
            )
            status = 422
        except BaomiError as exc:
            general = [P.error_text(exc)]
            status = exc.status
        else:
            messages.success(request, bi("客户资料已更新。", "Customer updated."))
            return redirect("console:customer_detail", customer_id=customer_id)
    inputs = []
    for code in editable:
        masked = code in view.masked
        # the same widgets as the new-customer form (selects for ID type and gender: no
        # raw codes); a masked value is never pre-filled, its mask is the placeholder
        value = data.get(code, "") if not masked else request.POST.get(code, "")
        inp = console_forms.spec_input(code, {code: value}, console_forms.FormErrors(errors))
        inp.required = False  # only what changes is sent
        inp.attrs.setdefault("maxlength", "200")
        inp.attrs["autocomplete"] = "off"
        if masked and inp.kind != "select":
            inp.attrs["placeholder"] = str(view.fields.get(code) or "")
        inputs.append(inp)
    ctx = {
        "customer_id": str(customer_id),
        "inputs": inputs,
        "general": general,
        "has_errors": bool(errors or general),
        "title": bi("修改客户资料", "Edit customer"),
    }
    return render(request, "operations/customer_edit.html", ctx, status=status)


# -- find by reference --------------------------------------------------------------------------
@purpose_required
@require_http_methods(["GET", "POST"])
def find(request: HttpRequest, purpose: Purpose) -> HttpResponse:
    """Booking reference, stay reference or waybill number (not personal: plain columns),
    typed or scanned: a QR code's payload (a link with `ref=` / `booking=` / `order=`, a
    JSON object, the bare reference) is read by `scanning.read`. Criteria travel in the
    POST body; a scanned link is never opened."""
    raw = request.POST.get("ref", "") if request.method == "POST" else ""
    scan = scanning.read(raw) if raw.strip() else None
    if raw.strip() and scan is None and scanning.looks_scanned(raw):
        ctx = {"ref": "", "unreadable": True}
        return render(request, "operations/find.html", ctx, status=422)
    ref = scan.reference if scan else raw.strip()
    found = selectors.by_reference(ref) if ref else []
    if len(found) == 1:
        f = found[0]
        if f.entity == "stay" and selectors.occupancy(f.record_id) is not None:
            return redirect("operations:stay", stay_id=f.record_id)
        if f.entity == "shipment" and selectors.waybill(f.reference) is not None:
            return redirect("operations:parcel", no=f.reference)
        if f.entity == "booking":
            return redirect("operations:booking", booking_id=f.record_id)
        return redirect("console:customer_detail", customer_id=f.customer_id)
    ctx = {"ref": ref[:40], "searched": bool(ref), "found": found}
    return render(request, "operations/find.html", ctx, status=200 if found or not ref else 404)


# -- courier ----------------------------------------------------------------------------------
def _needs_purpose(request: HttpRequest) -> HttpResponse | None:
    """A courier reads parcels under the purpose chosen for the session (delivery)."""
    if _role(request) != Role.COURIER or active_purpose(request) is not None:
        return None
    return render(
        request, "console/need_purpose.html", {"next": request.get_full_path()}, status=428
    )


@role_required(Role.COURIER)
@require_http_methods(["GET", "POST"])
def deliveries(request: HttpRequest) -> HttpResponse:
    """Phone first: find a parcel by waybill number (typed or scanned), then today's list."""
    if (need := _needs_purpose(request)) is not None:
        return need
    if request.method == "POST":
        no = request.POST.get("no", "").strip()
        if selectors.waybill(no) is not None:
            return redirect("operations:parcel", no=no)
        messages.error(request, bi(*P.ERRORS["waybill_unknown"]))
    items = [
        {
            "no": w.no,
            "failed": P.choice(FailReason, w.failed_reason) if w.failed_reason else "",
        }
        for w in selectors.my_deliveries(int(request.user.pk or 0))
    ]
    return render(request, "operations/deliveries.html", {"items": items})


@role_required(Role.COURIER, Role.MANAGER)
@require_http_methods(["GET"])
def parcel(request: HttpRequest, no: str) -> HttpResponse:
    if (need := _needs_purpose(request)) is not None:
        return need
    w = selectors.waybill(no)
    if w is None:
        return _error(request, NotFound(code="waybill_unknown"))
    ctx: dict[str, Any] = {
        "w": w,
        "state": P.waybill_state(w.state),
        "stage": P.stage(w.stage),
        "site_name": P.site_name(w.range.site),
        "stages": P.options(ScanStage),
        "proofs": P.options(ProofKind),
        "fail_reasons": P.options(FailReason),
        "void_reasons": P.options(VoidReason),
        "mine": w.courier_id == request.user.pk,
        "failed": P.choice(FailReason, w.failed_reason) if w.failed_reason else "",
        "scans": [
            {"stage": P.stage(s.stage), "site": P.site_name(s.site), "at": s.at}
            for s in w.scans.select_related("site").all()
        ],
        "my_site": posting(request.user),
    }
    if w.shipment_id and _role(request) == Role.COURIER:
        try:
            view = gate.access_records(
                request.user, active_purpose(request), "shipment", [str(w.shipment_id)]
            )[0]
        except BaomiError as exc:
            return _error(request, exc)
        ctx["recipient"] = {
            "name": view.fields.get("recipient_name") or "—",
            "phone": view.fields.get("recipient_phone") or "—",
            "address": view.fields.get("recipient_address") or "—",
            "item": view.fields.get("item_type") or "—",
            "relay": relay_number(w.no),
        }
    return render(request, "operations/parcel.html", ctx)


def _parcel_action(request: HttpRequest, no: str, act: Any, done: str) -> HttpResponse:
    try:
        act()
    except BaomiError as exc:
        messages.error(request, P.error_text(exc))
    else:
        messages.success(request, done)
    return redirect("operations:parcel", no=no)


@role_required(Role.COURIER)
@require_POST
def parcel_scan(request: HttpRequest, no: str) -> HttpResponse:
    stage = request.POST.get("stage", "")
    site = posting(request.user)
    code = request.POST.get("site", "") or (site.code if site else "")
    return _parcel_action(
        request,
        no,
        lambda: waybills.scan(request.user, no, stage, code),
        bi("已扫描：", "Scanned: ") + P.stage(stage),
    )


@role_required(Role.COURIER)
@require_POST
def parcel_deliver(request: HttpRequest, no: str) -> HttpResponse:
    kind, ref = request.POST.get("proof_kind", ""), request.POST.get("proof_ref", "")
    resp = _parcel_action(
        request,
        no,
        lambda: waybills.deliver(request.user, no, kind, ref),
        bi("已签收。", "Delivered."),
    )
    w = selectors.waybill(no)
    if w is not None and w.state == "delivered":
        return redirect("operations:deliveries")
    return resp


@role_required(Role.COURIER)
@require_POST
def parcel_fail(request: HttpRequest, no: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _parcel_action(
        request,
        no,
        lambda: waybills.fail(request.user, no, reason),
        bi("已记录派送未成功。", "Failed attempt recorded."),
    )


@role_required(Role.COURIER, Role.MANAGER)
@require_POST
def waybill_write_off(request: HttpRequest, no: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    lost = request.POST.get("lost") == "1"
    return _parcel_action(
        request,
        no,
        lambda: waybills.write_off(request.user, no, reason, lost=lost),
        bi("已登记遗失。", "Recorded lost.") if lost else bi("已作废。", "Voided."),
    )


@role_required(Role.COURIER, Role.MANAGER)
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """The waybill register (R-M1): every issued range, each number's state, gaps."""
    errors: list[str] = []
    status = 200
    form = {"outlet": "", "start": "", "count": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in form}
        try:
            waybills.issue_range(request.user, form["outlet"], form["start"], form["count"])
        except BaomiError as exc:
            errors = [P.error_text(exc)]
            status = exc.status
        else:
            messages.success(request, bi("号段已发放。", "Range issued."))
            return redirect("operations:register")
    mine = posting(request.user)
    site = mine if _role(request) == Role.COURIER else None
    lines = [
        {
            "outlet": P.site_name(x.range.site),
            "start": x.range.start,
            "end": x.range.end,
            "count": x.range.count,
            "counts": [(P.waybill_state(k), v, k) for k, v in x.counts.items()],
            "accounted": x.accounted,
            "gaps": x.gaps,
            "issued_at": x.range.issued_at,
        }
        for x in selectors.register(site)
    ]
    ctx = {
        "lines": lines,
        "may_issue": _role(request) == Role.MANAGER,
        "outlets": [(s.code, P.site_name(s)) for s in selectors.sites(SiteKind.OUTLET)],
        "form": form,
        "errors": errors,
    }
    return render(request, "operations/register.html", ctx, status=status)


@role_required(Role.COURIER)
@require_http_methods(["GET"])
def parcel_label(request: HttpRequest, no: str, fmt: str) -> HttpResponse:
    """The privacy label of a parcel, to print (PDF) or send to a thermal printer (ZPL)."""

    if (need := _needs_purpose(request)) is not None:
        return need
    w = selectors.waybill(no)
    if w is None or w.shipment_id is None:
        return _error(request, NotFound(code="waybill_unknown"))
    url = request.build_absolute_uri(reverse("operations:parcel", args=[w.no]))
    try:
        body, name, ctype = waybills.print_label(
            request.user, active_purpose(request), w.shipment_id, fmt, url
        )
    except BaomiError as exc:
        return _error(request, exc)
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = attachment(name)
    return resp


# -- a travel booking and its travellers (issue #17 §2) -----------------------------------------
TRAVELLER_CODES = ("name", "phone", "id_type", "id_number", "birth_date", "nationality")
TRAVELLER_CONSENTS = ("travel_companions", "marketing")


def _booking_edit(
    request: HttpRequest, purpose: Purpose, booking_id: Any, errors: dict[str, list[str]]
) -> dict[str, Any]:
    """The booking's own fields, as the viewer's duty shows them (one gate read): plain
    values prefill the edit form; a masked or withheld one is left blank (blank = unchanged),
    so a mask is never written back as a value."""
    view = gate.access_records(request.user, purpose, "booking", [str(booking_id)])[0]
    plain = {
        c: str(view.fields.get(c))
        for c in BOOKING_CODES
        if view.fields.get(c) not in (None, "") and c not in view.masked and c not in view.withheld
    }
    sent = {c: request.POST.get(c, "") for c in BOOKING_CODES} if errors else plain
    return {
        "booking_cells": P.record_cells("booking", view.fields, view.masked, view.withheld),
        "edit_inputs": _inputs("booking", BOOKING_CODES, sent, errors),
        "edit_open": bool(errors),
        "may_edit": may_write(request.user.role_code, purpose),  # type: ignore[union-attr]
    }


@purpose_required
@require_http_methods(["GET", "POST"])
def booking_page(request: HttpRequest, purpose: Purpose, booking_id: Any) -> HttpResponse:
    """The booking's lead and companions; add one found by ID number (exact, through the
    blind index) or registered here with their own consent decisions."""
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    status = 200
    p = request.POST
    edit_errors: dict[str, list[str]] = {}
    if request.method == "POST" and p.get("op") == "edit":
        try:
            bookings.edit_booking(
                request.user,
                purpose,
                booking_id,
                {c: p.get(c, "").strip() for c in BOOKING_CODES if p.get(c, "").strip()},
            )
        except ValidationFailed as exc:
            edit_errors = _errors_by_field(exc)
            general = [P.issue_text(i) for i in exc.issues if i.field not in BOOKING_CODES]
            status = 422
        except BaomiError as exc:
            general = [P.error_text(exc)]
            status = exc.status
        else:
            messages.success(request, bi("订单已修改。", "Booking changed."))
            return redirect("operations:booking", booking_id=booking_id)
    elif request.method == "POST":
        try:
            if p.get("op") == "remove":
                bookings.remove_traveller(request.user, purpose, booking_id, p.get("customer_id"))
                messages.success(request, bi("已移除同行旅客。", "Traveller removed."))
                return redirect("operations:booking", booking_id=booking_id)
            if p.get("op") == "existing":
                bookings.add_traveller(
                    request.user,
                    purpose,
                    booking_id,
                    customer_id=_one_by_id_number(request, purpose),
                    document_checked=p.get("document_checked") == "1",
                )
            else:
                new = {c: p.get(c, "").strip() for c in TRAVELLER_CODES if p.get(c, "").strip()}
                consents = {
                    c: p.get(f"consent_{c}") == "yes"
                    for c in TRAVELLER_CONSENTS
                    if p.get(f"consent_{c}") in ("yes", "no")
                }
                bookings.add_traveller(
                    request.user,
                    purpose,
                    booking_id,
                    new=new,
                    consents=consents,
                    document_checked=p.get("document_checked") == "1",
                )
        except ValidationFailed as exc:
            errors = _errors_by_field(exc)
            general = [P.issue_text(i) for i in exc.issues if i.field not in TRAVELLER_CODES]
            status = 422
        except BaomiError as exc:
            general = [P.error_text(exc)]
            status = exc.status
        else:
            messages.success(request, bi("已添加同行旅客。", "Traveller added."))
            return redirect("operations:booking", booking_id=booking_id)
    try:
        data = bookings.travellers(request.user, purpose, booking_id)
    except BaomiError as exc:
        return _error(request, exc)
    sent = {c: p.get(c, "") for c in TRAVELLER_CODES} if request.method == "POST" else {}
    inputs = []
    for code in TRAVELLER_CODES:
        inp = console_forms.spec_input(code, sent, console_forms.FormErrors(errors))
        inp.required = code in ("name", "id_type", "id_number")
        inputs.append(inp)
    choices = [(c, bi(*ConsentPurpose(c).label.split(" / ", 1))) for c in TRAVELLER_CONSENTS]
    ctx = {
        **_booking_edit(request, purpose, booking_id, edit_errors),
        "b": data,
        "inputs": inputs,
        "consents": choices,
        "general": general,
        "has_errors": bool(errors or general),
        "title": bi(f"旅游订单 {data['reference']}", f"Booking {data['reference']}"),
    }
    return render(request, "operations/booking.html", ctx, status=status)
