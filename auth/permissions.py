"""Roles, permissions and purposes: the one table that says who may do what, and why.

Policy section 3 (purposes) and section 4 (strict access controls): every request acts
with the permissions of its caller's role and under one purpose that role may act
under (its first by default, or one the client declares), looked up here and nowhere
else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from privacy.purposes import Purpose


class Permission(enum.Enum):
    CONTACTS_READ = "contacts:read"
    CONTACTS_READ_PII = "contacts:read_pii"
    CONTACTS_READ_MASKED_PII = "contacts:read_masked_pii"
    CONTACTS_WRITE = "contacts:write"
    CONTACTS_DELETE = "contacts:delete"
    COMPANIES_READ = "companies:read"
    COMPANIES_WRITE = "companies:write"
    DEALS_READ = "deals:read"
    DEALS_WRITE = "deals:write"
    ACTIVITIES_READ = "activities:read"
    ACTIVITIES_READ_CONTENT = "activities:read_content"
    ACTIVITIES_WRITE = "activities:write"
    CONSENT_READ = "consent:read"
    CONSENT_WRITE = "consent:write"
    PRIVACY_ADMIN = "privacy:admin"
    AUDIT_READ = "audit:read"
    MEMBERS_READ = "members:read"
    MEMBERS_READ_PII = "members:read_pii"
    MEMBERS_MANAGE = "members:manage"
    TENANT_MANAGE = "tenant:manage"
    APPS_MANAGE = "apps:manage"
    """Install, list and uninstall partner apps in the tenant (issue 12)."""


class Role(enum.Enum):
    OWNER = "owner"
    ADMIN = "admin"
    SALES = "sales"
    MARKETING = "marketing"
    SUPPORT = "support"
    READ_ONLY = "read_only"


@dataclass(frozen=True)
class RoleGrant:
    permissions: frozenset[Permission]
    purposes: tuple[Purpose, ...]
    """Every purpose the role may act under; the first is its default. A request is
    processed under one of them (auth/principal.py), never under their union."""


P = Permission
_READ_ALL = {P.CONTACTS_READ, P.COMPANIES_READ, P.DEALS_READ, P.ACTIVITIES_READ, P.MEMBERS_READ}
_ADMIN = frozenset(set(Permission) - {P.TENANT_MANAGE})

ROLE_GRANTS: dict[Role, RoleGrant] = {
    Role.OWNER: RoleGrant(frozenset(Permission), (Purpose.SALES, Purpose.SUPPORT)),
    Role.ADMIN: RoleGrant(_ADMIN, (Purpose.SALES, Purpose.SUPPORT)),
    Role.SALES: RoleGrant(
        frozenset(
            _READ_ALL
            | {
                P.CONTACTS_READ_PII,
                P.CONTACTS_WRITE,
                P.COMPANIES_WRITE,
                P.DEALS_WRITE,
                P.ACTIVITIES_READ_CONTENT,
                P.ACTIVITIES_WRITE,
                P.CONSENT_READ,
                P.CONSENT_WRITE,
            }
        ),
        (Purpose.SALES,),
    ),
    Role.MARKETING: RoleGrant(
        frozenset(
            {
                P.CONTACTS_READ,
                P.CONTACTS_READ_PII,
                P.CONTACTS_WRITE,
                P.COMPANIES_READ,
                P.MEMBERS_READ,
                P.CONSENT_READ,
                P.CONSENT_WRITE,
            }
        ),
        (Purpose.MARKETING, Purpose.ANALYTICS),
    ),
    Role.SUPPORT: RoleGrant(
        frozenset(
            _READ_ALL | {P.CONTACTS_READ_MASKED_PII, P.ACTIVITIES_READ_CONTENT, P.ACTIVITIES_WRITE}
        ),
        (Purpose.SUPPORT,),
    ),
    Role.READ_ONLY: RoleGrant(frozenset(_READ_ALL), (Purpose.ANALYTICS,)),
}


def grant_for(role: Role) -> RoleGrant:
    return ROLE_GRANTS[role]
