"""`auditChain`: is this tenant's audit log intact? (policy section 8, issue 11)

Recomputes the tenant's hash chain (privacy/audit_chain.py) and reports how many
entries verified and the first broken link. Admins and owners (AUDIT_READ); the answer
names chain positions only, never an entry's content.
"""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from privacy.audit_chain import verify_chain
from schema.policy import guarded_field, plain_field


@strawberry.type(description="The result of recomputing the tenant's audit hash chain.")
class AuditChainReport:
    verified: bool = plain_field("True when every entry's keyed hash matches and none is missing.")
    entries: int = plain_field("How many chained entries verified (before any break).")
    first_broken_entry: int | None = plain_field(
        "The chain position of the first entry that does not verify, or of the first "
        "missing one; null when verified (or when an entry was written outside the chain)."
    )
    reason: str | None = plain_field("Why the chain is broken; null when verified.")


@strawberry.type
class Query:
    @guarded_field(
        permission=P.AUDIT_READ,
        description="Verify this tenant's tamper-evident audit log: each entry's keyed "
        "hash is chained to the previous one; reports the first broken link.",
    )
    async def audit_chain(self, info: strawberry.Info[RequestContext, None]) -> AuditChainReport:
        ctx = info.context
        report = await verify_chain(ctx.db, ctx.services.settings.audit_key, ctx.tenant_id)
        return AuditChainReport(
            verified=report.verified,
            entries=report.entries,
            first_broken_entry=report.first_broken,
            reason=report.reason,
        )
