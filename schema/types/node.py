"""The Relay `Node` interface: every object with an opaque global id."""

from __future__ import annotations

import strawberry

from schema.policy import PLAIN, POLICY_KEY


@strawberry.interface(description="An object with an opaque, non-sequential global id.")
class Node:
    gid: strawberry.ID = strawberry.field(
        name="id", description="Opaque global id.", metadata={POLICY_KEY: PLAIN}
    )
