"""The principal is resolved in one place, inside the operation's own transaction, for
session cookies and bearer tokens alike (issue 9): one database session per request,
and a removed membership or revoked session counts from the very next request."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

import pytest

from auth.permissions import Role
from auth.sessions import CSRF_COOKIE, CSRF_HEADER
from resolvers.global_ids import encode_id
from server.seed import DEMO_PASSWORD
from tests.security.conftest import Demo

QUERY = {"query": "{ contacts(first: 1) { totalCount } }"}
LOG_IN = "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }"


async def signed_in(demo: Demo, role: Role) -> tuple[dict[str, str], dict[str, str]]:
    """(cookie-session headers, bearer headers) of one sign-in."""
    response = await demo.client.post(
        "/graphql",
        json={"query": LOG_IN, "variables": {"e": demo.email("acme", role), "p": DEMO_PASSWORD}},
    )
    token = response.json()["data"]["logIn"]["accessToken"]
    cookies = dict(demo.client.cookies)
    demo.client.cookies.clear()
    cookie_header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    browser = {"cookie": cookie_header, CSRF_HEADER: cookies[CSRF_COOKIE]}
    return browser, {"authorization": f"Bearer {token}"}


def count_sessions(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    opened: list[Any] = []
    db = demo.services.db
    real = db.session

    @asynccontextmanager
    async def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(kwargs)
        async with real(*args, **kwargs) as session:
            yield session

    monkeypatch.setattr(db, "session", counting)
    return opened


@pytest.mark.parametrize("kind", ["cookie", "bearer"])
async def test_a_request_opens_one_database_session(
    demo: Demo, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    browser, bearer = await signed_in(demo, Role.SALES)
    headers = browser if kind == "cookie" else bearer
    opened = count_sessions(demo, monkeypatch)
    response = await demo.client.post("/graphql", json=QUERY, headers=headers)
    assert response.json()["data"]["contacts"]["totalCount"] > 0
    assert len(opened) == 1


async def test_a_cookie_of_a_removed_member_is_like_no_cookie_on_the_next_request(
    demo: Demo,
) -> None:
    browser, _ = await signed_in(demo, Role.SUPPORT)
    owner = await demo.headers("acme", Role.OWNER)
    member = encode_id("Member", demo.tenants["acme"].users[Role.SUPPORT])
    removed = await demo.gql(
        "mutation($m: ID!) { removeMember(member: $m) { deletedId } }", {"m": member}, owner
    )
    assert "errors" not in removed, removed
    response = await demo.client.post("/graphql", json=QUERY, headers=browser)
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAUTHENTICATED"]
