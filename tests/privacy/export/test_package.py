"""The export package (policy section 9; GDPR Art. 15 and 20): built for a verified
access request through the API, downloaded through its signed link, then unzipped and
checked file by file against the committed schemas, the manifest's hashes, the data
map, and the canaries of everyone the package must not disclose."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from core.services import Services
from privacy.data_map import Subject, records_of_processing
from privacy.export.schemas import SCHEMAS, validator
from privacy.request_rules import RequestKind
from privacy.subprocessors import SUBPROCESSORS
from tests.privacy.export.conftest import (
    Planted,
    built_export,
    documents,
    download,
    everything,
    unzip,
)
from tests.support.world import Runner, TenantWorld


@pytest.fixture
async def package(
    services: Services,
    runner: Runner,
    tenant_a: TenantWorld,
    planted: Planted,
    client: httpx.AsyncClient,
) -> bytes:
    export = await built_export(services, runner, tenant_a, planted.request_gid)
    assert (export["status"], export["progress"], export["error"]) == ("DONE", 100, None)
    response = await download(client, export["downloadUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert hashlib.sha256(response.content).hexdigest() == export["sha256"]
    return response.content


def test_the_package_holds_the_files_the_manifest_lists(package: bytes) -> None:
    files = unzip(package)
    manifest = documents(files)["manifest.json"]
    assert sorted(f["name"] for f in manifest["files"]) == sorted(set(files) - {"manifest.json"})
    assert set(files) >= {"processing.json", "data.json", "data.csv", "consent_history.json",
                          "requests.json", "access_log.json"}  # fmt: skip


def test_every_json_file_validates_against_its_committed_schema(package: bytes) -> None:
    for name, document in documents(unzip(package)).items():
        errors = [e.message for e in validator(name).iter_errors(document)]
        assert errors == [], name


def test_the_committed_schemas_are_valid_json_schemas() -> None:
    for name in SCHEMAS:
        Draft202012Validator.check_schema(validator(name).schema)


def test_every_file_hash_matches_the_manifest(package: bytes) -> None:
    files = unzip(package)
    for entry in documents(files)["manifest.json"]["files"]:
        body = files[entry["name"]]
        assert (hashlib.sha256(body).hexdigest(), len(body)) == (
            entry["sha256"],
            entry["size_bytes"],
        )


def test_the_person_s_data_is_in_json_with_category_and_collection_time(
    package: bytes, planted: Planted
) -> None:
    data = documents(unzip(package))["data.json"]
    assert data["subject"] == {"kind": "contact", "id": str(planted.person)}
    contact = next(r for r in data["records"] if r["table"] == "contact")
    assert contact["fields"]["email"]["value"] == planted.own["email"]
    assert contact["fields"]["email"]["category"] == "EMAIL"
    assert contact["fields"]["first_name"]["collected_at"] == contact["collected_at"] is not None
    deal = next(r for r in data["records"] if r["table"] == "deal")
    assert deal["fields"]["title"]["value"] == planted.own["deal"]


def test_the_person_s_data_is_in_the_csv_too(package: bytes, planted: Planted) -> None:
    rows = list(csv.DictReader(io.StringIO(unzip(package)["data.csv"].decode())))
    values = {(r["table"], r["field"]): r for r in rows if r["record_id"] == str(planted.person)}
    assert values[("contact", "notes")]["value"] == planted.own["notes"]
    assert values[("contact", "notes")]["category"] == "NOTES"


def test_another_contact_in_a_shared_activity_is_redacted_and_nowhere_in_the_zip(
    package: bytes, planted: Planted
) -> None:
    data = documents(unzip(package))["data.json"]
    shared = [r for r in data["records"] if r["table"] == "activity"
              and r["fields"]["subject"]["value"] is None]  # fmt: skip
    assert len(shared) == 1
    assert shared[0]["fields"]["body"]["value"] is None
    assert shared[0]["fields"]["kind"]["value"] == "call"  # not personal: kept
    blob = everything(package)
    for value in planted.foreign.values():
        assert value.encode() not in blob


def test_redactions_and_withheld_categories_are_listed_with_reasons(package: bytes) -> None:
    manifest = documents(unzip(package))["manifest.json"]
    reasons = {(r["path"][0], r["path"][2], r["reason"]) for r in manifest["redactions"]}
    assert reasons == {
        ("activity", "subject", "OTHER_PERSON"),
        ("activity", "body", "OTHER_PERSON"),
    }
    withheld = {w["what"]: w for w in manifest["withheld"]}
    assert "contact.email_bidx" in withheld
    assert "another person" in next(
        w["why"] for w in manifest["withheld"] if w["what"] == "other people"
    )


def test_blind_indexes_never_leave(package: bytes, planted: Planted) -> None:
    blob = everything(package)
    assert planted.foreign["person_bidx"].encode() not in blob
    assert bytes.fromhex(planted.foreign["person_bidx"]) not in blob


def test_processing_json_is_generated_from_the_data_map(package: bytes) -> None:
    processing = documents(unzip(package))["processing.json"]
    expected = {r.purpose.value for r in records_of_processing()
                if Subject.CONTACT in r.subjects and r.categories}  # fmt: skip
    assert {p["purpose"] for p in processing["purposes"]} == expected
    assert {s.text for s in SUBPROCESSORS} <= set(processing["recipients"])
    assert {k.value for k in RequestKind} <= {r["right"] for r in processing["rights"]}
    assert processing["controller"]["role"] == "tenant"
    for category in processing["categories"]:
        assert category["retention"], category["category"]


def test_consent_history_requests_and_access_log_are_included(
    package: bytes, planted: Planted
) -> None:
    docs: dict[str, Any] = documents(unzip(package))
    consent = docs["consent_history.json"]["records"]
    assert [r["fields"]["purpose"]["value"] for r in consent if r["table"] == "consent_event"] == [
        "marketing"
    ]
    assert [r["id"] for r in docs["requests.json"]["records"]] == [str(planted.request)]
    (access,) = docs["access_log.json"]["accesses"]
    assert (access["accessor"], access["categories_shown"]) == ("sales", ["EMAIL", "NAME"])


def test_the_scope_names_every_table_the_package_is_drawn_from(package: bytes) -> None:
    manifest = documents(unzip(package))["manifest.json"]
    records = documents(unzip(package))["data.json"]["records"]
    assert {r["table"] for r in records} <= set(manifest["scope"]["tables"])
    assert "audit_subject" in manifest["scope"]["tables"]


def test_a_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_neutralised() -> None:
    from privacy.export.package import spreadsheet_safe

    assert (
        spreadsheet_safe('=HYPERLINK("http://evil.example")')
        == '\'=HYPERLINK("http://evil.example")'
    )
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("Ada") == "Ada"
    assert spreadsheet_safe(42) == 42
