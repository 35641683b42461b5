"""Staff accounts (one role each, R-D2/R-D4) and opaque API tokens stored hashed."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from .enums import Role


class Staff(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        db_table = "access_staff"
        verbose_name = "staff member"

    @property
    def role_code(self) -> str:
        return str(self.role)


class ApiToken(models.Model):
    """Opaque bearer token; only its SHA-256 is stored. Expires; revocable."""

    id = models.BigAutoField(primary_key=True)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "access_api_token"
