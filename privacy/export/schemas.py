"""The committed JSON Schemas of the package's JSON files (privacy/export/schemas/).

Every JSON file is validated against its schema when the package is built (a file
that does not match is a bug, and the build fails rather than ship it); the tests
validate the unzipped files again, independently.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMAS = {
    "manifest.json": "manifest.schema.json",
    "processing.json": "processing.schema.json",
    "data.json": "data.schema.json",
    "consent_history.json": "consent_history.schema.json",
    "requests.json": "requests.schema.json",
    "access_log.json": "access_log.schema.json",
}
"""Each JSON file of the package and its schema."""


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents)
        resources += [(path.name, resource), (contents["$id"], resource)]
    return Registry().with_resources(resources)


@cache
def validator(file_name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / SCHEMAS[file_name]).read_text())
    return Draft202012Validator(
        schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def validate(file_name: str, document: Any) -> None:
    """Raises jsonschema.ValidationError when `document` does not match."""
    validator(file_name).validate(document)
