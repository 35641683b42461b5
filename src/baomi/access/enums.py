"""Roles live in `baomi.catalog.enums` next to `Purpose` (one home); re-exported here so
`from baomi.access.enums import Role` keeps working."""

from baomi.catalog.enums import ADMIN_ROLES, AGGREGATE_ROLES, Role

__all__ = ["ADMIN_ROLES", "AGGREGATE_ROLES", "Role"]
