"""The redaction matrix: consent and processing states x roles (permissions and purposes)
x access paths, with the exact value, mask or null and the reason listed in
`extensions.redactions` for every contact field.

Each case is one cell: a contact in one state (tests/privacy/conftest.py SCENARIOS,
moved there through the real mutations), read by one role, through one exit path. The
expectations are written by hand (conftest.SUBJECT_REASONS + expected_cell), never
computed by privacy/decision.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from auth.permissions import Role
from tests.privacy.conftest import (
    FIELDS,
    MATRIX_ROLES,
    SCENARIOS,
    SeededContact,
    SyncWorld,
    expected_cell,
    expected_mask,
)

SELECTION = " ".join(FIELDS)

Path = list[Any]


def _contacts(world: SyncWorld, c: SeededContact, role: Role) -> tuple[Any, Any, Path]:
    query = (
        "query($company: ID!) { contacts(filter: {company: $company}, first: 5) "
        "{ edges { node { id " + SELECTION + " } } } }"
    )
    result = world.run(world.principal(role), query, {"company": c.company_gid})
    edges = (result.data or {}).get("contacts", {}).get("edges") if result.data else None
    assert edges is not None and len(edges) == 1, result
    assert edges[0]["node"]["id"] == c.gid
    return result, edges[0]["node"], ["contacts", "edges", 0, "node"]


def _contact(world: SyncWorld, c: SeededContact, role: Role) -> tuple[Any, Any, Path]:
    query = "query($id: ID!) { contact(id: $id) { id " + SELECTION + " } }"
    result = world.run(world.principal(role), query, {"id": c.gid})
    return result, (result.data or {}).get("contact"), ["contact"]


def _node(world: SyncWorld, c: SeededContact, role: Role) -> tuple[Any, Any, Path]:
    query = "query($id: ID!) { node(id: $id) { id ... on Contact { " + SELECTION + " } } }"
    result = world.run(world.principal(role), query, {"id": c.gid})
    return result, (result.data or {}).get("node"), ["node"]


def _nested(world: SyncWorld, c: SeededContact, role: Role) -> tuple[Any, Any, Path]:
    query = (
        "query($id: ID!) { contact(id: $id) { company { contacts(first: 5) "
        "{ id " + SELECTION + " } } } }"
    )
    result = world.run(world.principal(role), query, {"id": c.gid})
    listed = result.data["contact"]["company"]["contacts"] if result.data else None
    assert listed is not None and len(listed) == 1, result
    assert listed[0]["id"] == c.gid
    return result, listed[0], ["contact", "company", "contacts", 0]


UPDATE = (
    "mutation($id: ID!) { updateContact(id: $id, input: {lifecycleStage: CUSTOMER}) "
    "{ contact { id " + SELECTION + " } } }"
)


def _mutation(world: SyncWorld, c: SeededContact, role: Role) -> tuple[Any, Any, Path]:
    result = world.run(world.principal(role), UPDATE, {"id": c.gid})
    payload = (result.data or {}).get("updateContact")
    return result, payload and payload["contact"], ["updateContact", "contact"]


PATHS: dict[str, Callable[[SyncWorld, SeededContact, Role], tuple[Any, Any, Path]]] = {
    "contacts": _contacts,
    "contact": _contact,
    "node": _node,
    "company_contacts": _nested,
    "update_payload": _mutation,
}
WRITERS = {Role.SALES, Role.MARKETING}
"""Roles holding CONTACTS_WRITE; the others are refused the mutation path."""


def expected(c: SeededContact, role: Role, base: Path) -> tuple[dict[str, Any], dict[tuple, dict]]:
    values: dict[str, Any] = {}
    redactions: dict[tuple, dict] = {}
    for name, category in FIELDS.items():
        cell = expected_cell(c.key, role, name)
        path = (*base, name)
        if cell.kind == "value":
            values[name] = c.values[name]
            continue
        entry = {"path": list(path), "reason": cell.reason, "category": category.name}
        if cell.kind == "mask":
            values[name] = expected_mask(name, c.values[name])  # type: ignore[arg-type]
            entry["masked"] = True
        else:
            values[name] = None
        redactions[path] = entry
    return values, redactions


def _redactions(result: Any) -> dict[tuple, dict]:
    listed = (result.extensions or {}).get("redactions", [])
    keyed = {tuple(r["path"]): r for r in listed}
    assert len(keyed) == len(listed), f"a path is listed twice: {listed}"
    return keyed


CASES = [
    pytest.param(scenario, role, path, id=f"{scenario}-{role.value}-{path}")
    for scenario in SCENARIOS
    for role in MATRIX_ROLES
    for path in PATHS
]


@pytest.mark.parametrize(("scenario", "role", "path"), CASES)
def test_redaction_cell(module_world: SyncWorld, scenario: str, role: Role, path: str) -> None:
    c = module_world.seed.contacts[scenario]
    if path == "update_payload" and role not in WRITERS:
        result = module_world.run(module_world.principal(role), UPDATE, {"id": c.gid})
        assert result.data is None
        assert [e.extensions["code"] for e in result.errors] == ["FORBIDDEN"]
        assert "redactions" not in (result.extensions or {})
        return
    result, node, base = PATHS[path](module_world, c, role)
    assert result.errors is None, result.errors
    want_values, want_redactions = expected(c, role, base)
    assert {name: node[name] for name in FIELDS} == want_values
    assert _redactions(result) == want_redactions


ALIASED = "query($id: ID!) { contact(id: $id) { a: email b: email first: lastName } }"


@pytest.mark.parametrize(
    ("scenario", "role"),
    [
        pytest.param(s, r, id=f"{s}-{r.value}")
        for s in ("none", "withdrawn_marketing", "objected_sales", "erased")
        for r in MATRIX_ROLES
    ],
)
def test_each_alias_is_decided_and_listed_under_its_own_path(
    module_world: SyncWorld, scenario: str, role: Role
) -> None:
    c = module_world.seed.contacts[scenario]
    result = module_world.run(module_world.principal(role), ALIASED, {"id": c.gid})
    assert result.errors is None, result.errors
    want: dict[tuple, dict] = {}
    for alias, name in (("a", "email"), ("b", "email"), ("first", "lastName")):
        cell = expected_cell(scenario, role, name)
        got = result.data["contact"][alias]
        if cell.kind == "value":
            assert got == c.values[name]
            continue
        entry = {"path": ["contact", alias], "reason": cell.reason, "category": FIELDS[name].name}
        if cell.kind == "mask":
            assert got == expected_mask(name, c.values[name])  # type: ignore[arg-type]
            entry["masked"] = True
        else:
            assert got is None
        want[("contact", alias)] = entry
    assert _redactions(result) == want


def test_the_matrix_covers_every_reason(module_world: SyncWorld) -> None:
    """The table exercises each reason of DESIGN's list at least once."""
    reasons = {
        expected_cell(s, r, f).reason for s in SCENARIOS for r in MATRIX_ROLES for f in FIELDS
    }
    assert reasons == {
        None,
        "MISSING_PERMISSION",
        "PURPOSE_NOT_PERMITTED",
        "CONSENT_WITHDRAWN",
        "NO_CONSENT",
        "PROCESSING_RESTRICTED",
        "OBJECTED",
        "ERASED",
        "NOT_PERMITTED_FOR_PURPOSE",
    }
