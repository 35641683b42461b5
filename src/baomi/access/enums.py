"""Roles live in `baomi.catalog.enums` next to `Purpose` (one home); re-exported here so
`from baomi.access.enums import Role` keeps working."""

from baomi.catalog.enums import ADMIN_ROLES, AGGREGATE_ROLES, Role

# Accounts whose credential reset is itself a four-eyes request (issue #9 §2): the three
# administrators and the privacy officer, who may read every field of a customer.
PRIVILEGED_ROLES = frozenset(
    {Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.SECURITY_AUDITOR, Role.PRIVACY_OFFICER}
)

__all__ = ["ADMIN_ROLES", "AGGREGATE_ROLES", "PRIVILEGED_ROLES", "Role"]
