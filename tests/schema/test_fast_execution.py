"""The fast executor answers exactly like graphql-core's stock executor: the same data
and errors, byte for byte, and the same redactions, for leaf lists and for nested
relations, and it never serves a field without that field's policy."""

import orjson
import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from auth.permissions import Role
from core.context import RequestContext
from schema.build import build_schema
from schema.extensions import schema_extensions
from server.execution import execute_operation

CONTACT = """mutation($input: CreateContactInput!, $consents: [ConsentInput!]) {
  createContact(input: $input, consents: $consents) { contact { id } } }"""
COMPANY = (
    "mutation($input: CreateCompanyInput!) { createCompany(input: $input) { company { id } } }"
)
DEAL = "mutation($input: CreateDealInput!) { createDeal(input: $input) { deal { id } } }"
ACTIVITY = (
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) { activity { id } } }"
)
RESTRICT = "mutation($c: ID!) { restrictProcessing(contact: $c) { contact { id } } }"

QUERIES = {
    "leaf list": "{ contacts(first: 10) { nodes { id firstName email phone dateOfBirth } } }",
    "nested relations": """{ contacts(first: 10) { nodes { id email company { name address
        deals(first: 3) { title amount activities(first: 2) { subject body } } } } } }""",
    "aliases and typename": """{ contacts(first: 10) { nodes { __typename a: email b: email
        c: company { __typename n: name } } } }""",
    "relation the role may not read": "{ contacts(first: 10) { nodes { id deals { title } } } }",
    "to-one and back": """{ deals(first: 10) { nodes { title primaryContact { email
        company { name } } company { contacts(first: 2) { lastName } } } } }""",
    "optional links": """{ activities(first: 10) { nodes { subject body deal { title }
        company { name } contact { email phone } } } }""",
    "page size refused in a nested relation": """{ contacts(first: 5) { nodes { id
        deals(first: 1000) { title } } } }""",
}


@pytest.fixture
async def world(runner, services, tenant_a):
    owner = tenant_a.principal(Role.OWNER)

    async def make(query, variables, path):
        result = await runner(owner, query, variables)
        assert result.errors is None, result.errors
        node = result.data
        for key in path:
            node = node[key]
        return node["id"]

    company = await make(COMPANY, {"input": {"name": "Initech", "address": "1 Main St"}},
                         ["createCompany", "company"])  # fmt: skip
    contacts = []
    for i, consent in enumerate([True, False, None]):
        consents = (
            None
            if consent is None
            else [{"purpose": "MARKETING", "granted": consent, "source": "form", "evidence": "e1"}]
        )
        contacts.append(await make(
            CONTACT,
            {"input": {"firstName": f"P{i}", "lastName": f"L{i}", "email": f"p{i}@example.com",
                       "phone": "+442071838750", "dateOfBirth": "1980-01-02", "company": company},
             "consents": consents},
            ["createContact", "contact"],
        ))  # fmt: skip
    await runner(owner, RESTRICT, {"c": contacts[2]})
    for i, contact in enumerate(contacts):
        deal = await make(DEAL, {"input": {"title": f"Deal {i}", "amount": "10.00",
                                           "currency": "EUR", "company": company,
                                           "primaryContact": contact}},
                          ["createDeal", "deal"])  # fmt: skip
        await make(ACTIVITY, {"input": {"kind": "NOTE", "subject": f"Note {i}", "body": "secret",
                                        "contact": contact, "deal": deal}},
                   ["createActivity", "activity"])  # fmt: skip
    return tenant_a


async def _run(services, schema, principal, query):
    ctx = RequestContext(services=services, principal=principal)
    result = await execute_operation(schema, ctx, query)
    body = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    redactions = sorted(orjson.dumps(r) for r in (result.extensions or {}).get("redactions", []))
    return orjson.dumps(body), redactions


@pytest.mark.parametrize("role", [Role.SALES, Role.MARKETING, Role.SUPPORT, Role.READ_ONLY])
@pytest.mark.parametrize("name", list(QUERIES))
async def test_fast_executor_answers_like_the_stock_executor(services, world, role, name):
    extensions = schema_extensions(services.settings)
    fast = build_schema(extensions=extensions)
    stock = build_schema(
        extensions=extensions, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    principal = world.principal(role)
    assert await _run(services, fast, principal, QUERIES[name]) == await _run(
        services, stock, principal, QUERIES[name]
    )
