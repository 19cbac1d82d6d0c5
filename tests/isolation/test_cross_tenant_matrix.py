"""The cross-tenant matrix (DESIGN, "Testing"), on SQLite and on PostgreSQL.

Tenant B's owner (every permission) names tenant A's objects in every position an id
can take: by id, through `node`/`nodes`, in filters, under aliases, through nested
relations and in every mutation. Each answer (data, errors and extensions, compared
as JSON with nothing removed) must be identical to the answer for a random id that
never existed, and A's rows must be exactly as they were.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from auth.permissions import Role
from core.services import Services
from models import (
    Activity,
    Company,
    ConsentEvent,
    ConsentState,
    Contact,
    Deal,
    Membership,
    PrivacyRequest,
    ProcessingEvent,
)
from resolvers.global_ids import encode_id
from tests.isolation.conftest import Seeded
from tests.support.world import Runner, TenantWorld

Ids = dict[str, str]
Vars = Callable[[Ids, Ids], dict[str, Any]]


def global_ids(seeded: Seeded, world: TenantWorld) -> Ids:
    return {
        "contact": encode_id("Contact", seeded.contact_id),
        "contact2": encode_id("Contact", seeded.contact_ids[1]),
        "company": encode_id("Company", seeded.company_id),
        "deal": encode_id("Deal", seeded.deal_id),
        "activity": encode_id("Activity", seeded.activity_id),
        "member": encode_id("Member", world.users[Role.SALES]),
        "invitation": encode_id("Invitation", seeded.invitation_id),
        "privacy_request": encode_id("PrivacyRequest", seeded.privacy_request_id),
        "export": encode_id("PrivacyExport", seeded.export_id),
        "hold": encode_id("LegalHold", seeded.hold_id),
        "installation": encode_id("AppInstallation", seeded.installation_id),
        "subscription": encode_id("WebhookSubscription", seeded.subscription_id),
        "delivery": encode_id("WebhookDelivery", seeded.delivery_id),
        "tenant": encode_id("Tenant", world.tenant_id),
        "raw_contact": str(seeded.contact_id),
    }


def never_existing_ids() -> Ids:
    return {
        "contact": encode_id("Contact", uuid.uuid4()),
        "contact2": encode_id("Contact", uuid.uuid4()),
        "company": encode_id("Company", uuid.uuid4()),
        "deal": encode_id("Deal", uuid.uuid4()),
        "activity": encode_id("Activity", uuid.uuid4()),
        "member": encode_id("Member", uuid.uuid4()),
        "invitation": encode_id("Invitation", uuid.uuid4()),
        "privacy_request": encode_id("PrivacyRequest", uuid.uuid4()),
        "export": encode_id("PrivacyExport", uuid.uuid4()),
        "hold": encode_id("LegalHold", uuid.uuid4()),
        "installation": encode_id("AppInstallation", uuid.uuid4()),
        "subscription": encode_id("WebhookSubscription", uuid.uuid4()),
        "delivery": encode_id("WebhookDelivery", uuid.uuid4()),
        "tenant": encode_id("Tenant", uuid.uuid4()),
        "raw_contact": str(uuid.uuid4()),
    }


@dataclass(frozen=True)
class Case:
    name: str
    document: str
    variables: Vars


def case(name: str, document: str, variables: Vars) -> Any:
    return pytest.param(Case(name, document, variables), id=name)


# Root fields resolve concurrently and share the request's one session; the aliases and
# "nested from a deal and an activity" cases prove it serialises their statements
# (models.db.SerializedAsyncSession), which asyncpg requires.


def one(key: str, var: str = "id") -> Vars:
    return lambda t, own: {var: t[key]}


NODE_FIELDS = """
  id
  ... on Contact { firstName lastName email }
  ... on Company { name domain address }
  ... on Deal { title amount }
  ... on Activity { subject body }
"""

CONTACT_TREE = """
  id firstName email phone notes
  company { id name address contacts { id email } deals { id title } }
  owner { id displayName email }
  deals { id title company { id name } }
  activities { id subject body deal { id title } }
  consents { purpose status lawfulBasis objected }
  consentHistory { purpose status recordedAt }
"""

QUERIES = [
    case(
        "webhookDeliveries(subscription)",
        "query($id: ID!) { webhookDeliveries(subscription: $id) { id status lastStatusCode } }",
        one("subscription"),
    ),
    case(
        "privacyExport(id)",
        "query($id: ID!) { privacyExport(id: $id) { id status progress } }",
        one("export"),
    ),
    case(
        "myDataExport(id)",
        "query($id: ID!) { myDataExport(id: $id) { id status } }",
        one("export"),
    ),
    case(
        "privacyExports(request)",
        "query($id: ID!) { privacyExports(request: $id) { id } }",
        one("privacy_request"),
    ),
    case(
        "erasureRecords(contact)",
        "query($id: ID!) { erasureRecords(contact: $id) { categories } }",
        one("contact"),
    ),
    case(
        "erasureRecords(request)",
        "query($id: ID!) { erasureRecords(request: $id) { categories } }",
        one("privacy_request"),
    ),
    case(
        "contact(id)", "query($id: ID!) { contact(id: $id) { id firstName email } }", one("contact")
    ),
    case(
        "privacyRequest(id)",
        "query($id: ID!) { privacyRequest(id: $id) { id status dueOn contactId } }",
        one("privacy_request"),
    ),
    case("contact(raw uuid)", "query($id: ID!) { contact(id: $id) { id } }", one("raw_contact")),
    case("company(id)", "query($id: ID!) { company(id: $id) { id name address } }", one("company")),
    case(
        "explainAccess",
        'query($id: ID!) { explainAccess(contact: $id, field: "email") { outcome reason } }',
        one("contact"),
    ),
    case("deal(id)", "query($id: ID!) { deal(id: $id) { id title amount } }", one("deal")),
    case(
        "activity(id)", "query($id: ID!) { activity(id: $id) { id subject body } }", one("activity")
    ),
    *(
        case(f"node({kind})", f"query($id: ID!) {{ node(id: $id) {{ {NODE_FIELDS} }} }}", one(kind))
        for kind in ("contact", "company", "deal", "activity", "member", "raw_contact")
    ),
    case(
        "nodes(mixed with own ids)",
        f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {NODE_FIELDS} }} }}",
        lambda t, own: {
            "ids": [
                own["contact"],
                t["contact"],
                t["company"],
                own["company"],
                t["deal"],
                own["deal"],
                t["activity"],
                own["activity"],
                t["contact2"],
                own["contact2"],
            ]  # fmt: skip
        },
    ),
    *(
        case(
            f"{root}(filter: {{{key}}})",
            f"query($id: ID!) {{ {root}(filter: {{{key}: $id}}) "
            "{ totalCount nodes { id } pageInfo { hasNextPage } } }",
            one(target),
        )
        for root, key, target in (
            ("contacts", "company", "company"),
            ("contacts", "owner", "member"),
            ("companies", "owner", "member"),
            ("deals", "company", "company"),
            ("deals", "primaryContact", "contact"),
            ("deals", "owner", "member"),
            ("activities", "contact", "contact"),
            ("activities", "company", "company"),
            ("activities", "deal", "deal"),
        )
    ),
    case(
        "aliases x 12 (contact, node)",
        "query($c: ID!, $c2: ID!) {"
        + " ".join(f"c{n}: contact(id: $c) {{ id email }}" for n in range(6))
        + " ".join(f"n{n}: node(id: $c2) {{ id }}" for n in range(6))
        + " }",
        lambda t, own: {"c": t["contact"], "c2": t["contact2"]},
    ),
    case(
        "aliases x 12 (every type)",
        "query($c: ID!, $co: ID!, $d: ID!, $a: ID!) {"
        + " ".join(f"c{n}: contact(id: $c) {{ id email }}" for n in range(3))
        + " ".join(f"co{n}: company(id: $co) {{ id name }}" for n in range(3))
        + " ".join(f"d{n}: deal(id: $d) {{ id title }}" for n in range(3))
        + " ".join(f"a{n}: activity(id: $a) {{ id subject }}" for n in range(3))
        + " }",
        lambda t, own: {"c": t["contact"], "co": t["company"], "d": t["deal"], "a": t["activity"]},
    ),
    case(
        "nested from a contact",
        f"query($id: ID!) {{ node(id: $id) {{ ... on Contact {{ {CONTACT_TREE} }} }} }}",
        one("contact"),
    ),
    case(
        "nested from a company",
        "query($id: ID!) { company(id: $id) { id owner { id } contacts { id email consents "
        "{ purpose status } } deals { id primaryContact { id email } } activities { id body } } }",
        one("company"),
    ),
    case(
        "nested from a deal",
        "query($id: ID!) { deal(id: $id) { id company { id } primaryContact { id email } "
        "owner { id } activities { id body } } }",
        one("deal"),
    ),
    case(
        "nested from an activity",
        "query($id: ID!) { activity(id: $id) { id body contact { id email } company { id } "
        "deal { id } author { id } } }",
        one("activity"),
    ),
    case(
        "nested from a deal and an activity",
        "query($d: ID!, $a: ID!) { deal(id: $d) { id primaryContact { id email } } "
        "activity(id: $a) { id contact { id email } } }",
        lambda t, own: {"d": t["deal"], "a": t["activity"]},
    ),
]

MUTATIONS = [
    *(
        case(
            name,
            f"mutation($id: ID!) {{ {name}(request: $id) {{ {fields} }} }}",
            one("privacy_request"),
        )
        for name, fields in (
            ("eraseForPrivacyRequest", "id outcome"),
            ("liftSuppression", "contact"),
        )
    ),
    *(
        case(
            f"placeLegalHold({arg})",
            f'mutation($id: ID!) {{ placeLegalHold(reason: "x", {arg}: $id) {{ hold {{ id }} }} }}',
            one(arg),
        )
        for arg in ("contact", "company")
    ),
    case(
        "releaseLegalHold",
        "mutation($id: ID!) { releaseLegalHold(hold: $id) { hold { id } } }",
        one("hold"),
    ),
    *(
        case(
            name,
            f"mutation($id: ID!) {{ {name}(installation: $id) {{ id }} }}",
            one("installation"),
        )
        for name in ("uninstallApp", "restrictAppToTrustedDocuments")
    ),
    case(
        "subscribeWebhook",
        'mutation($id: ID!) { subscribeWebhook(installation: $id, url: "https://93.184.215.14/h", '
        'eventTypes: ["contact.created"]) { secret } }',
        one("installation"),
    ),
    *(
        case(
            name,
            f"mutation($id: ID!) {{ {name}(subscription: $id) {{ {fields} }} }}",
            one("subscription"),
        )
        for name, fields in (
            ("rotateWebhookSecret", "secret"),
            ("deleteWebhookSubscription", "id url"),
        )
    ),
    case(
        "replayWebhookDelivery",
        "mutation($id: ID!) { replayWebhookDelivery(delivery: $id) { id status } }",
        one("delivery"),
    ),
    case(
        "startPrivacyExport",
        "mutation($id: ID!) { startPrivacyExport(request: $id) { id status } }",
        one("privacy_request"),
    ),
    case(
        "updateContact",
        'mutation($id: ID!) { updateContact(id: $id, input: {firstName: "Mallory"}) '
        "{ contact { id firstName } } }",
        one("contact"),
    ),
    case(
        "updateContact(own, company: theirs)",
        "mutation($own: ID!, $id: ID!) { updateContact(id: $own, input: {company: $id}) "
        "{ contact { id company { id } } } }",
        lambda t, own: {"own": own["contact2"], "id": t["company"]},
    ),
    case(
        "deleteContact",
        "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }",
        one("contact"),
    ),
    case(
        "restore",
        "mutation($id: ID!) { restore(id: $id) { restoredId } }",
        one("contact"),
    ),
    case(
        "recordConsent",
        "mutation($id: ID!) { recordConsent(contact: $id, consent: {purpose: MARKETING, "
        'granted: false, source: "x"}) { contact { id consents { purpose status } } } }',
        one("contact", "id"),
    ),
    *(
        case(
            name,
            f"mutation($id: ID!) {{ {name}(contact: $id, purpose: MARKETING) "
            "{ contact { id consents { purpose status objected } } } }",
            one("contact"),
        )
        for name in ("withdrawConsent", "recordObjection")
    ),
    case(
        "withdrawObjection",
        'mutation($id: ID!) { withdrawObjection(contact: $id, purpose: MARKETING, evidence: "x") '
        "{ contact { id consents { purpose status objected } } } }",
        one("contact"),
    ),
    *(
        case(
            name,
            f'mutation($id: ID!) {{ {name}(contact: $id, reason: "x") '
            "{ contact { id processingRestricted erased } } }",
            one("contact"),
        )
        for name in ("restrictProcessing", "liftRestriction", "eraseContact")
    ),
    case(
        "createContact(company: theirs)",
        'mutation($id: ID!) { createContact(input: {firstName: "Eve", company: $id}) '
        "{ contact { id company { id name } } } }",
        one("company"),
    ),
    case(
        "createContact(owner: their member)",
        'mutation($id: ID!) { createContact(input: {firstName: "Eve", owner: $id}) '
        "{ contact { id owner { id } } } }",
        one("member"),
    ),
    case(
        "updateCompany",
        'mutation($id: ID!) { updateCompany(id: $id, input: {name: "Pwned"}) '
        "{ company { id name } } }",
        one("company"),
    ),
    case(
        "deleteCompany",
        "mutation($id: ID!) { deleteCompany(id: $id) { deletedId } }",
        one("company"),
    ),
    case(
        "createCompany(owner: their member)",
        'mutation($id: ID!) { createCompany(input: {name: "Eve Ltd", owner: $id}) '
        "{ company { id } } }",
        one("member"),
    ),
    *(
        case(
            f"createDeal({key}: theirs)",
            f'mutation($id: ID!) {{ createDeal(input: {{title: "Eve deal", {key}: $id}}) '
            "{ deal { id } } }",
            one(target),
        )
        for key, target in (("company", "company"), ("primaryContact", "contact"))
    ),
    case(
        "updateDeal",
        'mutation($id: ID!) { updateDeal(id: $id, input: {stage: "lost"}) { deal { id stage } } }',
        one("deal"),
    ),
    case(
        "updateDeal(own, primaryContact: theirs)",
        "mutation($own: ID!, $id: ID!) { updateDeal(id: $own, input: {primaryContact: $id}) "
        "{ deal { id primaryContact { id } } } }",
        lambda t, own: {"own": own["deal"], "id": t["contact"]},
    ),
    case("deleteDeal", "mutation($id: ID!) { deleteDeal(id: $id) { deletedId } }", one("deal")),
    *(
        case(
            f"createActivity({key}: theirs)",
            "mutation($id: ID!) { createActivity(input: "
            f'{{kind: NOTE, subject: "Eve", body: "b", {key}: $id}}) {{ activity {{ id }} }} }}',
            one(key),
        )
        for key in ("contact", "company", "deal")
    ),
    case(
        "updateActivity",
        'mutation($id: ID!) { updateActivity(id: $id, input: {body: "Pwned"}) '
        "{ activity { id body } } }",
        one("activity"),
    ),
    case(
        "updateActivity(own, contact: theirs)",
        "mutation($own: ID!, $id: ID!) { updateActivity(id: $own, input: {contact: $id}) "
        "{ activity { id contact { id } } } }",
        lambda t, own: {"own": own["activity"], "id": t["contact"]},
    ),
    case(
        "deleteActivity",
        "mutation($id: ID!) { deleteActivity(id: $id) { deletedId } }",
        one("activity"),
    ),
    case(
        "changeRole",
        "mutation($id: ID!) { changeRole(member: $id, role: OWNER) { member { id role } } }",
        one("member"),
    ),
    case(
        "removeMember",
        "mutation($id: ID!) { removeMember(member: $id) { deletedId } }",
        one("member"),
    ),
    *(
        case(
            name,
            f"mutation($id: ID!) {{ {name}(contact: $id) {{ contact {{ id }} }} }}",
            one("contact"),
        )
        for name in ("reportMinor", "deleteMinorData")
    ),
    *(
        case(
            name, f"mutation($id: ID!) {{ {name}(user: $id) {{ member {{ id }} }} }}", one("member")
        )
        for name in ("reportMinorAccount", "resolveMinorReport")
    ),  # fmt: skip
    case(
        "revokeInvitation",
        "mutation($id: ID!) { revokeInvitation(invitation: $id) { invitation { id status } } }",
        one("invitation"),
    ),
    case(
        "logPrivacyRequest(contact: theirs)",
        "mutation($id: ID!) { logPrivacyRequest(input: "
        "{contact: $id, kind: ERASURE, channel: EMAIL}) { request { id } duplicateOf } }",
        one("contact"),
    ),
    case(
        "verifyPrivacyRequest",
        "mutation($id: ID!) { verifyPrivacyRequest(request: $id, method: PHONE_CALLBACK) "
        "{ request { id status } } }",
        one("privacy_request"),
    ),
    *(
        case(
            name,
            f"mutation($id: ID!) {{ {name}(request: $id{extra}) {{ request {{ id status }} }} }}",
            one("privacy_request"),
        )
        for name, extra in (
            ("startPrivacyRequest", ""),
            ("extendPrivacyRequest", ', reason: "complex"'),
            ("completePrivacyRequest", ', evidence: "done"'),
            ("refusePrivacyRequest", ', reason: "manifestly unfounded"'),
            ("applyRectification", ', changes: {city: "Lyon"}, evidence: "done"'),
        )
    ),
    case(
        "switchTenant",
        "mutation($id: ID!) { switchTenant(tenant: $id) { ok tenant { id } } }",
        one("tenant"),
    ),
]

SNAPSHOT_MODELS = (
    Contact, ConsentEvent, ConsentState, ProcessingEvent, Company, Deal, Activity, Membership,
    PrivacyRequest,
)  # fmt: skip


async def snapshot(services: Services, tenant_id: uuid.UUID) -> dict[str, list[Any]]:
    """Every row and column of the tenant's data, read in a session scoped to it."""
    out: dict[str, list[Any]] = {}
    async with services.db.session(tenant_id) as session:
        for model in SNAPSHOT_MODELS:
            rows = (await session.execute(select(model))).scalars()
            dumped = [json.dumps(r.model_dump(), sort_keys=True, default=repr) for r in rows]
            out[model.__tablename__] = sorted(dumped)
    return out


def as_json(result: Any) -> str:
    answer = {
        "data": result.data,
        "errors": [e.formatted for e in result.errors or []],
        "extensions": result.extensions,
    }
    return json.dumps(answer, sort_keys=True, default=str)


@pytest.fixture
async def world(
    services: Services,
    seeded_a: Seeded,
    seeded_b: Seeded,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
) -> tuple[Ids, Ids]:
    return global_ids(seeded_a, tenant_a), global_ids(seeded_b, tenant_b)


async def check(
    runner: Runner, services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld,
    world: tuple[Ids, Ids], item: Case,
) -> str:  # fmt: skip
    theirs, own = world
    caller = tenant_b.principal(Role.OWNER)
    before = await snapshot(services, tenant_a.tenant_id)
    with_theirs = await runner(caller, item.document, item.variables(theirs, own))
    with_missing = await runner(caller, item.document, item.variables(never_existing_ids(), own))
    after = await snapshot(services, tenant_a.tenant_id)
    answer = as_json(with_missing)
    assert as_json(with_theirs) == answer
    assert after == before
    # Sanity: the denial is a real one (no typo in the document made both answers fail
    # validation) and none of A's values appears in it.
    codes = {(e.extensions or {}).get("code") for e in with_missing.errors or []}
    assert None not in codes, answer
    assert "Acme" not in answer
    return answer


@pytest.mark.parametrize("item", QUERIES)
async def test_their_ids_in_queries_answer_like_missing_ids(
    runner: Runner, services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld,
    world: tuple[Ids, Ids], item: Case, backend: str, request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    await check(runner, services, tenant_a, tenant_b, world, item)


@pytest.mark.parametrize("item", MUTATIONS)
async def test_their_ids_in_mutations_answer_like_missing_ids_and_change_nothing(
    runner: Runner, services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld,
    world: tuple[Ids, Ids], item: Case,
) -> None:  # fmt: skip
    answer = await check(runner, services, tenant_a, tenant_b, world, item)
    assert "NOT_FOUND" in answer


OWN_LISTS = {
    "contacts": "{ contacts { totalCount nodes { id company { id contacts { id } } } } }",
    "companies": "{ companies { totalCount nodes { id contacts { id } deals { id } } } }",
    "deals": "{ deals { totalCount nodes { id primaryContact { id } activities { id } } } }",
    "activities": "{ activities { totalCount nodes { id contact { id } deal { id } } } }",
}


@pytest.mark.parametrize("root", OWN_LISTS)
async def test_their_own_lists_show_none_of_ours(
    runner: Runner, tenant_b: TenantWorld, world: tuple[Ids, Ids], root: str
) -> None:
    theirs, own = world
    result = await runner(tenant_b.principal(Role.OWNER), OWN_LISTS[root])
    assert result.errors is None, result.errors
    listed = result.data[root]
    expected = {
        "contacts": [own["contact"], own["contact2"]],
        "companies": [own["company"]],
        "deals": [own["deal"]],
        "activities": [own["activity"]],
    }[root]
    assert sorted(n["id"] for n in listed["nodes"]) == sorted(expected)
    assert listed["totalCount"] == len(expected)
    dumped = json.dumps(result.data)
    assert not any(value in dumped for value in theirs.values())


async def test_their_members_are_not_ours(
    runner: Runner, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    result = await runner(tenant_b.principal(Role.OWNER), "{ members { id } }")
    assert result.errors is None, result.errors
    assert sorted(m["id"] for m in result.data["members"]) == sorted(
        encode_id("Member", user_id) for user_id in tenant_b.users.values()
    )


async def test_logging_in_to_their_tenant_answers_like_a_missing_tenant(
    runner: Runner, services: Services, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    from auth.accounts import add_membership, create_user
    from tests.support.world import PASSWORD

    email = f"eve.{uuid.uuid4().hex[:8]}@globex.example"
    async with services.db.session(tenant_b.tenant_id) as session:
        user = await create_user(services, session, email, "Eve", PASSWORD, 1990)
        await add_membership(session, tenant_b.tenant_id, user.id, Role.SALES)
        await session.commit()
    document = (
        "mutation($email: String!, $password: String!, $tenant: ID!) "
        "{ logIn(email: $email, password: $password, tenant: $tenant) { ok tenant { id } } }"
    )
    answers = [
        as_json(
            await runner(None, document, {"email": email, "password": PASSWORD, "tenant": tenant})
        )
        for tenant in (encode_id("Tenant", tenant_a.tenant_id), never_existing_ids()["tenant"])
    ]
    assert answers[0] == answers[1]
    assert "NOT_FOUND" in answers[0]


async def test_their_contacts_access_log_answers_like_a_missing_contacts(
    runner: Runner, tenant_a: TenantWorld, tenant_b: TenantWorld, world: tuple[Ids, Ids]
) -> None:
    theirs, _own = world
    read = await runner(
        tenant_a.principal(Role.OWNER),
        "query($id: ID!) { contact(id: $id) { email } }",
        {"id": theirs["contact"]},
    )
    assert read.errors is None, read.errors
    document = (
        "query($id: ID!) { personalDataAccess(contact: $id) "
        "{ occurredAt purposes categoriesShown requestId actor { id } } }"
    )
    logged = await runner(tenant_a.principal(Role.OWNER), document, {"id": theirs["contact"]})
    assert logged.errors is None and len(logged.data["personalDataAccess"]) == 1
    caller = tenant_b.principal(Role.OWNER)
    with_theirs = await runner(caller, document, {"id": theirs["contact"]})
    with_missing = await runner(caller, document, {"id": never_existing_ids()["contact"]})
    assert as_json(with_theirs) == as_json(with_missing)
    assert "NOT_FOUND" in as_json(with_missing)


def _named_type(gql_type: Any) -> Any:
    while hasattr(gql_type, "of_type"):
        gql_type = gql_type.of_type
    return gql_type


def _takes_an_id(args: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    from graphql import GraphQLInputObjectType

    for arg in args.values():
        named = _named_type(arg.type)
        if named.name == "ID":
            return True
        if (
            isinstance(named, GraphQLInputObjectType)
            and named.name not in seen
            and _takes_an_id(named.fields, seen | {named.name})
        ):
            return True
    return False


# Root fields taking ids that are covered elsewhere in this file.
COVERED_ELSEWHERE = {"logIn", "personalDataAccess"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_root_field_that_takes_an_id_is_in_the_matrix(runner: Runner) -> None:
    """New operations join the matrix: any root field with an ID argument (directly or
    inside an input) must appear in one of the documents above."""
    import re

    schema = runner.schema._schema
    documents = " ".join(p.values[0].document for p in QUERIES + MUTATIONS)
    used = set(re.findall(r"\b(\w+)\s*\(", documents)) | COVERED_ELSEWHERE
    missing = [
        f"{root.name}.{name}"
        for root in (schema.query_type, schema.mutation_type)
        for name, field in root.fields.items()
        if _takes_an_id(field.args) and name not in used
    ]
    assert missing == [], " ".join(missing)
