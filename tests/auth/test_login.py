"""logIn, refreshToken, switchTenant, logOut and me, run as the HTTP view runs them."""

from __future__ import annotations

import json

import pytest
from limits.aio.storage import MemoryStorage
from sqlalchemy import select, text

from auth.accounts import add_membership
from auth.backoff import LoginBackoff
from auth.permissions import Role, grant_for
from auth.sessions import AuthenticationError, principal_from_bearer
from models import User
from resolvers.global_ids import encode_id

EMAIL = "grace@example.com"
PASSWORD = "cobol compiler 1959"

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { ok } }
"""
LOG_IN = """
mutation($email: String!, $password: String!, $tenant: ID) {
  logIn(email: $email, password: $password, tenant: $tenant) {
    ok accessToken refreshToken expiresIn
    tenant { id name }
    me { email role currentTenant { id } memberships { tenant { id } role } }
  }
}
"""
REFRESH = """
mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }
"""
SWITCH = """
mutation($tenant: ID!) { switchTenant(tenant: $tenant) { accessToken tenant { id } me { role } } }
"""
ME = """
{ me { id email displayName birthYear policyVersion role permissions purposes
       currentTenant { id } memberships { tenant { id } role } } }
"""


async def sign_up(runner, email=EMAIL, organisation="Navy Labs") -> str:
    """A new account and its tenant; signUp hands out no credentials, so the id of the
    tenant comes from signing in with logIn, as a client does."""
    result = await runner(
        None,
        SIGN_UP,
        {
            "input": {
                "email": email,
                "password": PASSWORD,
                "displayName": "Grace Hopper",
                "organisationName": organisation,
                "dateOfBirth": "1986-12-09",
                "acceptPrivacyPolicy": True,
            }
        },
    )
    assert result.errors is None, result.errors
    signed_in = await log_in(runner, email)
    assert signed_in.errors is None, signed_in.errors
    return signed_in.data["logIn"]["tenant"]["id"]


async def log_in(runner, email=EMAIL, password=PASSWORD, tenant=None):
    return await runner(None, LOG_IN, {"email": email, "password": password, "tenant": tenant})


def error_bytes(result) -> bytes:
    return json.dumps([e.formatted for e in result.errors], sort_keys=True).encode()


@pytest.fixture
def backoff(services) -> LoginBackoff:
    backoff = LoginBackoff(MemoryStorage())
    services.extras["login_backoff"] = backoff
    return backoff


async def join(services, email, tenant_id, role: Role) -> None:
    cipher = await services.keyring.platform_cipher(services.db)
    async with services.db.session(None) as session:
        index = cipher.blind_index(email)
        user_id = (
            await session.execute(select(User.id).where(User.email_bidx == index))
        ).scalar_one()
    async with services.db.session(tenant_id) as session:
        await add_membership(session, tenant_id, user_id, role)
        await session.commit()


async def session_count(services) -> int:
    async with services.db.session(None) as session:
        session.info["allow_text_sql"] = True
        return (await session.execute(text("SELECT count(*) FROM auth_session"))).scalar_one()


# --- log-in ------------------------------------------------------------------------


async def test_log_in_returns_an_access_token_that_verifies(runner, services):
    tenant = await sign_up(runner)
    result = await log_in(runner)
    assert result.errors is None, result.errors
    payload = result.data["logIn"]
    assert payload["ok"] is True
    assert payload["expiresIn"] == services.settings.access_token_ttl_s
    assert payload["tenant"]["id"] == tenant
    principal = await principal_from_bearer(services, payload["accessToken"])
    assert principal.role is Role.OWNER
    assert encode_id("Tenant", principal.tenant_id) == tenant


async def test_log_in_shows_the_callers_own_account(runner):
    await sign_up(runner)
    me = (await log_in(runner)).data["logIn"]["me"]
    assert me["email"] == EMAIL
    assert me["role"] == "OWNER"


async def test_log_in_records_the_last_login_time(runner, services):
    await sign_up(runner)
    await log_in(runner)
    async with services.db.session(None) as session:
        user = (await session.execute(select(User))).scalars().one()
    assert user.last_login_at is not None


async def test_log_in_email_is_case_insensitive(runner):
    await sign_up(runner)
    result = await log_in(runner, email="GRACE@Example.com")
    assert result.errors is None, result.errors


async def test_wrong_password_and_unknown_email_give_byte_identical_errors(runner):
    await sign_up(runner)
    wrong = await log_in(runner, password="not the password at all")
    unknown = await log_in(runner, email="nobody@example.com")
    assert wrong.errors[0].extensions == {"code": "INVALID_CREDENTIALS"}
    assert error_bytes(wrong) == error_bytes(unknown)


async def test_failed_log_in_opens_no_session(runner, services):
    await sign_up(runner)
    before = await session_count(services)
    await log_in(runner, password="not the password at all")
    await log_in(runner, email="nobody@example.com")
    assert await session_count(services) == before


@pytest.mark.parametrize("email", [EMAIL, "nobody@example.com"], ids=["known", "unknown"])
async def test_repeated_failures_back_off_with_retry_after(runner, backoff, email):
    await sign_up(runner)
    for _ in range(backoff.email_policy.free_failures + 1):
        failed = await log_in(runner, email=email, password="wrong password here")
        assert failed.errors[0].extensions["code"] == "INVALID_CREDENTIALS"
    refused = await log_in(runner, email=email, password="wrong password here")
    assert refused.errors[0].extensions == {"code": "RATE_LIMITED", "retryAfter": 1}


async def test_backoff_refuses_even_the_right_password_while_waiting(runner, backoff, services):
    await sign_up(runner)
    for _ in range(backoff.email_policy.free_failures + 1):
        await log_in(runner, password="wrong password here")
    before = await session_count(services)
    refused = await log_in(runner)
    assert refused.errors[0].extensions["code"] == "RATE_LIMITED"
    assert await session_count(services) == before


async def test_backoff_answers_known_and_unknown_emails_identically(runner, backoff):
    await sign_up(runner)
    answers = []
    for email in (EMAIL, "nobody@example.com"):
        for _ in range(backoff.email_policy.free_failures + 1):
            await log_in(runner, email=email, password="wrong password here")
        answers.append(error_bytes(await log_in(runner, email=email, password="x" * 12)))
    assert answers[0] == answers[1]


async def test_log_in_uses_the_oldest_membership_by_default(runner, services, tenant_b):
    first = await sign_up(runner)
    await join(services, EMAIL, tenant_b.tenant_id, Role.SALES)
    result = await log_in(runner)
    assert result.data["logIn"]["tenant"]["id"] == first
    assert result.data["logIn"]["me"]["role"] == "OWNER"


async def test_log_in_to_a_chosen_membership(runner, services, tenant_b):
    await sign_up(runner)
    await join(services, EMAIL, tenant_b.tenant_id, Role.SALES)
    chosen = encode_id("Tenant", tenant_b.tenant_id)
    result = await log_in(runner, tenant=chosen)
    assert result.errors is None, result.errors
    assert result.data["logIn"]["tenant"]["id"] == chosen
    assert result.data["logIn"]["me"]["role"] == "SALES"


async def test_log_in_to_a_foreign_tenant_is_not_found_like_a_missing_one(runner, tenant_b):
    await sign_up(runner)
    foreign = await log_in(runner, tenant=encode_id("Tenant", tenant_b.tenant_id))
    missing = await log_in(runner, tenant="bm90LWEtdGVuYW50")
    assert foreign.errors[0].extensions == {"code": "NOT_FOUND"}
    assert error_bytes(foreign) == error_bytes(missing)


# --- tenant switch -----------------------------------------------------------------


async def test_switch_tenant_to_a_second_membership(runner, services, tenant_b):
    await sign_up(runner)
    await join(services, EMAIL, tenant_b.tenant_id, Role.SUPPORT)
    token = (await log_in(runner)).data["logIn"]["accessToken"]
    principal = await principal_from_bearer(services, token)
    target = encode_id("Tenant", tenant_b.tenant_id)
    result = await runner(principal, SWITCH, {"tenant": target})
    assert result.errors is None, result.errors
    assert result.data["switchTenant"]["tenant"]["id"] == target
    assert result.data["switchTenant"]["me"]["role"] == "SUPPORT"
    switched = await principal_from_bearer(services, result.data["switchTenant"]["accessToken"])
    assert switched.tenant_id == tenant_b.tenant_id
    assert switched.role is Role.SUPPORT


async def test_switch_to_a_foreign_tenant_is_not_found_like_a_missing_one(
    runner, services, tenant_b
):
    await sign_up(runner)
    token = (await log_in(runner)).data["logIn"]["accessToken"]
    principal = await principal_from_bearer(services, token)
    before = await session_count(services)
    foreign = await runner(principal, SWITCH, {"tenant": encode_id("Tenant", tenant_b.tenant_id)})
    missing = await runner(principal, SWITCH, {"tenant": "garbage"})
    assert foreign.errors[0].extensions == {"code": "NOT_FOUND"}
    assert error_bytes(foreign) == error_bytes(missing)
    assert await session_count(services) == before


async def test_switch_tenant_needs_a_signed_in_caller(runner, tenant_b):
    result = await runner(None, SWITCH, {"tenant": encode_id("Tenant", tenant_b.tenant_id)})
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}


# --- refresh tokens ----------------------------------------------------------------


async def test_refresh_rotates_both_tokens(runner, services):
    await sign_up(runner)
    first = (await log_in(runner)).data["logIn"]
    result = await runner(None, REFRESH, {"token": first["refreshToken"]})
    assert result.errors is None, result.errors
    rotated = result.data["refreshToken"]
    assert rotated["refreshToken"] != first["refreshToken"]
    principal = await principal_from_bearer(services, rotated["accessToken"])
    assert principal.role is Role.OWNER


async def test_a_spent_refresh_token_is_refused(runner):
    await sign_up(runner)
    first = (await log_in(runner)).data["logIn"]
    await runner(None, REFRESH, {"token": first["refreshToken"]})
    reused = await runner(None, REFRESH, {"token": first["refreshToken"]})
    assert reused.errors[0].extensions == {"code": "UNAUTHENTICATED"}


async def test_refresh_token_reuse_revokes_the_rotated_family(runner, services):
    await sign_up(runner)
    first = (await log_in(runner)).data["logIn"]
    rotated = (await runner(None, REFRESH, {"token": first["refreshToken"]})).data["refreshToken"]
    await runner(None, REFRESH, {"token": first["refreshToken"]})  # reuse
    after_reuse = await runner(None, REFRESH, {"token": rotated["refreshToken"]})
    assert after_reuse.errors[0].extensions == {"code": "UNAUTHENTICATED"}
    with pytest.raises(AuthenticationError):
        await principal_from_bearer(services, rotated["accessToken"])


async def test_an_unknown_refresh_token_is_refused(runner):
    result = await runner(None, REFRESH, {"token": "made-up"})
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}


# --- log-out -----------------------------------------------------------------------


async def test_log_out_revokes_the_session_and_its_token(runner, services):
    await sign_up(runner)
    payload = (await log_in(runner)).data["logIn"]
    principal = await principal_from_bearer(services, payload["accessToken"])
    result = await runner(principal, "mutation { logOut { ok } }")
    assert result.data == {"logOut": {"ok": True}}
    with pytest.raises(AuthenticationError):
        await principal_from_bearer(services, payload["accessToken"])
    refused = await runner(None, REFRESH, {"token": payload["refreshToken"]})
    assert refused.errors[0].extensions == {"code": "UNAUTHENTICATED"}


# --- me ----------------------------------------------------------------------------


async def test_me_needs_a_signed_in_caller(runner):
    result = await runner(None, ME)
    assert result.errors[0].extensions == {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
async def test_me_shows_every_role_its_own_data_unredacted(runner, tenant_a, role):
    result = await runner(tenant_a.principal(role), ME)
    assert result.errors is None, result.errors
    assert "redactions" not in (result.extensions or {})
    me = result.data["me"]
    assert me["email"].startswith(f"{role.value}.")
    assert me["displayName"] == f"{role.value} user"
    assert me["birthYear"] == 1980
    assert me["id"] == encode_id("Member", tenant_a.users[role])
    assert me["role"] == role.name
    assert me["currentTenant"]["id"] == encode_id("Tenant", tenant_a.tenant_id)
    grant = grant_for(role)
    assert sorted(me["permissions"]) == sorted(p.name for p in grant.permissions)
    assert me["purposes"] == [p.name for p in grant.purposes]
    assert me["memberships"] == [
        {"tenant": {"id": encode_id("Tenant", tenant_a.tenant_id)}, "role": role.name}
    ]
