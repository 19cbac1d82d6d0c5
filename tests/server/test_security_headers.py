"""Security response headers and request ids (policy section 8, data security)."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from server.security_headers import HSTS_VALUE, SecurityHeadersMiddleware

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PAGE_CSP = "default-src 'self'; script-src 'self'"
EXPECTED = {
    "content-security-policy": API_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


async def graphql(request: Request) -> Response:
    return JSONResponse({"requestId": request.state.request_id})


async def graphiql(request: Request) -> Response:
    return HTMLResponse("<html></html>", headers={"Content-Security-Policy": PAGE_CSP})


APP = Starlette(routes=[Route("/graphql", graphql), Route("/graphiql", graphiql)])


def client_for(*, hsts: bool = False, base_url: str = "http://testserver") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=SecurityHeadersMiddleware(APP, hsts=hsts))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def test_security_headers_on_200_response() -> None:
    async with client_for() as client:
        response = await client.get("/graphql")
    assert response.status_code == 200
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED


async def test_security_headers_on_404_response() -> None:
    async with client_for() as client:
        response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED


async def test_app_set_csp_is_not_overwritten() -> None:
    async with client_for() as client:
        response = await client.get("/graphiql")
    assert response.headers.get_list("content-security-policy") == [PAGE_CSP]
    assert response.headers["x-frame-options"] == "DENY"


async def test_no_hsts_over_plain_http() -> None:
    async with client_for() as client:
        response = await client.get("/graphql")
    assert "strict-transport-security" not in response.headers


async def test_hsts_over_https() -> None:
    async with client_for(base_url="https://testserver") as client:
        response = await client.get("/graphql")
    assert response.headers["strict-transport-security"] == HSTS_VALUE


async def test_hsts_when_enabled_behind_a_tls_proxy() -> None:
    async with client_for(hsts=True) as client:
        response = await client.get("/graphql")
    assert response.headers["strict-transport-security"] == HSTS_VALUE


async def test_incoming_request_id_is_propagated_to_app_and_response() -> None:
    async with client_for() as client:
        response = await client.get("/graphql", headers={"X-Request-ID": "edge-1234-abcd"})
    assert response.headers["x-request-id"] == "edge-1234-abcd"
    assert response.json() == {"requestId": "edge-1234-abcd"}


async def test_request_id_is_generated_when_missing() -> None:
    async with client_for() as client:
        response = await client.get("/graphql")
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.json() == {"requestId": request_id}


async def test_malformed_request_id_is_replaced() -> None:
    async with client_for() as client:
        injected = await client.get("/graphql", headers={"X-Request-ID": "a b\tforged log line"})
        too_long = await client.get("/graphql", headers={"X-Request-ID": "a" * 65})
    for response in (injected, too_long):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
