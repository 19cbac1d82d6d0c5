"""The ZIP: manifest.json, processing.json, data.json and data.csv, consent_history.json,
requests.json and access_log.json (policy section 9; GDPR Art. 15 and 20).

The manifest lists every other file with its SHA-256 and size, the scope, and what was
withheld and why (the data map's columns of these tables that are never exported, and
other people's data redacted by the subject access rule). Every JSON file is checked
against its committed schema before it is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from privacy.data_map import DATA_MAP
from privacy.decision import Reason
from privacy.export.collect import ExportContent, SubjectKind
from privacy.export.processing import processing_statement
from privacy.export.records import field_name
from privacy.export.schemas import SCHEMAS, validate

FORMAT_VERSION = "1.0"
CSV_COLUMNS = ("table", "record_id", "field", "category", "value", "collected_at")

SECRET = "a security secret (a hash of a password or a token): never disclosed to anyone"
NOT_EXPORTED = "kept for the service's own operation, never part of an export"
OTHER_PERSON = (
    "another person's personal data (GDPR Art. 15(4)): redacted where a record about "
    "you names or describes someone else"
)


def withheld(content: ExportContent) -> list[dict[str, Any]]:
    """The data map's personal or described columns of these tables that no export
    holds, and why; then other people's data, when some was redacted."""
    out: list[dict[str, Any]] = []
    for table in content.tables:
        for column in DATA_MAP[table].columns.values():
            if column.exported or (column.category is None and column.label is None):
                continue
            why = column.plain_reason if column.category is not None else SECRET
            out.append({
                "what": f"{table}.{field_name(column.name)}",
                "category": column.category.name if column.category else None,
                "why": f"{why}; {NOT_EXPORTED}" if column.category is not None else why,
            })  # fmt: skip
    redacted = {
        str(entry["category"])
        for entry in content.redactions()
        if entry["reason"] == Reason.OTHER_PERSON.value
    }
    out += [{"what": "other people", "category": c, "why": OTHER_PERSON} for c in sorted(redacted)]
    return out


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is run as a formula by spreadsheet programs."""


def spreadsheet_safe(value: object) -> object:
    """Neutralise formula injection in the CSV (OWASP: prefix a quote); data.json keeps
    the exact value, so nothing is lost."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv(content: ExportContent) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in content.data:
        for name, cell in record.fields.items():
            value = cell["value"]
            writer.writerow((
                record.table, record.id, name, cell["category"] or "",
                "" if value is None else spreadsheet_safe(value), cell["collected_at"] or "",
            ))  # fmt: skip
    return buffer.getvalue().encode()


def _json(file_name: str, document: Any) -> bytes:
    validate(file_name, document)
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False).encode() + b"\n"


def package_files(content: ExportContent) -> dict[str, bytes]:
    """Every file but the manifest, by name."""
    controller = "tenant" if content.kind is SubjectKind.CONTACT else "service"
    subject = {"kind": content.kind.value, "id": str(content.subject_id)}
    data_subject = content.kind.data_subject
    return {
        "processing.json": _json(
            "processing.json",
            processing_statement(data_subject, controller, content.organisation),
        ),
        "data.json": _json(
            "data.json", {"subject": subject, "records": [r.as_json() for r in content.data]}
        ),
        "data.csv": _csv(content),
        "consent_history.json": _json(
            "consent_history.json", {"records": [r.as_json() for r in content.consent]}
        ),
        "requests.json": _json(
            "requests.json", {"records": [r.as_json() for r in content.requests]}
        ),
        "access_log.json": _json("access_log.json", {"accesses": content.access}),
    }


def manifest(content: ExportContent, files: dict[str, bytes], created_at: datetime) -> bytes:
    return _json(
        "manifest.json",
        {
            "format_version": FORMAT_VERSION,
            "subject": {"kind": content.kind.value, "id": str(content.subject_id)},
            "scope": {
                "controller": "tenant" if content.kind is SubjectKind.CONTACT else "service",
                "organisation": content.organisation,
                "request": None if content.request_id is None else str(content.request_id),
                "tables": content.tables,
            },
            "created_at": created_at.isoformat(),
            "files": [
                {
                    "name": name,
                    "sha256": hashlib.sha256(body).hexdigest(),
                    "size_bytes": len(body),
                    "media_type": "text/csv" if name.endswith(".csv") else "application/json",
                    "schema": SCHEMAS.get(name),
                }
                for name, body in files.items()
            ],
            "withheld": withheld(content),
            "redactions": content.redactions(),
        },
    )


def build_zip(content: ExportContent, created_at: datetime) -> bytes:
    files = package_files(content)
    stamp = created_at.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in {"manifest.json": manifest(content, files, created_at), **files}.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()
