"""Issue 8, defect 1 (critical): signing in inside a request never raises the rest of it.

The probes are the attack as sent: one mutation document whose first root field signs
in (`signUp`, `logIn`, `refreshToken`, `switchTenant`) and whose next field reads or
writes personal data in the caller's own tenant. The principal of a request is fixed
when it starts; a sign-in mutation runs alone and only hands out credentials.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from graphql import GraphQLNonNull, get_named_type
from sqlalchemy import func, select

from auth.permissions import Role
from auth.principal import Principal
from core.context import RequestContext
from models import AuthSession, Contact, Tenant, User
from resolvers.global_ids import encode_id
from schema.build import build_schema
from schema.credential_rule import CREDENTIAL_MUTATIONS
from server.seed import DEMO_PASSWORD
from tests.security.conftest import Demo, unique_email

PAYLOAD = "contact { email phone notes company { contacts(first: 100) { email phone } } }"


def sign_up_field(email: str) -> str:
    return (
        f'a: signUp(input: {{email: "{email}", password: "a long enough passphrase 42", '
        'displayName: "Mallory", organisationName: "Throwaway", dateOfBirth: "1990-01-01", '
        "acceptPrivacyPolicy: true}) { ok }"
    )


def log_in_field(email: str) -> str:
    return f'a: logIn(email: "{email}", password: "{DEMO_PASSWORD}") {{ ok accessToken }}'


async def snapshot(demo: Demo) -> dict[str, Any]:
    """What an attack could change: contacts as stored, accounts, tenants, sessions."""
    async with demo.services.db.session(None) as session:
        session.info["allow_text_sql"] = True
        out: dict[str, Any] = {}
        for model in (User, Tenant, AuthSession):
            out[model.__name__] = (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
    for slug, tenant in demo.tenants.items():
        async with demo.services.db.session(tenant.tenant_id) as session:
            rows = (await session.execute(select(Contact).order_by(Contact.id))).scalars().all()
            out[slug] = [(r.id, r.updated_at, r.email_enc, r.notes_enc) for r in rows]
    return out


def assert_refused(answer: dict[str, Any]) -> None:
    assert "data" not in answer or answer["data"] is None, answer
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["BAD_REQUEST"], answer


async def a_contact(demo: Demo, slug: str) -> str:
    return (await demo.ids(slug, "contacts", first=1))[0]


async def attack(demo: Demo, headers: dict[str, str], sign_in: str, contact: str) -> None:
    """`sign_in` then an update of `contact` whose payload reads personal data, in one
    operation: refused as a whole, and nothing anywhere changed."""
    before = await snapshot(demo)
    answer = await demo.gql(
        f'mutation {{ {sign_in} b: updateContact(id: "{contact}", input: {{}}) {{ {PAYLOAD} }} }}',
        headers=headers,
    )
    assert_refused(answer)
    assert await snapshot(demo) == before


async def test_sign_up_beside_a_write_is_refused_and_writes_nothing(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.READ_ONLY)
    contact = await a_contact(demo, "acme")
    await attack(demo, headers, sign_up_field(unique_email()), contact)


async def test_log_in_elsewhere_beside_a_write_is_refused_and_writes_nothing(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.READ_ONLY)
    contact = await a_contact(demo, "acme")
    await attack(demo, headers, log_in_field(demo.email("globex", Role.OWNER)), contact)


async def test_switch_tenant_beside_a_write_is_refused(demo: Demo) -> None:
    """acme's owner is read-only at globex: switching to acme must not raise globex."""
    globex = demo.tenants["globex"].tenant_id
    owner = demo.email("acme", Role.OWNER)
    token = (
        await demo.gql(
            "mutation($e: String!, $p: String!, $t: ID!) "
            "{ logIn(email: $e, password: $p, tenant: $t) { accessToken } }",
            {"e": owner, "p": DEMO_PASSWORD, "t": encode_id("Tenant", globex)},
        )
    )["data"]["logIn"]["accessToken"]
    headers = {"authorization": f"Bearer {token}"}
    contact = await a_contact(demo, "globex")
    acme = encode_id("Tenant", demo.tenants["acme"].tenant_id)
    await attack(demo, headers, f'a: switchTenant(tenant: "{acme}") {{ ok }}', contact)


async def test_refresh_token_beside_a_read_is_refused(demo: Demo) -> None:
    refresh = (
        await demo.gql(
            "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) "
            "{ refreshToken } }",
            {"e": demo.email("acme", Role.OWNER), "p": DEMO_PASSWORD},
        )
    )["data"]["logIn"]["refreshToken"]
    contact = await a_contact(demo, "acme")
    headers = await demo.headers("acme", Role.READ_ONLY)
    await attack(demo, headers, f'a: refreshToken(refreshToken: "{refresh}") {{ ok }}', contact)


async def test_a_sign_in_hidden_in_fragments_is_found(demo: Demo) -> None:
    headers = await demo.headers("acme", Role.READ_ONLY)
    contact = await a_contact(demo, "acme")
    answer = await demo.gql(
        "mutation { ...Outer } "
        f"fragment Outer on Mutation {{ ... on Mutation {{ ...Inner }} "
        f'b: updateContact(id: "{contact}", input: {{}}) {{ {PAYLOAD} }} }} '
        f"fragment Inner on Mutation {{ {log_in_field(demo.email('globex', Role.OWNER))} }}",
        headers=headers,
    )
    assert_refused(answer)


async def test_two_sign_ins_in_one_operation_are_refused(demo: Demo) -> None:
    email = demo.email("acme", Role.SALES)
    answer = await demo.gql(
        f"mutation {{ {log_in_field(email)} {log_in_field(email).replace('a:', 'b:', 1)} }}"
    )
    assert_refused(answer)


async def test_a_sign_in_alone_with_typename_runs(demo: Demo) -> None:
    answer = await demo.gql(
        f"mutation {{ __typename {log_in_field(demo.email('acme', Role.SALES))} }}"
    )
    assert answer["data"]["a"]["ok"] is True
    assert "errors" not in answer


def mutation_documents() -> list[tuple[str, str]]:
    """(credential mutation, another mutation): every pair, the other one with its
    required arguments as variables, so only the combination can be refused."""
    schema = build_schema()._schema
    mutation = schema.mutation_type
    assert mutation is not None
    credentials = {
        "signUp": sign_up_field(unique_email()),
        "logIn": log_in_field("nobody@example.net"),
        "refreshToken": 'a: refreshToken(refreshToken: "x") { ok }',
        "switchTenant": 'a: switchTenant(tenant: "x") { ok }',
        "logOut": "a: logOut { ok }",
        "deleteMyAccount": 'a: deleteMyAccount(password: "x") { ok }',
    }
    assert set(credentials) == CREDENTIAL_MUTATIONS
    pairs = []
    for name, field in mutation.fields.items():
        if name in CREDENTIAL_MUTATIONS:
            continue
        required = [
            (arg, a.type) for arg, a in field.args.items() if isinstance(a.type, GraphQLNonNull)
        ]
        defs = ", ".join(f"${arg}: {t}" for arg, t in required)
        args = ", ".join(f"{arg}: ${arg}" for arg, _ in required)
        call = f"b: {name}({args})" if args else f"b: {name}"
        selection = "" if not hasattr(get_named_type(field.type), "fields") else " { __typename }"
        for credential, text in credentials.items():
            head = f"mutation({defs})" if defs else "mutation"
            pairs.append((f"{credential}+{name}", f"{head} {{ {text} {call}{selection} }}"))
    return pairs


@pytest.mark.parametrize("caller", [None, Role.READ_ONLY])
async def test_every_sign_in_beside_every_other_mutation_is_refused(
    demo: Demo, caller: Role | None
) -> None:
    headers = await demo.headers("acme", caller) if caller else {}
    before = await snapshot(demo)
    for label, document in mutation_documents():
        answer = await demo.gql(document, headers=headers)
        assert answer.get("data") is None, label
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["BAD_REQUEST"], (
            label,
            answer,
        )
    assert await snapshot(demo) == before


def test_every_credential_mutation_exists_in_the_schema() -> None:
    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    assert set(mutation.fields) >= CREDENTIAL_MUTATIONS


async def test_a_sign_in_leaves_the_request_principal_as_it_was(demo: Demo) -> None:
    """Executed below HTTP: after `logIn`, the context still holds the caller it began
    with, and the payload's own-account data is shown to its holder only."""
    from schema.extensions import schema_extensions
    from server.execution import execute_operation

    services = demo.services
    acme = demo.tenants["acme"]
    caller = Principal.for_role(
        acme.users[Role.READ_ONLY], acme.tenant_id, Role.READ_ONLY, "bearer", uuid.uuid4()
    )
    ctx = RequestContext(services=services, principal=caller)
    schema = build_schema(extensions=schema_extensions(services.settings))
    email = demo.email("globex", Role.OWNER)
    result = await execute_operation(
        schema,
        ctx,
        f'mutation {{ logIn(email: "{email}", password: "{DEMO_PASSWORD}") '
        "{ me { email role } } }",
    )
    assert result.errors is None
    assert result.data == {"logIn": {"me": {"email": email, "role": "OWNER"}}}
    assert ctx.principal is caller
    assert ctx.policy.permissions == caller.permissions


def test_the_request_principal_cannot_be_replaced_once_set(services: Any) -> None:
    first = Principal.for_role(uuid.uuid4(), uuid.uuid4(), Role.READ_ONLY, "bearer")
    ctx = RequestContext(services=services, principal=first)
    with pytest.raises(RuntimeError, match="fixed"):
        ctx.principal = Principal.for_role(uuid.uuid4(), uuid.uuid4(), Role.OWNER, "bearer")
    assert ctx.principal is first
