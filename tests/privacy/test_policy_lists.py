"""The registers behind the policy's lists of sections 4, 6, 8 and 9 hold against the
code: every measure and sub-processor names code that exists, every right names
operations the schema has, and the disclosure lines follow the role and purpose tables."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from graphql import GraphQLSchema

from auth.permissions import ROLE_GRANTS, Role
from privacy.categories import DESCRIPTIONS
from privacy.categories import DataCategory as C
from privacy.disclosure import disclosure_items
from privacy.measures import ISOLATION, SECURITY
from privacy.request_rules import RequestKind
from privacy.rights import REQUESTS, RIGHTS
from privacy.subprocessors import SUBPROCESSORS
from schema.build import build_schema

EVIDENCE = sorted(
    {name for m in (*ISOLATION, *SECURITY) for name in m.evidence}
    | {name for s in SUBPROCESSORS for name in s.evidence}
)


def resolve(name: str) -> Any:
    module_name, _, path = name.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in path.split("."):
        found = getattr(found, part)
    return found


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def root_fields(schema: GraphQLSchema) -> set[str]:
    roots = (schema.query_type, schema.mutation_type)
    return {name for root in roots if root is not None for name in root.fields}


@pytest.mark.parametrize("name", EVIDENCE)
def test_each_named_measure_and_sub_processor_exists_in_the_code(name: str) -> None:
    assert resolve(name) is not None


def test_evidence_of_code_that_is_gone_is_refused() -> None:
    with pytest.raises(AttributeError):
        resolve("privacy.crypto:RemovedCipher")


def test_every_operation_a_right_names_is_in_the_schema(schema: GraphQLSchema) -> None:
    named = {op for right in RIGHTS for op in right.operations} | set(REQUESTS)
    assert named - root_fields(schema) == set()


def test_every_kind_of_privacy_request_has_its_right_listed() -> None:
    assert [right.kind for right in RIGHTS] == list(RequestKind)


def test_each_role_is_listed_with_only_what_its_purposes_may_use() -> None:
    (read_only,) = [i for i in disclosure_items() if i.startswith("Members with the read only")]
    assert DESCRIPTIONS[C.JOB] in read_only
    assert DESCRIPTIONS[C.EMAIL] not in read_only
    assert len([i for i in disclosure_items() if i.startswith("Members with")]) == len(Role)
    assert set(ROLE_GRANTS) == set(Role)


def test_sharing_outside_the_organisation_is_listed_as_needing_consent() -> None:
    assert any("only with the person's consent" in item for item in disclosure_items())
