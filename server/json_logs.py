"""Structured JSON logs (issue 14, operations; policy section 8): one JSON object per
line with the time, level, logger, message and the request id of the request being
served, so a log line and the `X-Request-Id` a client quotes find each other.

Never a variable value: GraphQL variables are never logged by this service, and an
exception is written as its type and its stack frames (file, line, function) only,
never its message, which could quote an input. Chosen with `ledgerline serve
--log-format json` (the default in the production profile).
"""

from __future__ import annotations

import contextvars
import logging
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ledgerline_request_id", default=None
)
"""The id of the request being served (set by server/security_headers.py)."""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["frames"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(record.exc_info[2])
            ]
        return orjson.dumps(entry).decode()


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` (uvicorn's `log_config`): every logger, uvicorn's
    access and error logs included, writes JSON lines to stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "server.json_logs.JsonFormatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            name: {"handlers": ["default"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
