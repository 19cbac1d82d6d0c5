"""Closed sets as GraphQL enums, so generated client types are exact (issue 14).

Each is the Python enum the models validate against and store by value (one source);
declaring it here gives it its GraphQL name and description. Output accepts the stored
string (`"lead"` is answered as `LEAD`); input arrives as the Python enum and is turned
back into its value by `schema.operations.inputs.present`.
"""

from __future__ import annotations

import strawberry

from auth.permissions import Role
from models.activities import ActivityKind
from models.contacts import LifecycleStage

__all__ = ["ActivityKind", "LifecycleStage", "Role"]

strawberry.enum(LifecycleStage, description="Where a contact stands in the customer lifecycle.")
strawberry.enum(ActivityKind, description="What an activity is.")
strawberry.enum(Role, name="Role", description="A member's role in a tenant.")
