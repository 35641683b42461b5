"""Console views: thin — parse, call a service or the gate, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from baomi import audit
from baomi.access.policy import may_use
from baomi.audit.models import Action
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel, Gender, IdType, Purpose
from baomi.core.errors import BaomiError, ValidationFailed
from baomi.customers import gate, services


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(
            Action.LOGIN,
            form.get_user(),
            object_type="staff",
            object_id=form.get_user().pk,
            detail={"via": "console"},
        )
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        audit.record(
            Action.LOGIN_FAILED,
            None,
            object_type="staff",
            outcome="failed",
            detail={"via": "console"},
        )
        return super().form_invalid(form)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(Action.LOGOUT, request.user, object_type="staff", object_id=request.user.pk)
    logout(request)
    return redirect("console:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "console/home.html", {})


@login_required
@require_POST
def choose_purpose(request: HttpRequest) -> HttpResponse:
    value = request.POST.get("purpose", "")
    try:
        p = gate.check_purpose(request.user, value)
    except BaomiError as exc:
        messages.error(request, exc.detail)
        return redirect("console:home")
    request.session["purpose"] = p.value
    audit.record(Action.PURPOSE_SELECTED, request.user, purpose=p)
    return redirect(request.POST.get("next") or "console:customer_search")


def _purpose(request: HttpRequest) -> str | None:
    p = request.session.get("purpose")
    return p if p and may_use(request.user.role_code, Purpose(p)) else None  # type: ignore[union-attr]


@login_required
def customer_search(request: HttpRequest) -> HttpResponse:
    purpose = _purpose(request)
    ctx: dict[str, Any] = {"q": {k: request.GET.get(k, "") for k in services.SEARCH_FIELDS}}
    if purpose is None:
        return render(request, "console/need_purpose.html", ctx, status=403)
    if any(ctx["q"].values()):
        try:
            page = services.search_customers(
                request.user, purpose, ctx["q"], page=int(request.GET.get("page", "1") or 1)
            )
            ctx["page"] = page
        except ValidationFailed as exc:
            ctx["errors"] = exc.issues
        except BaomiError as exc:
            messages.error(request, exc.detail)
    return render(request, "console/customer_search.html", ctx)


@login_required
def customer_detail(request: HttpRequest, customer_id: Any) -> HttpResponse:
    purpose = _purpose(request)
    if purpose is None:
        return render(request, "console/need_purpose.html", {}, status=403)
    try:
        view = gate.access_customer(request.user, purpose, customer_id)
    except BaomiError as exc:
        return render(request, "console/error.html", {"error": exc}, status=exc.status)
    rows = [
        {
            "spec": s,
            "value": view.fields.get(s.code),
            "treatment": view.treatment(s.code).value,
            "lineage": view.lineage.get(s.code),
        }
        for s in catalog.fields_of("customer")
    ]
    records = {
        entity: {"specs": catalog.fields_of(entity), "items": items}
        for entity, items in view.records.items()
    }
    return render(
        request, "console/customer_detail.html", {"view": view, "rows": rows, "records": records}
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_new(request: HttpRequest) -> HttpResponse:
    purpose = _purpose(request)
    if purpose is None:
        return render(request, "console/need_purpose.html", {}, status=403)
    ctx: dict[str, Any] = {
        "channels": Channel.choices,
        "id_types": IdType.choices,
        "genders": Gender.choices,
        "data": {},
    }
    if request.method == "POST":
        data: dict[str, Any] = {
            k: v
            for k, v in request.POST.dict().items()
            if k not in {"csrfmiddlewaretoken", "card_number", "card_expiry", "card_holder"}
            and v.strip()
        }
        if request.POST.get("card_number"):
            card = {
                "number": request.POST["card_number"],
                "expiry": request.POST.get("card_expiry", ""),
                "holder": request.POST.get("card_holder", ""),
            }
            data["payment_card"] = {k: v for k, v in card.items() if v}
        channel = str(data.pop("channel", "store"))
        try:
            c = services.create_customer(request.user, purpose, data, channel=channel)
        except ValidationFailed as exc:
            ctx["errors"] = exc.issues
            ctx["data"] = {k: v for k, v in data.items() if k != "payment_card"}
            return render(request, "console/customer_new.html", ctx, status=422)
        except BaomiError as exc:
            messages.error(request, exc.detail)
            return render(request, "console/customer_new.html", ctx, status=exc.status)
        return redirect("console:customer_detail", customer_id=c.id)
    return render(request, "console/customer_new.html", ctx)
