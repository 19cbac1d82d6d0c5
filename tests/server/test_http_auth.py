"""Sign-in over real HTTP: cookies, CSRF, bearer tokens and GraphQL-over-HTTP rules,
through the ASGI app with its lifespan (bootstrap) and middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from server.app import create_app

EMAIL = "linus@example.com"
PASSWORD = "penguin kernel 1991"
SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { ok } }
"""
LOG_IN = """
mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { ok accessToken }
}
"""
CREATE = """
mutation { createContact(input: {firstName: "Ada"}) { contact { id firstName } } }
"""
GRAPHQL_RESPONSE = "application/graphql-response+json"

# server/view.py imports InvalidOperationTypeError from strawberry.exceptions; in
# strawberry 0.341 it lives in strawberry.schema.exceptions, so a refused GET mutation
# surfaces as an ImportError until that import is fixed (then these pass: XPASS).


@pytest.fixture
async def app(settings):
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def account(client) -> None:
    variables = {
        "input": {
            "email": EMAIL,
            "password": PASSWORD,
            "displayName": "Linus",
            "organisationName": "Kernel Org",
            "dateOfBirth": "1969-12-28",
            "acceptPrivacyPolicy": True,
        }
    }
    response = await client.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    assert response.json() == {"data": {"signUp": {"ok": True}}}
    client.cookies.clear()


async def log_in(client) -> httpx.Response:
    variables = {"email": EMAIL, "password": PASSWORD}
    return await client.post("/graphql", json={"query": LOG_IN, "variables": variables})


def cookie_headers(response: httpx.Response) -> dict[str, list[str]]:
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0]
        found[name] = [part.strip().lower() for part in header.split(";")[1:]]
    return found


async def contact_count(app) -> int:
    async with app.state.services.db.session(None) as session:
        session.info["allow_text_sql"] = True
        return (await session.execute(text("SELECT count(*) FROM contact"))).scalar_one()


async def test_log_in_sets_an_httponly_lax_session_cookie_and_a_readable_csrf_cookie(
    client, account
):
    response = await log_in(client)
    assert response.status_code == 200
    assert response.json()["data"]["logIn"]["ok"] is True
    cookies = cookie_headers(response)
    session, csrf = cookies["ll_session"], cookies["ll_csrf"]
    assert "httponly" in session
    assert "samesite=lax" in session
    assert "path=/" in session
    assert "httponly" not in csrf
    assert "samesite=strict" in csrf
    assert "secure" not in session  # secure_cookies is off in development


async def test_cookie_authenticated_post_without_csrf_header_is_refused_and_writes_nothing(
    app, client, account
):
    await log_in(client)
    before = await contact_count(app)
    response = await client.post("/graphql", json={"query": CREATE})
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"] == {"code": "CSRF_TOKEN_INVALID"}
    assert await contact_count(app) == before


async def test_cookie_authenticated_post_with_a_wrong_csrf_header_is_refused(app, client, account):
    await log_in(client)
    before = await contact_count(app)
    response = await client.post(
        "/graphql", json={"query": CREATE}, headers={"x-csrf-token": "forged"}
    )
    assert response.status_code == 403
    assert await contact_count(app) == before


async def test_cookie_authenticated_post_with_csrf_header_works(app, client, account):
    await log_in(client)
    csrf = client.cookies["ll_csrf"]
    response = await client.post("/graphql", json={"query": CREATE}, headers={"x-csrf-token": csrf})
    assert response.status_code == 200
    assert response.json()["data"]["createContact"]["contact"]["firstName"] == "Ada"
    assert await contact_count(app) == 1


async def test_log_out_clears_the_cookies_and_ends_the_session(client, account):
    await log_in(client)
    csrf = client.cookies["ll_csrf"]
    session = client.cookies["ll_session"]
    response = await client.post(
        "/graphql", json={"query": "mutation { logOut { ok } }"}, headers={"x-csrf-token": csrf}
    )
    assert response.json() == {"data": {"logOut": {"ok": True}}}
    assert "ll_session" not in client.cookies
    client.cookies.set("ll_session", session)
    me = await client.get("/graphql", params={"query": "{ me { email } }"})
    assert me.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bearer_token_works(client, account):
    token = (await log_in(client)).json()["data"]["logIn"]["accessToken"]
    client.cookies.clear()
    response = await client.post(
        "/graphql",
        json={"query": "{ me { email role } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"email": EMAIL, "role": "OWNER"}}}


async def test_bearer_mutation_needs_no_csrf_header(app, client, account):
    token = (await log_in(client)).json()["data"]["logIn"]["accessToken"]
    client.cookies.clear()
    response = await client.post(
        "/graphql", json={"query": CREATE}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.json()["data"]["createContact"]["contact"]["firstName"] == "Ada"


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer "])
async def test_an_invalid_bearer_token_is_401_unauthenticated(client, header):
    response = await client.post(
        "/graphql", json={"query": "{ me { email } }"}, headers={"authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_post_with_text_plain_is_415(client):
    response = await client.post(
        "/graphql",
        content='{"query": "{ me { email } }"}',
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"] == {"code": "UNSUPPORTED_MEDIA_TYPE"}


async def test_a_mutation_over_get_is_refused_and_writes_nothing(app, client, account):
    token = (await log_in(client)).json()["data"]["logIn"]["accessToken"]
    client.cookies.clear()
    response = await client.get(
        "/graphql", params={"query": CREATE}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 405
    assert await contact_count(app) == 0


async def test_log_in_over_get_is_refused(client, account):
    response = await client.get(
        "/graphql",
        params={"query": 'mutation { logIn(email: "linus@example.com", password: "x") { ok } }'},
    )
    assert response.status_code == 405
    assert "set-cookie" not in response.headers


async def test_graphql_response_media_type_when_accepted(client):
    response = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_application_json_when_only_that_is_accepted(client):
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": "application/json"}
    )
    assert response.headers["content-type"].startswith("application/json")


async def test_wrong_password_over_http_is_invalid_credentials_without_cookies(client, account):
    response = await client.post(
        "/graphql",
        json={"query": LOG_IN, "variables": {"email": EMAIL, "password": "wrong password!!"}},
    )
    assert response.json()["errors"][0]["extensions"] == {"code": "INVALID_CREDENTIALS"}
    assert "set-cookie" not in response.headers
