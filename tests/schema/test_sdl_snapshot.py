"""The printed SDL is committed as schema.graphql: a diff there is a permission change
and is reviewed as one. Regenerate with `make schema`."""

from pathlib import Path

from schema.build import build_schema

SNAPSHOT = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code():
    printed = str(build_schema()) + "\n"
    assert SNAPSHOT.read_text() == printed, "schema.graphql is stale: run `make schema`"
