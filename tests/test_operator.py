"""The deployment's operator on the privacy notice and the portal (issue #17 §5; R-B2,
decision 0041 §4): configured once from the environment, named on the notice (who we are,
how to contact us — PIPL art. 17) in zh and en, in the API, and in every public page's
header and footer instead of "baomi"; a change of operator is a new notice version."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client, override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_notice")]

OTHER = {
    "name_zh": "杭州西湖旅业有限公司",
    "name_en": "Hangzhou West Lake Travel Co., Ltd.",
    "short_zh": "西湖旅业",
    "short_en": "West Lake Travel",
    "address_zh": "杭州市西湖区北山街 1 号",
    "address_en": "1 Beishan Street, Xihu District, Hangzhou",
    "email": "dpo@westlake.example.cn",
    "phone": "+86 571 5555 0199",
}


def _zh(path: str) -> str:
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(path).content.decode()


def _en(path: str) -> str:
    return html.unescape(Client(HTTP_ACCEPT_LANGUAGE="en").get(path).content.decode())


def test_notice_and_portal_name_the_demo_operator_in_both_languages() -> None:
    from django.conf import settings

    op = settings.BAOMI_OPERATOR
    page = _zh("/privacy")
    assert 'id="contact"' in page and "如何联系我们" in page
    for value in (op["name_zh"], op["address_zh"], op["email"], op["phone"]):
        assert value in page, value
    assert f"本说明由{op['name_zh']}" in page
    assert "baomi" not in page.split("<main")[0].lower().replace("/static/", "")  # header
    page = _en("/privacy")
    assert op["name_en"] in page and op["address_en"] in page and "How to contact us" in page
    portal = _zh("/portal/")
    assert 'data-testid="operator-name"' in portal and op["name_zh"] in portal
    assert f'href="mailto:{op["email"]}"' in portal and 'href="tel:021-55550100"' not in portal
    assert 'href="tel:02155550100"' in portal
    assert op["short_zh"] in portal.split("<main")[0]


def test_api_answers_the_operator_and_the_contact_section(client: Any) -> None:
    from django.conf import settings

    body = client.get("/api/v1/privacy-notice?lang=en").json()
    assert body["operator"]["name"] == settings.BAOMI_OPERATOR["name_en"]
    contact = next(s for s in body["sections"] if s["id"] == "contact")
    assert any(settings.BAOMI_OPERATOR["email"] in b for b in contact["bullets"])


def test_another_operator_is_a_new_notice_version() -> None:
    from baomi.consent import notice, services

    first = services.current_notice()
    with override_settings(BAOMI_OPERATOR=OTHER):
        notice.clear_cache()
        second = services.current_notice()
        assert second.version == first.version + 1
        page = _zh("/privacy")
        assert "杭州西湖旅业有限公司" in page and "dpo@westlake.example.cn" in page
        assert "上海外滩示范旅业" not in page
        assert "西湖旅业" in _zh("/portal/").split("<main")[0]
    # the earlier version keeps the operator it was published under
    old = _zh(f"/privacy?version={first.version}")
    assert "上海外滩示范旅业有限公司" in old.split('data-testid="operator-footer"')[0]


def test_unconfigured_operator_is_said_not_invented() -> None:
    from baomi.consent import notice

    with override_settings(BAOMI_OPERATOR={}):
        notice.clear_cache()
        page = _zh("/privacy")
        assert "本服务的运营方尚未配置名称与联系方式" in page
        assert 'data-testid="operator-name"' not in page
        assert "baomi" not in page.split("<main")[0].lower().replace("/static/", "")


def test_a_broken_e_mail_never_becomes_a_link() -> None:
    from baomi.core.operator import operator

    with override_settings(BAOMI_OPERATOR={**OTHER, "email": 'x" onclick="y'}):
        assert operator().email == ""
        assert operator().configured  # the phone is still a contact
