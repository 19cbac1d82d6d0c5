"""The access log names the path, never the query string (policy section 8).

A query string can carry a credential (an export's signed download link) or personal
data (a GraphQL GET request's variables), and uvicorn's access log would write both to
disk. The filter rewrites the logged path of every access-log record; it is installed
at startup on uvicorn's `uvicorn.access` logger, whichever runner serves the app.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"
PATH_ARG = 2
"""uvicorn's access record args: (client, method, path with query, http version, status)."""


def without_query(path: str) -> str:
    head, separator, _ = path.partition("?")
    return head + "?[redacted]" if separator else head


class DropQueryString(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > PATH_ARG:
            path = args[PATH_ARG]
            if isinstance(path, str):
                record.args = (*args[:PATH_ARG], without_query(path), *args[PATH_ARG + 1 :])
        return True


def install() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryString) for f in logger.filters):
        logger.addFilter(DropQueryString())
