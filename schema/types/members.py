"""Members: account holders inside the caller's tenant (policy section 2.1).

Account data is personal data of the member; other members see names and roles, and
only holders of MEMBERS_READ_PII (admins) see email addresses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from auth.permissions import Permission as P
from privacy.categories import DataCategory as C
from privacy.masking import MaskStrategy as M
from resolvers.rows import MemberRow
from schema.directives import Requires, TenantScoped
from schema.policy import pii_field, plain_field
from schema.types.closed_sets import Role
from schema.types.node import Node


@strawberry.type(
    description="A user's membership in this tenant.",
    directives=[TenantScoped(), Requires(permission=P.MEMBERS_READ)],
)
class Member(Node):
    display_name: str | None = pii_field(
        category=C.NAME,
        permission=P.MEMBERS_READ,
        source="display_name",
        subject_bound=False,
        description="The member's display name.",
    )
    email: str | None = pii_field(
        category=C.EMAIL,
        permission=P.MEMBERS_READ_PII,
        source="email",
        subject_bound=False,
        mask=M.PARTIAL_EMAIL,
        mask_permission=P.MEMBERS_READ,
        description="The member's sign-in email.",
    )
    role: Role = plain_field("The member's role in this tenant.")
    created_at: datetime = plain_field("When the member joined the tenant.", name="joinedAt")

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, MemberRow)
