"""Refused: an all-powerful account outside the role model (see core.management.refused)."""

from baomi.core.management.refused import RefusedCommand


class Command(RefusedCommand):
    help = "Refused in baomi: use `baomi createstaff --username U --role ROLE` (audited)."
    name = "createsuperuser"
    because = (
        "baomi has no superuser. Create staff with `baomi createstaff --username U --role "
        "ROLE` (audited; MFA enrolment; the system_admin, security_admin and "
        "security_auditor roles are separate, R-D4)."
    )
    django_options = ("--noinput", "--no-input", "--username", "--email", "--database")
