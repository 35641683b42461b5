"""Input hardening from issue #9 §6 (ASVS 5.0 V1.2.10, V2.2.1, V16.4.1; R-B4):

- customer names made only of invisible characters, or carrying bidi controls, refused
  (API, console, import);
- staff usernames refuse control characters, bidi overrides, invisible characters,
  leading formula characters and markup (console, CLI);
- every CSV people open neutralises every cell (core.csvsafe), and no other CSV writer
  exists in the source.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from baomi.access.models import Staff
from baomi.catalog import validators
from baomi.core import csvsafe
from baomi.customers.models import Customer
from conftest import import_cli

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[1] / "src" / "baomi"

BAD_NAMES = [
    ("zero-width only", "\u200b\u200b\u200b", "name_invisible"),
    ("zero-width joiners only", "\u200d\u200c", "name_invisible"),
    ("BOM only", "\ufeff", "name_invisible"),
    ("word joiner inside", "张\u2060伟", "name_invisible"),
    ("right-to-left override", "Ali\u202ecod.exe", "bidi_control"),
    ("left-to-right isolate", "\u2066王五\u2069", "bidi_control"),
    ("right-to-left mark", "李\u200f四", "bidi_control"),
    ("C1 control", "王\x9b五", "control_chars"),
    ("punctuation only", "...", "name_no_letters"),
]
GOOD_NAMES = ["张伟", "O'Brien", "Anne-Marie Dupont", "Мария", "محمد", "می\u200cخواهم"]


@pytest.mark.parametrize(("case", "value", "code"), BAD_NAMES)
def test_invisible_and_bidi_names_are_refused_by_the_api(
    api_client: Any, case: str, value: str, code: str
) -> None:
    c, h = api_client("front_desk", "reception")
    body = {"name": value, "phone": "13800138000", "channel": "store"}
    r = c.post("/api/v1/customers", body, content_type="application/json", headers=h)
    assert r.status_code == 422, case
    assert r["Content-Type"].startswith("application/problem+json")
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("name", code)], case
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("value", GOOD_NAMES)
def test_real_names_still_pass(value: str) -> None:
    assert validators.name(value) == value


def test_invisible_and_bidi_names_are_refused_by_the_console(desk: Any) -> None:
    c, _ = desk
    r = c.post("/customers/new/", {"name": "\u200b\u200b", "phone": "13800138000"})
    assert r.status_code in (400, 422)
    assert "包含不可见字符" in r.content.decode()
    r = c.post("/customers/new/", {"name": "A\u202eB", "phone": "13800138000"})
    assert "包含文字方向控制字符" in r.content.decode()
    assert Customer.objects.count() == 0


def test_invisible_names_are_rejected_by_the_import(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("name,phone\n\u200b\u200b,13800138000\n张伟,13800138001\n", encoding="utf-8")
    summary = import_cli(path, status=3)
    assert (summary["created"], summary["rejected"]) == (1, 1)
    assert "name_invisible" in (tmp_path / "c.csv.rejects.csv").read_text(encoding="utf-8")


def test_bidi_overrides_are_refused_in_every_text_field() -> None:
    with pytest.raises(validators.Invalid) as exc:
        validators.address("北京市\u202e路88号")
    assert exc.value.code == "bidi_control"


# -- usernames --------------------------------------------------------------------------------
BAD_USERNAMES = [
    ("formula", "=HYPERLINK(1)"),
    ("plus", "+cmd"),
    ("minus", "-2+3"),
    ("at", "@SUM(A1)"),
    ("tab", "\tclerk"),
    ("carriage return", "\rclerk"),
    ("newline inside", "clerk\nadmin"),
    ("NUL", "clerk\x00"),
    ("bidi override", "admin\u202enimda"),
    ("zero-width space", "ad\u200bmin"),
    ("markup", "<script>x</script>"),
    ("quote", 'clerk"x'),
    ("space", "front desk"),
    ("full-width look-alike", "ａｄｍｉｎ"),
]


@pytest.mark.parametrize(("case", "username"), BAD_USERNAMES)
def test_hostile_usernames_are_refused_by_the_cli(case: str, username: str) -> None:
    before = Staff.objects.count()
    with pytest.raises(CommandError):
        call_command("createstaff", "--username", username, "--role", "front_desk")
    assert Staff.objects.count() == before, case


def test_hostile_usernames_are_refused_by_the_console(staff_client: Any) -> None:
    c, _ = staff_client("security_admin")
    for case, username in BAD_USERNAMES:
        if username[0].isspace():
            continue  # the form trims surrounding whitespace, as every console form does
        r = c.post("/staff/new/", {"username": username, "role": "finance"})
        assert r.status_code == 422, case
        assert re.search("用户名(只能包含|不能以|必填)", r.content.decode()), case
    assert not Staff.objects.filter(role="finance").exists()
    r = c.post("/staff/new/", {"username": "li.na_2024@hq", "role": "finance"})
    assert r.status_code == 201
    r = c.post("/staff/new/", {"username": "王芳", "role": "finance"})
    assert r.status_code == 201


# -- CSV ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(1)",
        "\t=1",
        "\r=1",
        "\n=1",
        "\x00=1",
        " =1+1",
        "\u200b=1+1",
        "\u3000=1",
        "＝1+1",
        "＋1",
        "＠x",
    ],
)
def test_csv_cells_that_could_run_are_neutralised(value: str) -> None:
    assert csvsafe.cell(value) == "'" + value


@pytest.mark.parametrize("value", ["张伟", "a=1", "1-2", "", None, 42, "'=already quoted"])
def test_csv_cells_that_cannot_run_are_kept(value: Any) -> None:
    assert csvsafe.cell(value) == ("" if value is None else str(value))


def test_csv_writer_neutralises_every_cell_and_quotes_per_rfc4180() -> None:
    buf = io.StringIO()
    csvsafe.writer(buf).writerow(["=a", "b,c", 'd"e', "+f", "ok"])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["'=a", "b,c", 'd"e', "'+f", "ok"]


def test_no_csv_writer_outside_csvsafe() -> None:
    """Every CSV people open goes through core.csvsafe. Allowed: csvsafe itself, and the
    benchmark's synthetic IMPORT INPUT (a phone `+86…` must stay as it is there)."""
    allowed = {
        SRC / "core" / "csvsafe.py",
        SRC / "customers" / "management" / "commands" / "bench.py",
    }
    found = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p not in allowed and re.search(r"csv\.(writer|DictWriter)\(", p.read_text("utf-8"))
    ]
    assert found == []
