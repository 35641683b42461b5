"""Capture helper (R-A5; issue #17 §1): a passport's machine-readable zone becomes profile
values with check digits verified (ICAO 9303 specimen), on the API and in the console's
new-customer form (filled, nothing saved); a misread digit is refused with a clear error."""

from __future__ import annotations

from typing import Any

import pytest

from baomi.customers import mrz
from baomi.customers.models import Customer

pytestmark = pytest.mark.django_db

# ICAO 9303 part 4 specimen (Utopia) and a Chinese passport shaped like it
SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)


def _td3(surname: str, given: str, number: str, nat: str, birth: str, sex: str) -> str:
    def digit(s: str) -> str:
        w = (7, 3, 1)
        v = sum(
            (int(c) if c.isdigit() else (ord(c) - 55 if c.isalpha() else 0)) * w[i % 3]
            for i, c in enumerate(s)
        )
        return str(v % 10)

    top = f"P<{nat}{surname}<<{given}".ljust(44, "<")
    num = number.ljust(9, "<")
    expiry = "331231"
    personal = "<" * 14
    body = (
        num
        + digit(num)
        + nat
        + birth
        + digit(birth)
        + sex
        + expiry
        + digit(expiry)
        + personal
        + digit(personal)
    )
    composite = (
        num
        + digit(num)
        + birth
        + digit(birth)
        + expiry
        + digit(expiry)
        + personal
        + digit(personal)
    )
    return top + "\n" + body + digit(composite)


def test_a_passport_mrz_becomes_profile_values() -> None:
    got = mrz.parse(_td3("ZHANG", "SAN", "E12345678", "CHN", "900101", "M"))
    assert got == {
        "name": "ZHANG SAN",
        "id_type": "passport",
        "id_number": "E12345678",
        "nationality": "CN",
        "birth_date": "1990-01-01",
        "gender": "male",
    }


def test_a_misread_digit_or_shape_is_refused() -> None:
    from baomi.core.errors import ValidationFailed

    bad = SPECIMEN[:-1] + "1"  # the composite check digit
    with pytest.raises(ValidationFailed) as e:
        mrz.parse(bad)
    assert e.value.issues[0].code == "mrz_check_digit"
    with pytest.raises(ValidationFailed) as e:
        mrz.parse("P<UTOERIKSSON")
    assert e.value.issues[0].code == "mrz_shape"


def test_api_and_console_fill_the_form_without_saving(api_client: Any, staff_client: Any) -> None:
    c, h = api_client("front_desk", "reception")
    line = _td3("LI", "XIAOMING", "E87654321", "CHN", "850615", "M")
    r = c.post("/api/v1/customers/mrz", {"mrz": line}, content_type="application/json", headers=h)
    assert r.status_code == 200 and r.json()["id_number"] == "E87654321"
    bad = c.post("/api/v1/customers/mrz", {"mrz": "x"}, content_type="application/json", headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "mrz_shape"
    desk, _ = staff_client("front_desk", "reception")
    page = desk.post("/customers/new/", {"op": "mrz", "mrz": line}).content.decode()
    assert 'value="E87654321"' in page and 'value="LI XIAOMING"' in page
    assert '<option value="passport" selected>' in page
    assert not Customer.objects.exists()


def test_nationality_is_shown_as_a_country_name(staff_client: Any, make_customer: Any) -> None:
    """No raw codes on pages: the 360 page names the country (中国), not its code (CN)."""
    from baomi.core.i18n import country_alpha2, country_name

    assert (country_name("CN", "zh"), country_name("CN", "en")) == ("中国", "China")
    assert (country_alpha2("CHN"), country_alpha2("HK"), country_alpha2("ABC")) == ("CN", "HK", "")
    guest = make_customer(nationality="CN")
    c, _ = staff_client("privacy_officer", "investigation")
    page = c.get(f"/customers/{guest.id}/").content.decode()
    row = page.split('data-field="nationality"')[1].split("</tr>")[0]
    assert "中国" in row and ">CN<" not in row
