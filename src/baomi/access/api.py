"""POST /auth/token (password login → opaque token) · DELETE /auth/token (revoke)."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from baomi.api.auth import bearer

from . import services

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = None


class TokenOut(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post("/token", response=TokenOut, auth=None)
def create_token(request: HttpRequest, body: TokenIn) -> TokenOut:
    staff = services.login(body.username, body.password)
    issued = services.issue_token(staff)
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at)


@router.delete("/token", response={204: None}, auth=bearer)
def delete_token(request: HttpRequest) -> Status[None]:
    services.revoke_token(request.staff, request.api_token)  # type: ignore[attr-defined]
    return Status(204, None)
