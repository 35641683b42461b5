"""Bearer-token authentication for the API (opaque tokens, stored hashed)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from baomi.access.services import staff_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        staff = staff_for_token(token)
        if staff is not None:
            request.staff = staff  # type: ignore[attr-defined]
            request.api_token = token  # type: ignore[attr-defined]
        return staff


bearer = TokenAuth()


def purpose_header(request: HttpRequest) -> str | None:
    return request.headers.get("X-Purpose")
