"""`clientStorage`: every cookie and client-side storage item the service uses (policy
section 7), listed by the API itself so the list cannot drift from the code."""

from __future__ import annotations

import strawberry

from auth.sessions import CSRF_COOKIE, SESSION_COOKIE


@strawberry.type(description="A cookie or browser storage item the service sets or reads.")
class ClientStorageItem:
    name: str
    kind: str = strawberry.field(description="cookie, localStorage or sessionStorage.")
    purpose: str
    lifetime: str
    strictly_necessary: bool
    http_only: bool
    third_party: bool


ITEMS = (
    ClientStorageItem(
        name=SESSION_COOKIE,
        kind="cookie",
        purpose="Keeps a browser signed in; the server stores only a hash of it.",
        lifetime="12 hours or until log-out",
        strictly_necessary=True,
        http_only=True,
        third_party=False,
    ),
    ClientStorageItem(
        name=CSRF_COOKIE,
        kind="cookie",
        purpose="Double-submit token bound to the session, sent back as X-CSRF-Token.",
        lifetime="as the session",
        strictly_necessary=True,
        http_only=False,
        third_party=False,
    ),
)


def client_storage_items() -> tuple[str, ...]:
    """Section 7's list in the policy text: one sentence per item."""
    return tuple(
        f"{item.name} ({item.kind}, "
        f"{'strictly necessary' if item.strictly_necessary else 'optional'}, "
        f"{'third-party' if item.third_party else 'first-party'}): {item.purpose} "
        f"Kept {item.lifetime}."
        for item in ITEMS
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Every cookie and client-side storage item the service uses. GraphiQL "
        "keeps its tabs, history and any pasted token in memory only."
    )
    def client_storage(self) -> list[ClientStorageItem]:
        return list(ITEMS)
