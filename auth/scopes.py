"""OAuth scopes of partner apps: the one table that says what each scope lets an app
do, and under which purposes (issue 12; policy sections 3 and 6).

A scope is a purpose as much as a permission: `contacts:read` lets an app read
contacts for managing the customer relationship (`sales`), `marketing:read` for
direct marketing (`marketing`). An app acting for a user never exceeds either side:
its permissions are the intersection of its scopes' and the user's role's, and it acts
under a purpose both its scopes and the role allow (auth/principal.py
`Principal.for_app`). The consent page lists, in plain words, the data categories and
purposes a set of scopes reaches: `reach` computes them from this table, the purpose
taxonomy and the data map, never from hand-written text.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from auth.permissions import Permission
from privacy.categories import DESCRIPTIONS, DataCategory
from privacy.data_map import DATA_MAP
from privacy.purposes import PURPOSES, Purpose


class Scope(enum.Enum):
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    COMPANIES_READ = "companies:read"
    DEALS_READ = "deals:read"
    ACTIVITIES_READ = "activities:read"
    MARKETING_READ = "marketing:read"
    SUPPORT_READ = "support:read"


@dataclass(frozen=True)
class ScopeGrant:
    description: str
    """What the app may do, in the words the consent page shows."""
    permissions: frozenset[Permission]
    purposes: tuple[Purpose, ...]
    """The purposes the app may act under with this scope."""
    tables: tuple[str, ...]
    """The tables (data map) whose personal data the permissions reach."""


P = Permission
SCOPE_GRANTS: dict[Scope, ScopeGrant] = {
    Scope.CONTACTS_READ: ScopeGrant(
        "read contacts and their companies",
        frozenset({P.CONTACTS_READ, P.CONTACTS_READ_PII, P.COMPANIES_READ}),
        (Purpose.SALES,),
        ("contact", "company"),
    ),
    Scope.CONTACTS_WRITE: ScopeGrant(
        "create and change contacts",
        frozenset({P.CONTACTS_READ, P.CONTACTS_WRITE}),
        (Purpose.SALES,),
        ("contact",),
    ),
    Scope.COMPANIES_READ: ScopeGrant(
        "read companies",
        frozenset({P.COMPANIES_READ}),
        (Purpose.SALES,),
        ("company",),
    ),
    Scope.DEALS_READ: ScopeGrant(
        "read deals",
        frozenset({P.DEALS_READ, P.COMPANIES_READ}),
        (Purpose.SALES,),
        ("deal",),
    ),
    Scope.ACTIVITIES_READ: ScopeGrant(
        "read activities (notes, calls, emails, meetings, tasks)",
        frozenset({P.ACTIVITIES_READ, P.ACTIVITIES_READ_CONTENT}),
        (Purpose.SALES, Purpose.SUPPORT),
        ("activity",),
    ),
    Scope.MARKETING_READ: ScopeGrant(
        "read contacts for direct marketing, with their consent",
        frozenset({P.CONTACTS_READ, P.CONTACTS_READ_PII, P.CONSENT_READ}),
        (Purpose.MARKETING,),
        ("contact",),
    ),
    Scope.SUPPORT_READ: ScopeGrant(
        "read contacts, masked, and their activities to answer requests for help",
        frozenset(
            {
                P.CONTACTS_READ,
                P.CONTACTS_READ_MASKED_PII,
                P.ACTIVITIES_READ,
                P.ACTIVITIES_READ_CONTENT,
            }
        ),  # fmt: skip
        (Purpose.SUPPORT,),
        ("contact", "activity"),
    ),
}

SCOPES_SUPPORTED: tuple[str, ...] = tuple(scope.value for scope in Scope)


def parse_scopes(text: str | None) -> tuple[Scope, ...]:
    """Space-separated scope names (RFC 6749 section 3.3), known ones only, in table
    order; unknown names are dropped (the token endpoint refuses them before)."""
    names = set((text or "").split())
    return tuple(scope for scope in Scope if scope.value in names)


def scope_text(scopes: Iterable[Scope]) -> str:
    chosen = set(scopes)
    return " ".join(scope.value for scope in Scope if scope in chosen)


def permissions_of(scopes: Iterable[Scope]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for scope in scopes:
        granted |= SCOPE_GRANTS[scope].permissions
    return frozenset(granted)


def purposes_of(scopes: Iterable[Scope]) -> tuple[Purpose, ...]:
    """The purposes the scopes act under, in the taxonomy's order."""
    chosen = {p for scope in scopes for p in SCOPE_GRANTS[scope].purposes}
    return tuple(p for p in Purpose if p in chosen)


@dataclass(frozen=True)
class Reach:
    """What a set of scopes reaches, in plain words (the consent page)."""

    abilities: tuple[str, ...]
    purposes: tuple[str, ...]
    categories: tuple[str, ...]


def categories_of(scopes: Iterable[Scope]) -> tuple[DataCategory, ...]:
    """The personal-data categories the scopes' tables hold (data map) that their
    purposes may use (purpose taxonomy)."""
    chosen = tuple(scopes)
    usable = {c for p in purposes_of(chosen) for c in PURPOSES[p].categories}
    held = {
        column.category
        for scope in chosen
        for table in SCOPE_GRANTS[scope].tables
        for column in DATA_MAP[table].columns.values()
        if column.category is not None
    }
    return tuple(c for c in DataCategory if c in held & usable)


def reach(scopes: Iterable[Scope]) -> Reach:
    chosen = tuple(scopes)
    return Reach(
        abilities=tuple(SCOPE_GRANTS[s].description for s in chosen),
        purposes=tuple(PURPOSES[p].description for p in purposes_of(chosen)),
        categories=tuple(DESCRIPTIONS[c] for c in categories_of(chosen)),
    )
