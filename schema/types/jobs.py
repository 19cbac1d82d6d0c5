"""Background jobs as admins see them (issue 15): name, state, attempts. Plain fields:
a job's arguments (ids) are never shown."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.jobs.runner import JobStatus
from schema.directives import Requires, TenantScoped
from schema.policy import plain_field

strawberry.enum(JobStatus, name="JobStatus", description="Where a background job stands.")


@strawberry.type(
    description="A background job of your workspace (an export build, a purge).",
    directives=[TenantScoped(), Requires(permission=P.MEMBERS_MANAGE)],
)
class BackgroundJob:
    id: strawberry.ID = plain_field("The job's number on its queue.")
    name: str = plain_field("What it does, e.g. export.build or minors.purge.")
    status: JobStatus = plain_field("Queued, running, failed (after its retries) or done.")
    attempts: int = plain_field("Attempts so far (failed ones are retried with backoff).")
