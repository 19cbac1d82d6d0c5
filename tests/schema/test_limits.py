"""Query limits: each refusal has its code, and fragments cannot hide anything."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError, build_schema, get_introspection_query, parse, validate
from strawberry.extensions import DisableValidation, ParserCache, ValidationCache

from core.settings import Limits
from schema.limits import (
    LimitsExtension,
    TokenLimitExtension,
    check_token_count,
    is_limit_error,
    limit_validation_rules,
    limits_extensions,
)

CALLS: list[str] = []


@strawberry.type
class Node:
    id: strawberry.ID
    name: str | None

    @strawberry.field
    def children(self, first: int | None = None) -> list[Node]:
        CALLS.append("children")
        return [Node(id=f"{self.id}.1", name="child")]


@strawberry.type
class Query:
    @strawberry.field
    def node(self) -> Node:
        CALLS.append("node")
        return Node(id="1", name="root")

    @strawberry.field
    def count(self, values: list[int]) -> int:
        CALLS.append("count")
        return len(values)


LIMITS = Limits()
SCHEMA = strawberry.Schema(query=Query, extensions=limits_extensions(LIMITS))


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CALLS.clear()


def run(query: str, schema: strawberry.Schema = SCHEMA, **kwargs: Any) -> Any:
    return schema.execute_sync(query, **kwargs)


def codes(result: Any) -> list[str | None]:
    return [(error.extensions or {}).get("code") for error in result.errors or []]


def nested(depth: int) -> str:
    """Selections `depth` levels deep below the enclosing field (cheap: first: 1)."""
    if depth == 1:
        return "{ id }"
    return "{ children(first: 1) " + nested(depth - 1) + " }"


# --- depth --------------------------------------------------------------------------


def test_query_at_the_depth_limit_passes() -> None:
    result = run("{ node " + nested(9) + " }")  # node + 9 = 10 levels
    assert result.errors is None
    assert result.data["node"]["children"]


def test_query_over_the_depth_limit_is_refused_with_its_code() -> None:
    result = run("{ node " + nested(10) + " }")
    assert codes(result) == ["QUERY_TOO_DEEP"]
    assert "11 levels" in result.errors[0].message
    assert CALLS == []


def test_depth_through_a_named_fragment_is_refused() -> None:
    result = run("{ node { ...Deep } } fragment Deep on Node " + nested(10))
    assert codes(result) == ["QUERY_TOO_DEEP"]


def test_depth_through_an_inline_fragment_is_refused() -> None:
    result = run("{ node { ... on Node " + nested(10) + " } }")
    assert codes(result) == ["QUERY_TOO_DEEP"]


@pytest.mark.parametrize("name", ["__schema", "__type", "__typename"])
def test_depth_through_a_fragment_named_like_introspection_is_refused(name: str) -> None:
    # strawberry's QueryDepthLimiter ignores every `__`-prefixed name, spreads included.
    result = run(f"{{ node {{ ...{name} }} }} fragment {name} on Node " + nested(10))
    assert "QUERY_TOO_DEEP" in codes(result)
    assert CALLS == []


def test_depth_through_a_root_fragment_named_schema_is_refused() -> None:
    result = run("{ ...__schema } fragment __schema on Query { node " + nested(10) + " }")
    assert codes(result) == ["QUERY_TOO_DEEP"]


def test_depth_through_an_alias_named_schema_at_the_root_is_refused() -> None:
    # Only the real introspection *fields* are exempt, not aliases that look like them.
    result = run("{ __schema: node " + nested(10) + " }")
    assert "QUERY_TOO_DEEP" in codes(result)


def test_depth_through_nested_fragments_is_refused() -> None:
    query = (
        "{ node { ...A } }"
        " fragment A on Node { children(first: 1) { ... on Node { ...B } } }"
        " fragment B on Node { children(first: 1) { ...C } }"
        " fragment C on Node " + nested(9)
    )
    assert codes(run(query)) == ["QUERY_TOO_DEEP"]


def test_fragment_cycle_is_refused_without_hanging() -> None:
    result = run("{ node { ...A } } fragment A on Node { children(first: 1) { ...A } }")
    assert result.errors
    assert CALLS == []


def test_standard_introspection_query_passes_the_default_limits() -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    result = run(query)
    assert result.errors is None
    assert result.data["__schema"]["queryType"] == {"name": "Query", "kind": "OBJECT"}


def test_introspection_cycles_are_still_refused_with_the_depth_code() -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    assert codes(run(query)) == ["QUERY_TOO_DEEP"]


def test_introspection_has_its_own_depth_ceiling() -> None:
    of_type = "{ name }"
    for _ in range(25):
        of_type = "{ ofType " + of_type + " }"
    assert codes(run('{ __type(name: "Node") ' + of_type + " }")) == ["QUERY_TOO_DEEP"]


# --- aliases ------------------------------------------------------------------------


def aliased(count: int) -> str:
    return " ".join(f"a{i}: id" for i in range(count))


def test_fifteen_aliases_pass() -> None:
    result = run("{ node { " + aliased(15) + " } }")
    assert result.errors is None


def test_sixteen_aliases_are_refused() -> None:
    result = run("{ node { " + aliased(16) + " } }")
    assert codes(result) == ["TOO_MANY_ALIASES"]
    assert CALLS == []


def test_aliases_in_a_fragment_used_twice_are_counted_twice() -> None:
    fragment = "fragment F on Node { " + aliased(8) + " }"
    assert run("{ node { ...F } } " + fragment).errors is None
    result = run("{ node { ...F children(first: 1) { ...F } } } " + fragment)
    assert codes(result) == ["TOO_MANY_ALIASES"]


def test_alias_fan_out_through_fragments_is_counted_without_expanding() -> None:
    # 2**40 uses: counting per use must be memoised, not expanded.
    fragments = " ".join(
        f"fragment F{i} on Node {{ a{i}: id ...F{i + 1} ...F{i + 1} }}" for i in range(40)
    )
    started = time.perf_counter()
    result = run("{ node { ...F0 } } " + fragments + " fragment F40 on Node { id }")
    assert "TOO_MANY_ALIASES" in codes(result)
    assert time.perf_counter() - started < 1


# --- directives ---------------------------------------------------------------------


def directed(count: int) -> str:
    return " ".join(f"a{i}: id @include(if: true)" for i in range(count))


def test_nine_directives_pass() -> None:
    assert run("{ node { " + directed(9) + " } }").errors is None


def test_ten_directives_are_refused() -> None:
    result = run("{ node { " + directed(10) + " } }")
    assert codes(result) == ["TOO_MANY_DIRECTIVES"]
    assert CALLS == []


def test_directives_on_fragments_and_skip_are_counted() -> None:
    query = (
        "{ node { ...F @include(if: true) ... on Node @skip(if: false) { id }"
        " " + " ".join(f"b{i}: name @skip(if: false)" for i in range(7)) + " } }"
        " fragment F on Node { id @include(if: true) }"
    )
    assert codes(run(query)) == ["TOO_MANY_DIRECTIVES"]


# --- cost ---------------------------------------------------------------------------


def test_costly_nested_lists_are_refused() -> None:
    query = (
        "{ node { children(first: 100) { children(first: 100) {"
        " children(first: 100) { id name } } } } }"
    )
    result = run(query)
    assert codes(result) == ["QUERY_TOO_COSTLY"]
    assert CALLS == []


def test_cheap_nested_lists_pass() -> None:
    query = (
        "{ node { children(first: 10) { children(first: 10) { children(first: 10) { id } } } } }"
    )
    assert run(query).errors is None


def test_lists_without_a_page_size_are_costed_at_the_maximum_page() -> None:
    assert codes(run("{ node { children { children { children { id } } } } }")) == [
        "QUERY_TOO_COSTLY"
    ]


def test_page_size_from_variables_is_used() -> None:
    query = (
        "query($n: Int) { node { children(first: $n) { children(first: $n) {"
        " children(first: $n) { id } } } } }"
    )
    assert run(query, variable_values={"n": 5}).errors is None
    assert codes(run(query, variable_values={"n": 100})) == ["QUERY_TOO_COSTLY"]


def test_page_size_from_a_variable_default_is_used() -> None:
    query = (
        "query($n: Int = 100) { node { children(first: $n) { children(first: $n) {"
        " children(first: $n) { id } } } } }"
    )
    assert codes(run(query)) == ["QUERY_TOO_COSTLY"]


def test_cost_through_fragments_is_counted() -> None:
    query = (
        "{ node { ...A } } fragment A on Node { children(first: 100) { ...B } }"
        " fragment B on Node { children(first: 100) {"
        " ... on Node { children(first: 100) { id } } } }"
    )
    assert codes(run(query)) == ["QUERY_TOO_COSTLY"]


# --- tokens -------------------------------------------------------------------------


def with_tokens(count: int) -> str:
    """`{ count(values: [1 1 ...]) }` is 9 tokens plus one per value.

    A list literal rather than repeated fields: graphql-core 3.3 aborts validating
    ~2000 identical fields (its overlapping-fields complexity budget).
    """
    return "{ count(values: [" + "1 " * (count - 9) + "]) }"


def test_query_with_2000_tokens_passes() -> None:
    result = run(with_tokens(2000))
    assert result.errors is None
    assert result.data == {"count": 1991}


def test_query_with_2001_tokens_is_refused_without_running_a_resolver() -> None:
    result = run(with_tokens(2001))
    assert codes(result) == ["TOO_MANY_TOKENS"]
    assert result.data is None
    assert CALLS == []


async def test_query_with_2001_tokens_is_refused_on_the_async_path_too() -> None:
    result = await SCHEMA.execute(with_tokens(2001))
    assert codes(result) == ["TOO_MANY_TOKENS"]
    assert CALLS == []


def test_comments_count_as_tokens() -> None:
    query = with_tokens(1000) + "\n#" * 1001
    assert codes(run(query)) == ["TOO_MANY_TOKENS"]


def test_huge_document_is_refused_after_the_limit_only() -> None:
    query = with_tokens(1_000_000)
    started = time.perf_counter()
    assert codes(run(query)) == ["TOO_MANY_TOKENS"]
    assert time.perf_counter() - started < 0.5  # a full parse takes seconds


def test_other_syntax_errors_keep_strawberrys_message() -> None:
    result = run("{ node { id ")
    assert result.errors[0].message.startswith("Syntax Error: Expected Name")
    assert codes(result) == [None]


def test_check_token_count_counts_up_to_the_limit() -> None:
    check_token_count(with_tokens(2000), 2000)
    with pytest.raises(GraphQLError) as refused:
        check_token_count(with_tokens(2001), 2000)
    assert refused.value.extensions == {"code": "TOO_MANY_TOKENS"}
    check_token_count("{ node { id ", 2000)  # syntax errors are the parser's business


def test_token_limit_keeps_its_code_with_a_parser_cache_after_it() -> None:
    schema = strawberry.Schema(
        query=Query, extensions=[*limits_extensions(LIMITS), lambda: ParserCache(maxsize=8)]
    )
    assert codes(run(with_tokens(2001), schema)) == ["TOO_MANY_TOKENS"]
    assert run(with_tokens(2000), schema).errors is None


# --- wiring and per-request state ---------------------------------------------------


def test_extensions_are_usable_as_plain_classes_with_default_limits() -> None:
    schema = strawberry.Schema(query=Query, extensions=[TokenLimitExtension, LimitsExtension])
    assert codes(run("{ node { " + aliased(16) + " } }", schema)) == ["TOO_MANY_ALIASES"]
    assert codes(run(with_tokens(2001), schema)) == ["TOO_MANY_TOKENS"]


def test_limits_come_from_the_given_limits() -> None:
    schema = strawberry.Schema(
        query=Query, extensions=limits_extensions(Limits(max_aliases=1, max_tokens=20))
    )
    assert codes(run("{ node { a: id b: id } }", schema)) == ["TOO_MANY_ALIASES"]
    assert codes(run(with_tokens(21), schema)) == ["TOO_MANY_TOKENS"]
    assert run(with_tokens(20), schema).errors is None


def test_extension_classes_keep_no_state_between_two_requests() -> None:
    refused = run("{ node { " + aliased(16) + " } }")
    assert codes(refused) == ["TOO_MANY_ALIASES"]
    passed = run("{ node { " + aliased(15) + " } }")
    assert passed.errors is None
    query = "query($n: Int) { node { children(first: $n) { children(first: $n) { id } } } }"
    assert codes(run(query, variable_values={"n": 1000})) == ["QUERY_TOO_COSTLY"]
    assert run(query, variable_values={"n": 2}).errors is None
    first, second = SCHEMA.get_extensions(), SCHEMA.get_extensions()
    assert not set(map(id, first)) & set(map(id, second))


async def test_concurrent_requests_do_not_share_variables() -> None:
    query = "query($n: Int) { node { children(first: $n) { children(first: $n) { id } } } }"
    costly, cheap = await asyncio.gather(
        SCHEMA.execute(query, variable_values={"n": 1000}),
        SCHEMA.execute(query, variable_values={"n": 2}),
    )
    assert codes(costly) == ["QUERY_TOO_COSTLY"]
    assert cheap.errors is None


def test_disable_validation_after_the_limits_cannot_switch_them_off() -> None:
    schema = strawberry.Schema(
        query=Query, extensions=[*limits_extensions(LIMITS), DisableValidation]
    )
    assert codes(run("{ node { " + aliased(16) + " } }", schema)) == ["TOO_MANY_ALIASES"]


def test_validation_cache_after_the_limits_still_applies_them() -> None:
    schema = strawberry.Schema(
        query=Query, extensions=[*limits_extensions(LIMITS), lambda: ValidationCache(maxsize=8)]
    )
    for _ in range(2):
        assert codes(run("{ node { " + aliased(16) + " } }", schema)) == ["TOO_MANY_ALIASES"]


def test_refusals_are_recognisable_for_error_masking() -> None:
    result = run("{ node { " + aliased(16) + " } }")
    assert all(is_limit_error(error) for error in result.errors)
    assert not is_limit_error(GraphQLError("boom"))


def test_rules_work_with_plain_graphql_core() -> None:
    schema = build_schema(
        "type Node { id: ID! children(first: Int): [Node!]! } type Query { node: Node }"
    )
    document = parse("{ node { " + aliased(16) + " } }")
    errors = validate(schema, document, limit_validation_rules(LIMITS))
    assert [error.extensions for error in errors] == [{"code": "TOO_MANY_ALIASES"}]
    assert limit_validation_rules(LIMITS) == limit_validation_rules(LIMITS)  # cached classes
