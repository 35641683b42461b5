"""Refused: a password set around the policy's history and expiry, with no audit event
(see core.management.refused)."""

from baomi.core.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in baomi: staff change their password in the console; resets are audited."
    name = "changepassword"
    because = (
        "staff change their own password in the console (/password/) or through POST "
        "/api/v1/auth/password; a security_admin resets a forgotten one (temporary password, "
        "audited) on the staff page or through the API."
    )
    django_options = ("--database",)
