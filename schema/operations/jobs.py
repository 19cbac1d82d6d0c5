"""Background jobs (issue 15): the workspace's admins see them queued, running, failed
or done. Read from the runner the settings chose (core/jobs)."""

from __future__ import annotations

import strawberry

from auth.permissions import Permission as P
from core.context import RequestContext
from schema.policy import guarded_field
from schema.types.jobs import BackgroundJob

MAX_JOBS = 100


@strawberry.type
class Query:
    @guarded_field(
        permission=P.MEMBERS_MANAGE,
        description="Your workspace's background jobs, newest first (at most 100).",
    )
    async def background_jobs(
        self, info: strawberry.Info[RequestContext, None], first: int = 50
    ) -> list[BackgroundJob]:
        ctx = info.context
        views = await ctx.services.jobs.jobs(ctx.tenant_id, max(1, min(first, MAX_JOBS)))
        return [
            BackgroundJob(id=strawberry.ID(v.id), name=v.name, status=v.status, attempts=v.attempts)
            for v in views
        ]
