"""Issue 8: what the read-only role is promised (README roles table) is what it gets.

`Company.address` was declared personal data yet shown to `read_only`. Now every
personal-data field of the customer records (policy section 2.2: companies, contacts,
deals, activities) needs a permission the read-only role does not hold; colleagues'
names (account data, section 2.1) are the only personal data it reads.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from graphql import GraphQLObjectType

from auth.permissions import Role, grant_for
from privacy.decision import Verdict, caller_access
from schema.build import build_schema
from schema.policy import POLICY_KEY, PiiSpec
from tests.security.conftest import Demo

CUSTOMER_TYPES = ("Company", "Contact", "Deal", "Activity")
QUERY = "{ companies(first: 50) { nodes { id address } } }"


def pii_fields(type_name: str) -> Iterator[tuple[str, PiiSpec]]:
    gql_type = build_schema()._schema.type_map[type_name]
    assert isinstance(gql_type, GraphQLObjectType)
    definition = gql_type.extensions["strawberry-definition"]
    for field in definition.fields:
        spec = (field.metadata or {}).get(POLICY_KEY)
        if isinstance(spec, PiiSpec):
            yield field.name, spec


@pytest.mark.parametrize("type_name", CUSTOMER_TYPES)
def test_read_only_holds_no_permission_for_customer_personal_data(type_name: str) -> None:
    permissions = grant_for(Role.READ_ONLY).permissions
    fields = dict(pii_fields(type_name))
    readable = {
        name
        for name, spec in fields.items()
        if caller_access(permissions, spec.policy).verdict is not Verdict.REDACT
    }
    assert readable == set()


async def test_read_only_gets_no_company_address_over_http(demo: Demo) -> None:
    answer = await demo.gql(QUERY, None, await demo.headers("acme", Role.READ_ONLY))
    nodes = answer["data"]["companies"]["nodes"]
    assert nodes and all(node["address"] is None for node in nodes)
    listed = [r for r in answer["extensions"]["redactions"] if r["path"][-1] == "address"]
    assert [r["reason"] for r in listed] == ["MISSING_PERMISSION"] * len(nodes)
    assert {r["category"] for r in listed} == {"POSTAL_ADDRESS"}


async def test_sales_still_reads_company_addresses(demo: Demo) -> None:
    answer = await demo.gql(QUERY, None, await demo.headers("acme", Role.SALES))
    nodes = answer["data"]["companies"]["nodes"]
    assert nodes and all(isinstance(node["address"], str) for node in nodes)
