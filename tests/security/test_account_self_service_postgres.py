"""Migration 0014 on PostgreSQL: the account's own tables under the application's role.

`account_token` rows are visible only to their account (`app.user_id`) or to the holder
of the token (`app.session_hash`), like `auth_session`; `account_choice_event` is its
account's only and append-only (no UPDATE or DELETE for the role). The flows run over
HTTP on the real server first, so the rows are written the way the application writes
them; then raw connections as `ledgerline_app`, which skip the ORM, show what row-level
security and the grants alone allow.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import psycopg
import pytest

from auth.permissions import Role
from server.seed import DEMO_PASSWORD
from tests.security.conftest import Demo, Mailbox, route_mail
from tests.support.postgres import PostgresDatabase

pytestmark = pytest.mark.postgres

REQUEST_RESET = "mutation($e: String!) { requestPasswordReset(email: $e) { ok } }"
RESET = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok } }"
LOG_IN = "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }"
NEW_PASSWORD = "a completely new passphrase 2027"
SCOPE = (
    "SELECT set_config('app.tenant_id', '', true), set_config('app.user_id', %s, true), "
    "set_config('app.session_hash', %s, true)"
)


def as_app(pg: PostgresDatabase, user: str, session_hash: str, statement: str) -> Any:
    """One statement as the application's role, in one transaction scoped to `user`
    and `session_hash` (either may be empty); its first column of the first row."""
    with psycopg.connect(pg.app_dsn) as conn, conn.transaction():
        conn.execute(SCOPE, (user, session_hash))
        row = conn.execute(statement).fetchone()
        return row[0] if row else None


async def test_account_links_are_visible_only_to_their_account_or_token_holder(
    pg_demo: Demo, pg_database: PostgresDatabase, smtp_server: Mailbox
) -> None:
    mailbox = route_mail(pg_demo, smtp_server)
    address = pg_demo.email("acme", Role.SALES)
    await pg_demo.gql(REQUEST_RESET, {"e": address})
    [message] = await mailbox.settle()
    found = re.search(r"#token=([A-Za-z0-9_-]+)", message.get_content())
    assert found is not None
    token = found.group(1)
    digest = hashlib.sha256(token.encode()).hexdigest()
    own = str(pg_demo.tenants["acme"].users[Role.SALES])
    other = str(pg_demo.tenants["acme"].users[Role.OWNER])
    count = "SELECT count(*) FROM account_token"
    visible = {
        "nobody": as_app(pg_database, "", "", count),
        "another account": as_app(pg_database, other, "", count),
        "its account": as_app(pg_database, own, "", count),
        "the token's holder": as_app(pg_database, "", digest, count),
        "a wrong token": as_app(pg_database, "", "00" * 32, count),
    }
    assert visible == {
        "nobody": 0,
        "another account": 0,
        "its account": 1,
        "the token's holder": 1,
        "a wrong token": 0,
    }
    assert "errors" not in await pg_demo.gql(RESET, {"t": token, "p": NEW_PASSWORD})
    assert "errors" not in await pg_demo.gql(LOG_IN, {"e": address, "p": NEW_PASSWORD})
    assert "errors" in await pg_demo.gql(LOG_IN, {"e": address, "p": DEMO_PASSWORD})


async def test_the_choice_history_is_its_accounts_own_and_append_only(
    pg_demo: Demo, pg_database: PostgresDatabase
) -> None:
    headers = {**await pg_demo.headers("acme", Role.SALES), "sec-gpc": "1"}
    answer = await pg_demo.gql("{ myPrivacyChoices { optedOutOfSaleSharing } }", None, headers)
    assert answer["data"]["myPrivacyChoices"]["optedOutOfSaleSharing"] is True
    own = str(pg_demo.tenants["acme"].users[Role.SALES])
    other = str(pg_demo.tenants["acme"].users[Role.OWNER])
    count = "SELECT count(*) FROM account_choice_event"
    assert (as_app(pg_database, own, "", count), as_app(pg_database, other, "", count)) == (1, 0)
    for statement in (
        "UPDATE account_choice_event SET status = 'objection_withdrawn'",
        "DELETE FROM account_choice_event",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_app(pg_database, own, "", statement)


async def test_deleting_an_account_works_under_row_level_security(
    pg_demo: Demo, pg_database: PostgresDatabase
) -> None:
    user_id = pg_demo.tenants["acme"].users[Role.SALES]
    headers = await pg_demo.headers("acme", Role.SALES)
    answer = await pg_demo.gql(
        "mutation($p: String!) { deleteMyAccount(password: $p) { ok membershipsEnded } }",
        {"p": DEMO_PASSWORD},
        headers,
    )
    assert answer == {"data": {"deleteMyAccount": {"ok": True, "membershipsEnded": 1}}}
    owner = pg_database.owner()
    left = {
        table: owner.execute(
            f"SELECT count(*) FROM {table} WHERE {column} = %s", (user_id,)
        ).fetchone()[0]  # type: ignore[index]
        for table, column in (
            ("app_user", "id"),
            ("membership", "user_id"),
            ("auth_session", "user_id"),
            ("policy_acceptance", "user_id"),
        )
    }
    assert left == dict.fromkeys(left, 0)
    audited = owner.execute(
        "SELECT count(*) FROM audit_event WHERE action = 'account_deleted' AND actor_id = %s",
        (user_id,),
    ).fetchone()
    assert audited == (1,)
