"""The access log never records a query string (signed links, GraphQL variables)."""

from __future__ import annotations

import logging

from core.services import Services
from server import access_log


def access_record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        access_log.ACCESS_LOGGER, logging.INFO, __file__, 1,
        '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", path, "1.1", 200), None,
    )  # fmt: skip


def test_a_signed_download_link_is_logged_without_its_signature() -> None:
    record = access_record("/exports/abc/download?expires=1&sig=secret")
    access_log.DropQueryString().filter(record)
    assert (
        record.getMessage()
        == '127.0.0.1:5000 - "GET /exports/abc/download?[redacted] HTTP/1.1" 200'
    )


def test_graphql_get_variables_never_reach_the_access_log() -> None:
    record = access_record('/graphql?query={a}&variables={"email":"ada@example.com"}')
    access_log.DropQueryString().filter(record)
    assert "ada@example.com" not in record.getMessage()


def test_a_path_without_query_is_logged_as_is() -> None:
    record = access_record("/graphql")
    access_log.DropQueryString().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /graphql HTTP/1.1" 200'


def test_the_app_installs_the_filter_on_uvicorns_access_logger(services: Services) -> None:
    from server.app import create_app

    create_app(services=services, migrate=False)
    filters = logging.getLogger(access_log.ACCESS_LOGGER).filters
    assert any(isinstance(f, access_log.DropQueryString) for f in filters)
