"""Composition of the HTTP application: routes, middleware and the schema.

Middleware, outermost first: security headers and request id (so every response,
CORS preflights included, carries them), CORS (so refusals still carry CORS headers),
rate limits, body-size cap; then the routes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from auth.accounts import bootstrap
from auth.backoff import LoginBackoff
from core.jobs.runner import in_process_purge_interval
from core.mail import mailer
from core.services import Services
from core.settings import Settings, load_settings
from models.migrate import upgrade_database
from privacy.audit import AuditSink
from privacy.retention.schedule import PurgeSchedule
from schema.build import build_schema
from schema.extensions import schema_extensions
from server import access_log
from server.body_limit import BodySizeLimitMiddleware
from server.export_download import download_export
from server.graphiql import STATIC_DIR
from server.metrics import Metrics
from server.oauth import OAuthEndpoints
from server.privacy_page import privacy_page
from server.ratelimit import RateLimiter, RateLimitMiddleware, close_storage, make_storage
from server.readiness import healthz, readyz_endpoint
from server.security_headers import SecurityHeadersMiddleware
from server.view import LedgerlineGraphQL

RATE_LIMITED_PATHS = ("/graphql", "/oauth/authorize", "/oauth/token", "/oauth/revoke",
                      "/oauth/introspect", "/exports/")  # fmt: skip


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    migrate: bool = True,
) -> Starlette:
    settings = settings or (services.settings if services else load_settings())
    access_log.install()
    services = services or Services.from_settings(settings)
    storage = make_storage(settings.redis_url or None)
    limiter = RateLimiter(
        storage, default=settings.rate_limit_default, auth=settings.rate_limit_auth
    )
    services.extras.setdefault("rate_limiter", limiter)
    services.extras.setdefault("login_backoff", LoginBackoff(storage))
    audit_sink = services.extras.setdefault(
        "audit_sink", AuditSink(services.db, services.settings.audit_key)
    )
    purge_schedule = services.extras.setdefault(
        "purge_schedule", PurgeSchedule(services, in_process_purge_interval(settings))
    )
    schema = build_schema(
        extensions=schema_extensions(settings), field_suggestions=settings.field_suggestions
    )
    graphql_app = LedgerlineGraphQL(schema, services)
    oauth = OAuthEndpoints(services)
    metrics = services.extras.setdefault("metrics", Metrics(backlog=lambda: audit_sink.backlog))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await upgrade_database(settings)
        await services.db.verify_app_role()
        await bootstrap(services)
        audit_sink.start()
        purge_schedule.start()
        await services.jobs.start()  # stopped by services.close(), before the database
        yield
        await purge_schedule.stop()
        await audit_sink.stop()
        await mailer(services).drain()  # mail handed over before shutdown still goes out
        await close_storage(storage)
        oauth.close()
        await services.close()

    middleware = [
        Middleware(SecurityHeadersMiddleware, hsts=settings.is_production),
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=[
                "authorization",
                "content-type",
                "x-csrf-token",
                "x-request-id",
                "x-ledgerline-purpose",
            ],
            allow_credentials=True,
            max_age=600,
        ),
        Middleware(
            RateLimitMiddleware,
            limiter=limiter,
            paths=RATE_LIMITED_PATHS,
            on_refused=metrics.refused,
        ),
        Middleware(BodySizeLimitMiddleware, max_bytes=settings.limits.max_body_bytes),
    ]
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz_endpoint(services, storage, bool(settings.redis_url))),
            Route("/metrics", metrics.endpoint),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            Route("/privacy", privacy_page, methods=["GET"]),
            *oauth.routes(),
            Route("/exports/{export_id}/download", download_export, methods=["GET"]),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.schema = schema
    return app


def app_factory() -> Any:
    """Entry point for `uvicorn --factory server.app:app_factory`."""
    return create_app()
