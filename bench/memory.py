"""Peak resident memory of one W1 request, in a process that runs nothing else.

Run as `python -m bench.memory MANIFEST_JSON` with the bench environment set. Warm-up
is the same operation with a 5-row page (engine, pool, cipher, schema all initialised);
then the kernel's peak-RSS mark is reset (/proc/self/clear_refs) and W1 runs once:
`growth_mb` is its peak RSS over the RSS before it. After two more W1 requests the same
is measured again (`steady_growth_mb`: CPython keeps freed arenas, so this is ~0).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import uuid
from pathlib import Path

import orjson


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


async def main(manifest_json: str) -> dict[str, float]:
    from auth.permissions import Role
    from auth.principal import Principal
    from bench import config
    from bench.harness import response_bytes
    from bench.seeding import Manifest
    from core.context import RequestContext
    from core.services import Services
    from core.settings import load_settings
    from schema.build import build_schema
    from schema.extensions import schema_extensions
    from server.execution import execute_operation

    manifest = Manifest.load(manifest_json)
    settings = load_settings()
    services = Services.from_settings(settings)
    schema = build_schema(extensions=schema_extensions(settings))
    principal = Principal.for_role(
        manifest.user_id("sales"), manifest.tenant_id(0), Role.SALES, "bearer", uuid.uuid4()
    )

    async def once(query: str = config.W1) -> bytes:
        ctx = RequestContext(services=services, principal=principal)
        return response_bytes(await execute_operation(schema, ctx, query))

    def reset() -> int:
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        return _status_kb("VmRSS")

    for _ in range(2):
        await once(config.W1.replace("first: 1000", "first: 5"))
    before = reset()
    body = await once()
    peak = _status_kb("VmHWM")
    await once()
    steady_before = reset()
    await once()
    steady_peak = _status_kb("VmHWM")
    await services.close()
    return {
        "rss_before_mb": before / 1024,
        "peak_rss_mb": peak / 1024,
        "growth_mb": (peak - before) / 1024,
        "steady_growth_mb": (steady_peak - steady_before) / 1024,
        "response_bytes": len(body),
    }


if __name__ == "__main__":
    sys.stdout.write(orjson.dumps(asyncio.run(main(sys.argv[1]))).decode() + "\n")
