"""Prometheus metrics (issue 14, operations): request counts and latency per operation,
redactions by reason, rate-limit refusals and the audit sink's backlog, served at
`/metrics` in the text format by `prometheus-client` (one registry per application, so
two applications in one process never share counters).

Labels never carry personal data or variable values: the operation name is the one the
client gave only when it looks like a GraphQL name, and at most MAX_OPERATIONS distinct
names are kept (then `other`), so a client cannot grow the label set without bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

MAX_OPERATIONS = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class Metrics:
    def __init__(self, backlog: Callable[[], float] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ledgerline_graphql_requests",
            "GraphQL operations executed, by operation name, kind and outcome.",
            ["operation", "kind", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ledgerline_graphql_request_seconds",
            "Time to execute one GraphQL operation, by operation name and kind.",
            ["operation", "kind"],
            registry=self.registry,
        )
        self.redactions = Counter(
            "ledgerline_redactions",
            "Values masked or redacted in responses, by reason (RedactionReason).",
            ["reason"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "ledgerline_rate_limited",
            "Requests refused by a rate limit, by where the limit applies.",
            ["limit"],
            registry=self.registry,
        )
        self.audit_backlog = Gauge(
            "ledgerline_audit_sink_backlog",
            "Audit batches waiting to be written by the audit sink.",
            registry=self.registry,
        )
        if backlog is not None:
            self.audit_backlog.set_function(backlog)
        self._operations: set[str] = set()

    def operation_label(self, name: str | None) -> str:
        if not name or not _NAME.fullmatch(name):
            return "anonymous"
        if name not in self._operations and len(self._operations) >= MAX_OPERATIONS:
            return "other"
        self._operations.add(name)
        return name

    def observe_operation(
        self,
        *,
        operation: str | None,
        kind: str,
        outcome: str,
        seconds: float,
        redactions: Iterable[Mapping[str, Any]],
    ) -> None:
        label = self.operation_label(operation)
        self.requests.labels(label, kind, outcome).inc()
        self.latency.labels(label, kind).observe(seconds)
        for entry in redactions:
            self.redactions.labels(str(entry.get("reason"))).inc()

    def refused(self, limit: str) -> None:
        self.rate_limited.labels(limit).inc()

    async def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def metrics_of(services: Any) -> Metrics | None:
    """The application's metrics (None where no application made them, e.g. unit tests)."""
    found = services.extras.get("metrics")
    return found if isinstance(found, Metrics) else None
