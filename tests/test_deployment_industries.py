"""Hotel-only consent items on a hotel deployment (issue #17 §1; R-B3, R-B2, decision 0041
§5): `BAOMI_INDUSTRIES` decides which industry packs' consent items are asked — the
counter's new-customer form, the 360 page's decision form, the portal and the notice —
while a decision already on record stays visible."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings

pytestmark = pytest.mark.usefixtures("fresh_notice")

HOTEL_ONLY = override_settings(BAOMI_INDUSTRIES=["hotel"])


def test_default_deployment_asks_every_industrys_items() -> None:
    from baomi.consent.purposes import CONSENTS, asked

    assert asked() == CONSENTS


@HOTEL_ONLY
def test_hotel_deployment_asks_only_the_hotels_items_at_the_counter(
    staff_client: Any, make_customer: Any
) -> None:
    c, _ = staff_client("front_desk", "reception")
    form = c.get("/customers/new/").content.decode()
    assert 'name="consent_hotel_preferences"' in form
    assert 'name="consent_marketing"' in form  # general items stay
    assert 'name="consent_travel_companions"' not in form
    assert 'name="consent_courier_address_book"' not in form
    guest = make_customer()
    page = c.get(f"/customers/{guest.id}/").content.decode()
    assert 'value="hotel_preferences"' in page
    assert 'value="travel_companions"' not in page and 'value="courier_address_book"' not in page


@HOTEL_ONLY
def test_a_decision_on_record_is_still_shown(make_customer: Any, make_staff: Any) -> None:
    from baomi.consent import selectors, services

    guest = make_customer()
    shown = {line.purpose for line in selectors.state_of(guest.id)}
    assert "hotel_preferences" in shown and "travel_companions" not in shown
    services.record(
        make_staff("customer_service"),
        guest.id,
        "travel_companions",
        given=True,
        channel="call_center",
        method="verbal_recorded",
        staff_purpose="customer_service",
    )
    shown = {line.purpose for line in selectors.state_of(guest.id)}
    assert "travel_companions" in shown and "courier_address_book" not in shown


@pytest.mark.django_db
def test_hotel_deployments_notice_lists_only_its_items() -> None:
    from baomi.consent import notice
    from baomi.consent.purposes import BY_CODE

    travel = BY_CODE["travel_companions"].text_zh
    hotel = BY_CODE["hotel_preferences"].text_zh
    notice.clear_cache()
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/privacy").content.decode()
    assert travel in page and hotel in page
    with HOTEL_ONLY:
        notice.clear_cache()
        page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/privacy").content.decode()
        assert travel not in page and hotel in page


def test_unknown_industry_is_a_configuration_error() -> None:
    with (
        override_settings(BAOMI_INDUSTRIES=["hotel", "airline"]),
        pytest.raises(SystemCheckError, match=r"baomi\.E103"),
    ):
        call_command("check", "--tag", "baomi")
