"""Usage data (policy section 2.3): who called which operation, when, how long it took
and how it ended, with the IP truncated and the user agent shortened. Variables and
response data are never recorded.

The rows are written behind the request, in batches, with the read audit
(privacy.audit.AuditSink, drained at shutdown), by one array insert per batch.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, OperationDefinitionNode

from models.audit import UsageEvent
from models.base import utcnow
from models.db import ArrayInsert

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def truncate_ip(ip: str | None) -> str | None:
    """IPv4 to its /24, IPv6 to its /48 (R2.3.2): enough for abuse statistics, not a
    person's connection."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def operation_type(document: DocumentNode | None, operation_name: str | None) -> str:
    if document is None:
        return "unknown"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None
            or (definition.name is not None and definition.name.value == operation_name)
        ):
            return definition.operation.value
    return "unknown"


def usage_row(
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    operation_name: str | None,
    kind: str,
    duration_ms: float,
    outcome: str,
    client_ip: str | None,
    user_agent: str | None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "user_id": user_id,
        "operation_name": (operation_name or "")[:200] or None,
        "operation_type": kind,
        "duration_ms": round(duration_ms, 3),
        "outcome": outcome,
        "ip_truncated": truncate_ip(client_ip),
        "user_agent": (user_agent or "")[:256] or None,
        "occurred_at": utcnow(),
    }


_USAGE_INSERT = ArrayInsert(
    UsageEvent,
    (("id", "uuid"), ("tenant_id", "uuid"), ("user_id", "uuid"), ("operation_name", "text"),
     ("operation_type", "text"), ("duration_ms", "float8"), ("outcome", "text"),
     ("ip_truncated", "text"), ("user_agent", "text"), ("occurred_at", "timestamptz")),
)  # fmt: skip


async def write_usage(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """A batch of usage rows (`usage_row`), one statement whatever their number."""
    await _USAGE_INSERT.write(session, rows)
