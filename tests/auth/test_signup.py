"""signUp: a tenant, its owner and the policy acceptance in one transaction; every
refusal leaves the database exactly as it was (policy sections 2.1, 8, 10, 12). The
answer carries no credentials: the new owner signs in with logIn."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from auth.accounts import CURRENT_POLICY_VERSION
from auth.sign_up import SIGN_UP_MESSAGE
from models import PolicyAcceptance, User

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { ok message } }
"""
LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) {
    accessToken
    tenant { id name slug region }
    me { email displayName birthYear policyVersion role currentTenant { name } }
  }
}
"""

TABLES = ("tenant", "app_user", "membership", "policy_acceptance", "consent_event", "auth_session")


async def counts(services) -> dict[str, int]:
    async with services.db.session(None) as session:
        session.info["allow_text_sql"] = True
        return {
            t: (await session.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
            for t in TABLES
        }


def years_ago(years: int, today: date | None = None) -> date:
    today = today or date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def sign_up_input(**overrides) -> dict:
    values = {
        "email": "Ada.Lovelace@example.com",
        "password": "analytical engine 1843",
        "displayName": "Ada Lovelace",
        "organisationName": "Difference Ltd",
        "dateOfBirth": "1990-12-10",
        "acceptPrivacyPolicy": True,
    }
    values.update(overrides)
    return values


async def log_in(runner, email="Ada.Lovelace@example.com", password="analytical engine 1843"):
    result = await runner(None, LOG_IN, {"email": email, "password": password})
    assert result.errors is None, result.errors
    return result.data["logIn"]


async def test_sign_up_creates_tenant_owner_and_policy_acceptance(runner, services):
    before = await counts(services)
    result = await runner(None, SIGN_UP, {"input": sign_up_input(region="us")})
    assert result.errors is None, result.errors
    assert result.data["signUp"]["ok"] is True
    after = await counts(services)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "tenant": 1,
        "app_user": 1,
        "membership": 1,
        "policy_acceptance": 1,
        "consent_event": 0,
        "auth_session": 0,  # no credentials: the owner signs in with logIn
    }
    payload = await log_in(runner)
    assert payload["tenant"]["name"] == "Difference Ltd"
    assert payload["tenant"]["slug"] == "difference-ltd"
    assert payload["tenant"]["region"] == "us"
    assert payload["me"] == {
        "email": "Ada.Lovelace@example.com",
        "displayName": "Ada Lovelace",
        "birthYear": 1990,
        "policyVersion": CURRENT_POLICY_VERSION,
        "role": "OWNER",
        "currentTenant": {"name": "Difference Ltd"},
    }


async def test_sign_up_answers_ok_without_credentials(runner, services):
    result = await runner(None, SIGN_UP, {"input": sign_up_input()})
    assert result.errors is None, result.errors
    assert result.data == {"signUp": {"ok": True, "message": SIGN_UP_MESSAGE}}


async def test_the_new_owner_signs_in_with_log_in_and_gets_a_verifiable_token(runner, services):
    await runner(None, SIGN_UP, {"input": sign_up_input()})
    claims = services.tokens.verify((await log_in(runner))["accessToken"])
    assert claims.role == "owner"


async def test_sign_up_stores_the_birth_year_only_and_the_email_encrypted(runner, services):
    await runner(None, SIGN_UP, {"input": sign_up_input(dateOfBirth="1990-12-10")})
    async with services.db.session(None) as session:
        user = (await session.execute(select(User))).scalars().one()
        acceptance = (await session.execute(select(PolicyAcceptance))).scalars().one()
    assert user.birth_year == 1990
    assert b"Lovelace" not in user.email_enc
    assert "1990-12-10" not in repr(user.__dict__)
    assert "12-10" not in repr(user.__dict__)
    assert acceptance.user_id == user.id
    assert acceptance.version == CURRENT_POLICY_VERSION
    assert acceptance.method == "signup_checkbox"


async def test_sign_up_under_18_is_refused_and_nothing_is_stored(runner, services):
    before = await counts(services)
    day_before_18th = years_ago(18).toordinal() + 1
    born = date.fromordinal(day_before_18th)
    result = await runner(None, SIGN_UP, {"input": sign_up_input(dateOfBirth=born.isoformat())})
    assert result.data is None
    assert result.errors[0].extensions["code"] == "AGE_REQUIREMENT_NOT_MET"
    assert await counts(services) == before


async def test_sign_up_of_a_child_is_refused_and_nothing_is_stored(runner, services):
    before = await counts(services)
    result = await runner(
        None, SIGN_UP, {"input": sign_up_input(dateOfBirth=years_ago(12).isoformat())}
    )
    assert result.errors[0].extensions["code"] == "AGE_REQUIREMENT_NOT_MET"
    assert await counts(services) == before


async def test_sign_up_on_the_18th_birthday_is_accepted(runner, services):
    born = years_ago(18)
    result = await runner(None, SIGN_UP, {"input": sign_up_input(dateOfBirth=born.isoformat())})
    assert result.errors is None, result.errors
    assert (await log_in(runner))["me"]["birthYear"] == born.year


@pytest.mark.parametrize(
    "password",
    [
        "short1!",  # too short
        "ada.lovelace@example.com",  # equal to the email
        "my-ada.lovelace-password",  # contains the email's local part
        "aaaaaaaaaaaaaaaa",  # too repetitive
    ],
    ids=["too-short", "equal-to-email", "contains-email", "repetitive"],
)
async def test_sign_up_with_a_weak_password_is_refused_and_nothing_is_stored(
    runner, services, password
):
    before = await counts(services)
    result = await runner(None, SIGN_UP, {"input": sign_up_input(password=password)})
    assert result.errors[0].extensions["code"] == "WEAK_PASSWORD"
    assert result.errors[0].extensions["field"] == "password"
    assert await counts(services) == before


async def test_sign_up_without_accepting_the_privacy_policy_is_refused(runner, services):
    before = await counts(services)
    result = await runner(None, SIGN_UP, {"input": sign_up_input(acceptPrivacyPolicy=False)})
    assert result.errors[0].extensions == {
        "code": "BAD_USER_INPUT",
        "field": "acceptPrivacyPolicy",
    }
    assert await counts(services) == before


async def test_sign_up_with_an_invalid_email_is_refused(runner, services):
    before = await counts(services)
    result = await runner(None, SIGN_UP, {"input": sign_up_input(email="not-an-email")})
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "email"}
    assert await counts(services) == before


async def test_sign_up_with_an_unknown_region_is_refused(runner, services):
    before = await counts(services)
    result = await runner(None, SIGN_UP, {"input": sign_up_input(region="mars")})
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "region"}
    assert await counts(services) == before


async def test_sign_up_with_a_registered_email_answers_ok_and_creates_nothing(runner, services):
    await runner(None, SIGN_UP, {"input": sign_up_input()})
    before = await counts(services)
    again = sign_up_input(email="ada.lovelace@EXAMPLE.com", organisationName="Other Ltd")
    result = await runner(None, SIGN_UP, {"input": again})
    assert result.errors is None, result.errors
    assert result.data == {"signUp": {"ok": True, "message": SIGN_UP_MESSAGE}}
    assert await counts(services) == before


async def test_marketing_opt_in_defaults_to_false_and_records_no_consent(runner, services):
    before = await counts(services)
    result = await runner(None, SIGN_UP, {"input": sign_up_input()})
    assert result.errors is None, result.errors
    after = await counts(services)
    assert after["consent_event"] == before["consent_event"]


async def test_marketing_opt_in_is_refused_while_no_marketing_is_sent(runner, services):
    before = await counts(services)
    result = await runner(None, SIGN_UP, {"input": sign_up_input(marketingOptIn=True)})
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "marketingOptIn"}
    assert await counts(services) == before


async def test_sign_up_is_rate_limited_by_the_auth_bucket(runner, services):
    from limits.aio.storage import MemoryStorage

    from core.ratelimit import RateLimiter

    services.extras["rate_limiter"] = RateLimiter(MemoryStorage(), auth="2/minute")
    for _ in range(2):
        await runner(None, SIGN_UP, {"input": sign_up_input(acceptPrivacyPolicy=False)})
    before = await counts(services)
    result = await runner(None, SIGN_UP, {"input": sign_up_input()})
    error = result.errors[0]
    assert error.extensions["code"] == "RATE_LIMITED"
    assert error.extensions["retryAfter"] >= 1
    assert await counts(services) == before
