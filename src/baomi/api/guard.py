"""Refuse malformed request bodies before any view, form or library reads them (issue #9 §6).

Found as 500s: a multipart Content-Type without a boundary (`/auth/token`,
`/auth/password`: django-axes reads `request.POST` after a failed sign-in), bodies over
2.5 MB (`RequestDataTooBig` reached the API's catch-all), a lone UTF-16 surrogate in JSON
(`"\\ud800"` decodes to a str no database or log can encode). Each is now a 4xx with a
stable code — problem+json on `/api/`, a short bilingual text elsewhere:

| case | status | code |
|---|---|---|
| body over `DATA_UPLOAD_MAX_MEMORY_SIZE` (2.5 MB) | 413 | `body_too_large` |
| `Content-Length` not a number | 400 | `content_length_invalid` |
| multipart without a usable boundary | 400 | `multipart_invalid` |
| API body (not a form): not UTF-8 JSON, NaN/Infinity, nested > 32 | 400 | `body_not_json` |
| API JSON with a lone surrogate or NUL (key or value) | 400 | `body_invalid_unicode` |

Messages never echo the body (ASVS 5.0 V16.5.1) and no exception text leaves the server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.http import parse_header_parameters

API_PREFIX = "/api/"
MAX_DEPTH = 32  # JSON nesting; the deepest real body (consent in a customer) is 3
# lone surrogates cannot be encoded; NUL is refused by PostgreSQL text columns
_SURROGATE = re.compile(r"[\ud800-\udfff\x00]")
_BOUNDARY = re.compile(r"[ -~]{0,200}[!-~]")  # what Django's MultiPartParser accepts

_MESSAGES = {
    "body_too_large": ("the request body is too large", "请求体过大"),
    "content_length_invalid": ("Content-Length is not a number", "Content-Length 不是数字"),
    "multipart_invalid": (
        "multipart body without a valid boundary",
        "multipart 请求体缺少有效的 boundary",
    ),
    "body_not_json": ("the body is not valid UTF-8 JSON", "请求体不是有效的 UTF-8 JSON"),
    "body_invalid_unicode": (
        "the body contains an unpaired UTF-16 surrogate or a NUL character",
        "请求体包含不成对的 UTF-16 代理字符或 NUL 字符",
    ),
}
_STATUS = {"body_too_large": 413}


class BodyRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
        self.status = _STATUS.get(code, 400)


def _refusal(request: HttpRequest, exc: BodyRefused) -> HttpResponse:
    en, zh = _MESSAGES[exc.code]
    if request.path.startswith(API_PREFIX):
        body = {
            "type": f"https://baomi.dev/problems/{exc.code}",
            "title": en[:1].upper() + en[1:],
            "status": exc.status,
            "detail": en,
            "code": exc.code,
        }
        return HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=exc.status,
            content_type="application/problem+json",
        )
    return HttpResponse(
        f"{zh} / {en}\n", status=exc.status, content_type="text/plain; charset=utf-8"
    )


def _reject_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _depth_and_text(node: Any) -> None:
    """Walk the parsed document without recursion: nesting bound and no lone surrogate."""
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BodyRefused("body_not_json")
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise BodyRefused("body_invalid_unicode")
        elif isinstance(item, dict):
            for k, v in item.items():
                if _SURROGATE.search(k):
                    raise BodyRefused("body_invalid_unicode")
                stack.append((v, depth + 1))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def check_json(raw: bytes) -> None:
    try:
        text = raw.decode("utf-8")
        doc = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BodyRefused("body_not_json") from None
    _depth_and_text(doc)


def check_request(request: HttpRequest) -> None:
    meta = request.META
    length_raw = str(meta.get("CONTENT_LENGTH") or "").strip()
    try:
        length = int(length_raw) if length_raw else 0
    except ValueError:
        raise BodyRefused("content_length_invalid") from None
    if length < 0:
        raise BodyRefused("content_length_invalid")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        raise BodyRefused("body_too_large")
    content_type = str(meta.get("CONTENT_TYPE") or "")
    mime, params = parse_header_parameters(content_type)
    if mime.startswith("multipart/") and not _BOUNDARY.fullmatch(params.get("boundary") or ""):
        raise BodyRefused("multipart_invalid")
    if not request.path.startswith(API_PREFIX) or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    try:
        raw = request.body
    except RequestDataTooBig:
        raise BodyRefused("body_too_large") from None
    if not raw or mime.startswith("multipart/") or mime == "application/x-www-form-urlencoded":
        return  # form bodies: endpoints that take a body refuse them when parsing JSON
    check_json(raw)  # whatever ninja would parse as JSON, whatever the Content-Type says


class RequestBodyGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_request(request)
        except BodyRefused as exc:
            return _refusal(request, exc)
        return self.get_response(request)
