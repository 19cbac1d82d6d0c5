"""The unit of work around one GraphQL operation.

Opens the request's tenant-scoped session, loads the tenant's cipher, executes, then
either commits or (on any error) rolls back every write, so a failed mutation writes
nothing; the audit of personal-data reads is written in the same transaction as the
writes, or in its own after a rollback. Redactions are attached to the response here,
so every exit path (query, mutation payload, node) reports them the same way.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from auth.principal import PurposeNotAllowed
from auth.sessions import AuthenticationError, credential_scope, resolve_principal
from core.context import RequestContext
from models.base import utcnow
from privacy.account_choices import gpc_signal, honour_gpc
from privacy.policy_versions import notices_of
from privacy.usage import usage_row
from schema.extensions import coded
from server.app_operations import refused_to_app
from server.metrics import metrics_of
from server.trusted_documents import untrusted

_REQUEST_ERRORS = (
    InvalidOperationTypeError,
    CannotGetOperationTypeError,
    MissingQueryError,
    AuthenticationError,
    PurposeNotAllowed,
)


log = logging.getLogger("ledgerline.errors")


async def execute_operation(
    schema: BaseSchema,
    ctx: RequestContext,
    query: str | None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    **kwargs: Any,
) -> ExecutionResult:
    try:
        return await _execute(schema, ctx, query, variables, operation_name, **kwargs)
    except _REQUEST_ERRORS:
        raise  # the view answers these with 4xx
    except Exception:
        # A failure around the resolvers (a shredded tenant key, the database gone):
        # the same masked answer as a resolver crash, the details in the log only.
        log.exception("unexpected error around the operation (request %s)", ctx.request_id)
        error = GraphQLError(
            "Unexpected error.",
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": ctx.request_id},
        )
        return ExecutionResult(data=None, errors=[error])


async def _execute(
    schema: BaseSchema,
    ctx: RequestContext,
    query: str | None,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    **kwargs: Any,
) -> ExecutionResult:
    started = time.perf_counter()
    principal = ctx.principal
    scope = (
        {"tenant_id": principal.tenant_id, "user_id": principal.user_id}
        if principal is not None
        else credential_scope(ctx.credential)
    )
    async with ctx.services.db.session(**scope) as session:
        ctx.session = session
        if principal is None and ctx.credential is not None:
            resolved = await resolve_principal(session, ctx.credential)
            if resolved is not None:
                ctx.principal = resolved
        principal = ctx.principal
        if principal is not None:
            ctx.cipher = await ctx.services.keyring.cipher(session, principal.tenant_id)
            # Sec-GPC is the person's browser speaking, never an app's server.
            speaks_for_self = principal.client_id is None
            if ctx.request is not None and speaks_for_self and gpc_signal(ctx.request.headers):
                await honour_gpc(
                    session,
                    principal,
                    ctx.request_id,
                    operation_name,
                    chain_key=ctx.services.settings.audit_key,
                )
        # a partner app: only operations its scopes govern, and its trusted documents
        refused = refused_to_app(schema, principal, query) or untrusted(principal, query)
        if refused is not None:
            result = ExecutionResult(data=None, errors=[refused])
        else:
            result = await schema.execute(
                query,
                variable_values=variables,
                context_value=ctx,
                operation_name=operation_name,
                **kwargs,
            )
        if result.errors:
            result.errors = coded(result.errors)
            await session.rollback()
            ctx.audit.actions.clear()  # changes rolled back: nothing happened to audit
        if principal is not None:
            ctx.audit.usage = usage_row(
                tenant_id=principal.tenant_id,
                user_id=principal.user_id,
                operation_name=operation_name,
                kind=ctx.operation_kind,
                duration_ms=(time.perf_counter() - started) * 1000,
                outcome="error" if result.errors else "ok",
                client_ip=ctx.client_ip,
                user_agent=ctx.user_agent,
            )
        if principal is not None and ctx.audit:
            await ctx.audit.flush(
                session, principal, ctx.request_id, operation_name,
                ctx.services.extras.get("audit_sink"),
                chain_key=ctx.services.settings.audit_key,
            )  # fmt: skip
        notice = (
            await notices_of(ctx.services).pending(session, principal.user_id, utcnow())
            if principal is not None
            else None
        )
        await session.commit()
    metrics = metrics_of(ctx.services)
    if metrics is not None:
        metrics.observe_operation(
            operation=operation_name,
            kind=ctx.operation_kind,
            outcome="error" if result.errors else "ok",
            seconds=time.perf_counter() - started,
            redactions=ctx.redactions,
        )
    if notice is not None:  # policy section 12: until the version in force is acknowledged
        extensions = dict(result.extensions or {})
        extensions["policy"] = notice.extension(ctx.services.settings.app_url)
        result.extensions = extensions
    if ctx.redactions:
        extensions = dict(result.extensions or {})
        extensions["redactions"] = ctx.redactions
        result.extensions = extensions
    return result
