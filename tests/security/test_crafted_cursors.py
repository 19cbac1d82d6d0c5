"""Issue 8: a crafted `after`/`before` cursor is client input, checked by type.

Every list and every sort order, with cursors whose JSON holds unexpected types: each
answers `BAD_USER_INPUT` (never `INTERNAL_SERVER_ERROR`), and a genuine cursor still
pages.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from auth.permissions import Role
from tests.security.conftest import Demo

ORDERS = {
    "contacts": ["CREATED_AT", "UPDATED_AT"],
    "companies": ["CREATED_AT", "UPDATED_AT", "NAME"],
    "deals": ["CREATED_AT", "UPDATED_AT", "AMOUNT", "EXPECTED_CLOSE_DATE"],
    "activities": ["CREATED_AT", "UPDATED_AT"],
}
ROW_ID = "0" * 32
CRAFTED: list[Any] = [
    [{"a": 1}, ROW_ID],
    [[1, 2], ROW_ID],
    [True, ROW_ID],
    [1.5, ROW_ID],
    [12345, ROW_ID],
    ["2026-01-01T00:00:00+00:00", 42],
    ["x", None],
    ["x", {"hex": ROW_ID}],
    ["x", "not-a-uuid"],
    ["x"],
    ["x", ROW_ID, "extra"],
    {"value": "x", "id": ROW_ID},
    "just text",
    7,
]


def cursor(payload: Any) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("entity", sorted(ORDERS))
async def test_crafted_cursors_answer_bad_user_input(demo: Demo, entity: str) -> None:
    headers = await demo.headers("acme", Role.OWNER)
    for order in ORDERS[entity]:
        for crafted in CRAFTED:
            for direction in ("after", "before"):
                size = "first" if direction == "after" else "last"
                answer = await demo.gql(
                    f"query($c: String!) {{ {entity}(orderBy: {order}, {size}: 2, "
                    f"{direction}: $c) {{ nodes {{ id }} }} }}",
                    {"c": cursor(crafted)},
                    headers,
                )
                codes = [e["extensions"]["code"] for e in answer.get("errors", [])]
                assert codes == ["BAD_USER_INPUT"], (entity, order, crafted, answer)
                assert answer["errors"][0]["extensions"]["field"] == "cursor"


@pytest.mark.parametrize("entity", sorted(ORDERS))
async def test_a_cursor_of_another_sort_type_is_refused_not_compared(
    demo: Demo, entity: str
) -> None:
    """Text where a number or a date belongs, and a number where text belongs."""
    headers = await demo.headers("acme", Role.OWNER)
    for order in ORDERS[entity]:
        wrong = 42 if order in ("NAME", "AMOUNT", "EXPECTED_CLOSE_DATE") else "yesterday"
        answer = await demo.gql(
            f'{{ {entity}(orderBy: {order}, first: 2, after: "{cursor([wrong, ROW_ID])}") '
            "{ nodes { id } } }",
            None,
            headers,
        )
        codes = [e["extensions"]["code"] for e in answer.get("errors", [])]
        assert codes == ["BAD_USER_INPUT"], (entity, order, answer)


@pytest.mark.parametrize("entity", sorted(ORDERS))
async def test_genuine_cursors_still_page(demo: Demo, entity: str) -> None:
    headers = await demo.headers("acme", Role.OWNER)
    for order in ORDERS[entity]:
        query = (
            f"query($c: String) {{ {entity}(orderBy: {order}, first: 2, after: $c) "
            "{ nodes { id } pageInfo { endCursor } } }"
        )
        first = (await demo.gql(query, {"c": None}, headers))["data"][entity]
        second = await demo.gql(query, {"c": first["pageInfo"]["endCursor"]}, headers)
        assert "errors" not in second, second
        ids = {n["id"] for n in first["nodes"]}
        assert ids.isdisjoint(n["id"] for n in second["data"][entity]["nodes"])
