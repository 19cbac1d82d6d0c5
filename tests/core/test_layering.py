"""The request path reads top-down (issue 9): `server/` composes the application and
nothing below it imports it; the core (context, errors, settings, services) imports
neither the resolvers nor the schema, so the context and the loaders do not import
each other. Every import counts, also inside functions and under TYPE_CHECKING."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BELOW_SERVER = ("auth", "privacy", "resolvers", "schema", "models", "core")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules_of(room: str) -> list[Path]:
    return sorted(p for p in (ROOT / room).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("room", BELOW_SERVER)
def test_nothing_below_server_imports_server(room: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m == "server" or m.startswith("server.")
        )
        for path in modules_of(room)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_core_imports_neither_resolvers_nor_schema() -> None:
    upward = ("resolvers", "schema", "server")
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in upward
        )
        for path in modules_of("core")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
