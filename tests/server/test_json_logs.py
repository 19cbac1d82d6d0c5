"""Structured JSON logs (issue 14): one JSON object per line with the request id of the
request being served, and exceptions by type and frames only (never a message that
could quote an input)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.settings import Settings
from server.app import create_app
from server.json_logs import REQUEST_ID, JsonFormatter, log_config

CANARY = "Cnry5q9Zvalue"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def lines() -> Iterator[list[str]]:
    handler = Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def record(message: str, exc_info: Any = None) -> logging.LogRecord:
    return logging.LogRecord("ledgerline.test", logging.ERROR, __file__, 1, message, (), exc_info)


def test_a_log_line_is_one_json_object_with_the_request_id() -> None:
    token = REQUEST_ID.set("req-42")
    try:
        line = JsonFormatter().format(record("something happened"))
    finally:
        REQUEST_ID.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert {k: entry[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "ERROR",
        "logger": "ledgerline.test",
        "message": "something happened",
        "request_id": "req-42",
    }


def test_an_exception_is_logged_by_type_and_frames_never_its_message() -> None:
    try:
        raise ValueError(f"bad input {CANARY}")
    except ValueError:
        line = JsonFormatter().format(record("failed", sys.exc_info()))
    entry = json.loads(line)
    assert entry["exception"] == "ValueError"
    assert entry["frames"] and "test_json_logs.py" in entry["frames"][0]
    assert CANARY not in line


def test_uvicorn_logs_through_the_json_formatter() -> None:
    config = log_config()
    assert config["formatters"]["json"]["()"] == "server.json_logs.JsonFormatter"
    assert set(config["loggers"]) == {"uvicorn", "uvicorn.error", "uvicorn.access"}


async def test_a_line_logged_while_serving_carries_that_requests_id(
    settings: Settings, lines: list[str]
) -> None:
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        db = app.state.services.db

        class Unreachable:
            def connect(self) -> Any:
                raise OSError("connection refused")

        engine, db.engine = db.engine, Unreachable()  # readiness logs a warning
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.get("/readyz", headers={"x-request-id": "probe-7"})
        finally:
            db.engine = engine
    assert response.headers["x-request-id"] == "probe-7"
    warnings = [json.loads(line) for line in lines if "readiness" in line]
    assert warnings and all(entry["request_id"] == "probe-7" for entry in warnings)


async def test_variables_never_reach_the_log(settings: Settings, lines: list[str]) -> None:
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.post(
                "/graphql",
                json={
                    "query": "mutation($e: String!, $p: String!) "
                    "{ logIn(email: $e, password: $p) { ok } }",
                    "variables": {"e": f"{CANARY}@example.com", "p": CANARY},
                },
            )
    assert lines, "the request logged nothing at all"
    assert not [line for line in lines if CANARY in line]
