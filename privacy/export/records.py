"""One stored row as the export package holds it.

Only the columns the data map (privacy/data_map.py) marks `exported` are read; secrets,
password hashes, token hashes and blind indexes are never exported, so they are never
read here. Every personal-data value goes through the policy runtime (`render_row`)
under the person's `SubjectAccessPolicy`: shown when the row's data subject is the
person receiving the package, redacted (OTHER_PERSON) otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from auth.permissions import Permission
from privacy.data_map import DATA_MAP, ColumnMap
from privacy.decision import FieldPolicy, SubjectAccessPolicy, SubjectState
from privacy.render import Decrypt, PiiSpec, Redaction, render_row

TIME_COLUMNS = ("created_at", "recorded_at", "accepted_at", "occurred_at", "received_at")
"""The column that says when a row was collected, first one present wins."""


def field_name(column: str) -> str:
    """How the package names a column: without the storage suffix (`email_enc` -> email)."""
    return column.removesuffix("_enc")


@cache
def exported_columns(table: str) -> tuple[ColumnMap, ...]:
    return tuple(c for c in DATA_MAP[table].columns.values() if c.exported)


@cache
def _specs(table: str) -> tuple[tuple[str, PiiSpec], ...]:
    """A runtime spec per exported personal column. The permission is never consulted
    (subject access decides on whose data it is), PRIVACY_ADMIN only names who handles
    the request."""
    return tuple(
        (
            c.name,
            PiiSpec(
                FieldPolicy(c.category, Permission.PRIVACY_ADMIN),
                c.name,
                "text" if c.encrypted else "none",
            ),
        )
        for c in exported_columns(table)
        if c.category is not None
    )


def plain_value(value: Any) -> Any:
    """A JSON value; raw bytes never leave (an encrypted column is decrypted first)."""
    if isinstance(value, bytes):
        raise TypeError("raw bytes in an export")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


@dataclass
class Record:
    """A row as exported: each field with its category (None: not personal data) and
    its collection time, and the redactions made in it."""

    table: str
    id: str | None
    collected_at: str | None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    redactions: list[Redaction] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "description": DATA_MAP[self.table].description,
            "id": self.id,
            "collected_at": self.collected_at,
            "fields": self.fields,
        }


def _collected_at(row: Any) -> str | None:
    for name in TIME_COLUMNS:
        value = getattr(row, name, None)
        if value is not None:
            return str(plain_value(value))
    return None


def export_record(
    table: str,
    row: Any,
    *,
    policy: SubjectAccessPolicy,
    subject_id: uuid.UUID | None,
    decrypt: Decrypt,
) -> Record:
    """`row` (an ORM object or anything with the columns as attributes) as exported;
    `subject_id` is whose personal data the row holds."""
    rendered = render_row(policy, _specs(table), row, decrypt, SubjectState(subject_id=subject_id))
    raw_id = getattr(row, "id", None)
    record = Record(table, None if raw_id is None else str(raw_id), _collected_at(row))
    for column in exported_columns(table):
        value = rendered.values[column.name] if column.personal else getattr(row, column.name)
        record.fields[field_name(column.name)] = {
            "value": plain_value(value),
            "category": column.category.name if column.category else None,
            "collected_at": record.collected_at,
        }
    for entry in rendered.redactions:
        record.redactions.append(
            {**entry, "path": [table, record.id, field_name(str(entry["path"][0]))]}
        )
    return record


def export_records(
    table: str,
    rows: Iterable[tuple[Any, uuid.UUID | None]],
    *,
    policy: SubjectAccessPolicy,
    decrypt: Decrypt,
) -> list[Record]:
    """Several rows of one table, each with its own data subject."""
    return [
        export_record(table, row, policy=policy, subject_id=subject, decrypt=decrypt)
        for row, subject in rows
    ]
