"""Search criteria never travel in a URL that a log keeps (issue #9 §4; DESIGN §3 rule 2;
ASVS 5.0 V14.2.1, V16.2.5).

`POST /api/v1/customers/search` (JSON body) is the documented way and answers exactly as
`GET /api/v1/customers?…`; the GET form keeps working, but no log line — Django's request
log, the server's access log (whatever `baomi serve` runs) — ever holds its query string.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from baomi.core import logs

PHONE = "+8613800138000"
ID = "11010519491231002X"


@pytest.mark.django_db
def test_post_search_answers_like_get(api_client: Any, make_customer: Any) -> None:
    a = make_customer(phone=PHONE, name="王小明", email="wxm@example.cn")
    b = make_customer(id_type="cn_resident_id", id_number=ID, birth_date="1949-12-31")
    client, h = api_client("front_desk", "reception")
    cases: list[dict[str, Any]] = [
        {"phone": "13800138000"},
        {"phone": PHONE, "name": "王小明"},
        {"email": "WXM@example.cn"},
        {"id_number": ID.lower()},
        {"name": "王小明", "page": 2},
        {"phone": "13999999999"},
    ]
    for crit in cases:
        got = client.get("/api/v1/customers", crit, headers=h)
        post = client.post(
            "/api/v1/customers/search", crit, content_type="application/json", headers=h
        )
        assert post.status_code == got.status_code == 200, (crit, post.content)
        assert post.json() == got.json(), crit
    ids = {
        i["id"]
        for crit in ({"phone": PHONE}, {"id_number": ID})
        for i in client.post(
            "/api/v1/customers/search", crit, content_type="application/json", headers=h
        ).json()["items"]
    }
    assert ids == {str(a.id), str(b.id)}
    # the same refusals as the GET form: no criteria, a bad phone, a hidden field
    for crit, status in (({}, 422), ({"phone": "12"}, 422), ({"cvv": "123"}, 422)):
        r = client.post(
            "/api/v1/customers/search", crit, content_type="application/json", headers=h
        )
        assert r.status_code == status, (crit, r.content)
        assert r["Content-Type"] == "application/problem+json"
    client, h = api_client("courier", "delivery")
    r = client.post(
        "/api/v1/customers/search", {"id_number": ID}, content_type="application/json", headers=h
    )
    assert r.status_code == 403 and r.json()["code"] == "field_forbidden"


@pytest.mark.django_db
def test_openapi_documents_post_and_deprecates_get(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    post = doc["paths"]["/api/v1/customers/search"]["post"]
    assert "requestBody" in post and "parameters" not in {
        k for k, v in post.items() if k == "parameters" and v
    }
    assert doc["paths"]["/api/v1/customers"]["get"].get("deprecated") is True


def test_log_filter_cuts_query_strings() -> None:
    rec = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /api/v1/customers?phone=13800138000&name=%E7%8E%8B HTTP/1.1", "401", "120"),
        None,
    )
    assert logs.StripQueryStrings().filter(rec)
    text = rec.getMessage()
    assert "13800138000" not in text and "%E7%8E%8B" not in text
    assert "GET /api/v1/customers?[query removed] HTTP/1.1" in text
    assert logs.strip_query("no url here? fine") == "no url here? fine"
    assert (
        logs.strip_query("Referer https://h.example/portal/?code=123456 x")
        == "Referer https://h.example/portal/?[query removed] x"
    )


def test_gunicorn_logger_cuts_query_strings_from_access_and_error_lines() -> None:
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    # the most revealing format there is: request line, query, referrer, user agent
    cfg.set("access_log_format", '"%(r)s" %(q)s "%(f)s" "%(a)s" %(U)s')
    log = logs.GunicornLogger(cfg)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    log.access_log.addHandler(Keep())
    log.error_log.addHandler(Keep())

    class Resp:
        status = "200 OK"
        sent = 10
        headers: list[tuple[str, str]] = []

    class Req:
        headers: list[tuple[str, str]] = []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/customers?id_number=11010519491231002X",
        "PATH_INFO": "/api/v1/customers",
        "QUERY_STRING": "id_number=11010519491231002X",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "http://x/customers?phone=13800138000",
        "HTTP_USER_AGENT": "probe",
    }
    import datetime

    log.access(Resp(), Req(), environ, datetime.timedelta(seconds=0.01))
    log.exception("Error handling request %s", environ["RAW_URI"])
    joined = "\n".join(lines)
    assert "/api/v1/customers" in joined
    for leak in ("11010519491231002X", "13800138000"):
        assert leak not in joined


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_baomi_serve_logs_no_query_string(tmp_path: Path) -> None:
    """The real `baomi serve`, hit with a GET search and a bad URL carrying personal
    values in their query strings: its whole output (access log, request log) holds the
    paths and none of the values."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BAOMI_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        BAOMI_HOME=str(tmp_path),
        BAOMI_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        BAOMI_KEY_DIR=str(tmp_path / "keys"),
        BAOMI_WEB_WORKERS="1",
        BAOMI_WEB_THREADS="2",
    )
    baomi = str(Path(sys.executable).parent / "baomi")
    subprocess.run([baomi, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=300)
    port = _free_port()
    out = tmp_path / "serve.log"
    with out.open("wb") as fh:
        proc = subprocess.Popen(
            [baomi, "serve", "--port", str(port)], env=env, stdout=fh, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/api/v1/health", timeout=2)
                    break
                except (urllib.error.URLError, ConnectionError, OSError):
                    time.sleep(0.2)
            for path in (
                "/api/v1/customers?phone=13800138000&id_number=11010519491231002X",
                "/no-such-page/?name=%E7%8E%8B%E5%B0%8F%E6%98%8E",
            ):
                try:
                    urllib.request.urlopen(base + path, timeout=5)
                except urllib.error.HTTPError as exc:
                    assert exc.code in (401, 404)
            time.sleep(1.0)  # let the access log reach the file
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = out.read_text(errors="replace")
    assert "/api/v1/customers" in text and "/no-such-page/" in text, text[-2000:]
    for leak in ("13800138000", "11010519491231002X", "%E7%8E%8B", "王小明"):
        assert leak not in text, text[-2000:]
