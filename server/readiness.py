"""`/healthz` (liveness: the process answers) and `/readyz` (readiness: the database and,
when configured, Redis answer), for load balancers and orchestrators (issue 14). The
answers name only the component and `ok` or `unavailable`, never an error's text."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

log = logging.getLogger("ledgerline.readiness")


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def readyz_endpoint(services: Any, storage: Any, redis_configured: bool) -> Any:
    async def readyz(_request: Request) -> JSONResponse:
        checks = {"database": await _database(services)}
        if redis_configured:
            checks["redis"] = await _redis(storage)
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    return readyz


async def _database(services: Any) -> str:
    try:
        async with services.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        log.warning("readiness: the database does not answer", exc_info=True)
        return "unavailable"
    return "ok"


async def _redis(storage: Any) -> str:
    try:
        return "ok" if await storage.check() else "unavailable"
    except Exception:
        log.warning("readiness: Redis does not answer", exc_info=True)
        return "unavailable"
