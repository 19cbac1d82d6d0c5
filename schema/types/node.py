"""The Relay `Node` interface: every object with an opaque global id."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with an opaque, non-sequential global id.")
class Node:
    gid: strawberry.ID = strawberry.field(name="id", description="Opaque global id.")
