"""The data map (privacy/data_map.py) against the code it describes: the tables, the
schema's `@pii` fields, the storage and the erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from graphql import GraphQLObjectType
from sqlalchemy import Column, LargeBinary, MetaData, String, Table
from sqlmodel import SQLModel

import models  # noqa: F401  (every table in the metadata)
from privacy.consent import PERSONAL_COLUMNS
from privacy.data_map import (
    DATA_MAP,
    Erasure,
    Retention,
    ServicePurpose,
    Subject,
    column,
    columns,
    lawful_basis,
    purpose_items,
    records_of_processing,
    retention_items,
    section_items,
)
from privacy.purposes import PURPOSES, Purpose
from privacy.render import PiiSpec
from resolvers import rows
from schema.build import build_schema
from schema.policy import POLICY_KEY

# `@pii` sources that are no column of their type's row class: derived attributes, and
# the types whose rows are assembled from another table (the account holder's data).
DERIVED_SOURCES: dict[tuple[str, str], tuple[str, str]] = {
    ("Contact", "erased"): ("contact", "erased_at"),
    ("Member", "email"): ("app_user", "email_enc"),
    ("Member", "display_name"): ("app_user", "display_name"),
    ("Me", "email"): ("app_user", "email_enc"),
    ("Me", "display_name"): ("app_user", "display_name"),
    ("Me", "birth_year"): ("app_user", "birth_year"),
    ("Invitation", "email"): ("invitation", "email_enc"),
    ("Invitation", "display_name"): ("invitation", "display_name"),
}


def _tables() -> dict[str, Any]:
    return dict(SQLModel.metadata.tables)


def _row_columns() -> dict[tuple[str, str], tuple[str, str]]:
    """(GraphQL type, row attribute) -> (table, column), from resolvers/rows.py."""
    found = {}
    for row in rows.Row.__subclasses__():
        for name, attr in zip(row.NAMES, row.COLUMNS, strict=True):
            col = attr.property.columns[0]
            found[(row.TYPE_NAME, name)] = (col.table.name, col.name)
    return found


def _pii_fields() -> list[tuple[str, str, PiiSpec]]:
    schema = build_schema()._schema
    fields = []
    for type_name, gql_type in schema.type_map.items():
        if not isinstance(gql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        definition = (gql_type.extensions or {}).get("strawberry-definition")
        if definition is None:
            continue
        for field in definition.fields:
            spec = (field.metadata or {}).get(POLICY_KEY)
            if isinstance(spec, PiiSpec):
                fields.append((type_name, field.python_name, spec))
    return fields


PII_FIELDS = _pii_fields()


def _column_of(type_name: str, spec: PiiSpec) -> tuple[str, str]:
    key = (type_name, spec.source)
    direct = _row_columns()
    if key in direct:
        return direct[key]
    return DERIVED_SOURCES[key]


# -- coverage --------------------------------------------------------------------------


def test_every_table_is_in_the_map():
    assert sorted(set(_tables()) - set(DATA_MAP)) == []


def _unclassified(tables: dict[str, Any]) -> list[str]:
    return [
        f"{name}.{col.name}"
        for name, table in tables.items()
        for col in table.columns
        if name in DATA_MAP and col.name not in DATA_MAP[name].columns
    ]


def _invented(tables: dict[str, Any]) -> list[str]:
    return [
        f"{c.table}.{c.name}"
        for c in columns()
        if c.table not in tables or c.name not in tables[c.table].columns
    ]


def test_every_column_of_every_table_is_classified():
    assert _unclassified(_tables()) == []


def test_the_map_names_no_table_or_column_that_does_not_exist():
    assert _invented(_tables()) == []


def test_a_column_added_to_a_table_or_dropped_from_one_is_caught():
    metadata = MetaData()
    for table in _tables().values():
        table.to_metadata(metadata)
    contact = metadata.tables["contact"]
    contact.append_column(Column("nickname", String(50)))
    assert _unclassified(dict(metadata.tables)) == ["contact.nickname"]
    dropped = Table("deal", MetaData(), Column("id", String(36), primary_key=True))
    assert "deal.title_enc" in _invented({**metadata.tables, "deal": dropped})


# -- storage ---------------------------------------------------------------------------


@pytest.mark.parametrize("entry", list(columns()), ids=lambda c: f"{c.table}.{c.name}")
def test_a_column_is_encrypted_exactly_when_it_is_an_enc_large_binary(entry):
    col = _tables()[entry.table].columns[entry.name]
    is_enc = entry.name.endswith("_enc")
    assert entry.encrypted is is_enc
    if is_enc:
        assert isinstance(col.type, LargeBinary)


@pytest.mark.parametrize("entry", list(columns()), ids=lambda c: f"{c.table}.{c.name}")
def test_personal_data_is_encrypted_or_says_why_it_is_plain(entry):
    if entry.personal:
        assert entry.encrypted != bool(entry.plain_reason)
    else:
        assert not entry.encrypted and entry.plain_reason is None


def test_names_kept_plain_for_search_are_listed_as_such():
    assert "search" in (column("contact", "first_name").plain_reason or "")
    assert "search" in (column("contact", "last_name").plain_reason or "")


# -- the schema's @pii fields ----------------------------------------------------------


def test_the_schema_has_pii_fields_to_compare():
    assert {t for t, _, _ in PII_FIELDS} >= {"Contact", "Company", "Activity", "Member", "Me"}


@pytest.mark.parametrize("field", PII_FIELDS, ids=lambda f: f"{f[0]}.{f[1]}")
def test_a_pii_fields_category_is_its_columns_category(field):
    type_name, _, spec = field
    table, name = _column_of(type_name, spec)
    assert column(table, name).category is spec.policy.category


def test_every_derived_source_is_a_pii_field_of_the_schema():
    assert set(DERIVED_SOURCES) <= {(t, spec.source) for t, _, spec in PII_FIELDS}


@pytest.mark.parametrize(
    "field",
    [f for f in PII_FIELDS if (f[0], f[2].source) in _row_columns()],
    ids=lambda f: f"{f[0]}.{f[1]}",
)
def test_a_pii_field_decrypts_exactly_when_its_row_column_is_encrypted(field):
    """Rows built from columns (resolvers/rows.py) hand the stored value to the policy
    runtime, which decrypts it only if the field says so."""
    type_name, _, spec = field
    assert column(*_row_columns()[(type_name, spec.source)]).encrypted is (spec.decode != "none")


# -- purposes, bases, retention ---------------------------------------------------------


@pytest.mark.parametrize("entry", list(columns()), ids=lambda c: f"{c.table}.{c.name}")
def test_personal_data_serves_a_purpose_that_may_use_its_category(entry):
    if not entry.personal:
        assert entry.purposes == frozenset()
        return
    assert entry.purposes
    for purpose in entry.purposes:
        if isinstance(purpose, Purpose):
            assert entry.category in PURPOSES[purpose].categories
    assert entry.lawful_bases


def test_every_column_has_a_retention_rule():
    assert [f"{c.table}.{c.name}" for c in columns() if not c.retention] == []


def test_documented_retention_defaults():
    assert Retention.USAGE_LOG.period == timedelta(days=90)
    assert Retention.SOFT_DELETED.period == timedelta(days=30)
    assert Retention.INACTIVE_PROSPECT.period == timedelta(days=3 * 365)
    assert Retention.UNVERIFIED_INTAKE.period == timedelta(days=30)
    assert Retention.EXPORT_FILE.period == timedelta(days=7)
    assert Retention.PRIVACY_REQUEST.period == timedelta(days=730)
    assert Retention.AUDIT.period is None
    assert Retention.AUDIT.period_text == "as long as the law asks"


def test_the_usage_log_keeps_its_own_rule():
    assert DATA_MAP["usage_event"].retention == (Retention.USAGE_LOG,)


# -- erasure ---------------------------------------------------------------------------


def test_erasure_nulls_exactly_the_contact_columns_erase_contact_clears():
    nulled = {n for n, c in DATA_MAP["contact"].columns.items() if c.erasure is Erasure.NULL}
    assert nulled == set(PERSONAL_COLUMNS)


def test_erasure_leaves_a_shell_in_the_free_text_erase_contact_rewrites():
    shelled = {f"{c.table}.{c.name}" for c in columns() if c.erasure is Erasure.SHELL}
    assert shelled == {
        "consent_event.source",
        "consent_event.evidence",
        "processing_event.reason",
    }


def test_the_contacts_privacy_flags_survive_erasure():
    assert column("contact", "erased_at").erasure is Erasure.KEEP
    assert column("contact", "restricted").erasure is Erasure.KEEP


# -- records of processing and the policy's lists ---------------------------------------


def test_records_of_processing_have_one_record_per_purpose():
    records = records_of_processing()
    assert [r.purpose for r in records] == [*Purpose, *ServicePurpose]


def test_each_record_names_its_purposes_basis_categories_and_retention():
    for record in records_of_processing():
        assert record.lawful_basis is lawful_basis(record.purpose)
        used = [c for c in columns() if record.purpose in c.purposes]
        assert record.categories == {c.category for c in used}
        assert set(record.retention) == {r for c in used for r in c.retention}


def test_every_personal_category_in_the_map_is_in_a_record():
    in_map = {c.category for c in columns() if c.personal}
    in_records = set().union(*(r.categories for r in records_of_processing()))
    assert in_map == in_records


def test_marketing_rests_on_consent():
    (marketing,) = [r for r in records_of_processing() if r.purpose is Purpose.MARKETING]
    assert marketing.lawful_basis.value == "consent"


@pytest.mark.parametrize("section", ["2.1", "2.2", "2.3"])
def test_each_data_section_lists_something(section):
    items = section_items(section)
    assert items and len(items) == len(set(items))


def test_the_usage_section_lists_the_truncated_ip():
    assert "a truncated IP address" in section_items("2.3")


def test_the_purpose_and_retention_lists_cover_every_purpose_and_rule():
    assert len(purpose_items()) == len([r for r in records_of_processing() if r.categories])
    assert len(retention_items()) == len(Retention.ALL)
    assert any("90 days" in item for item in retention_items())


def test_records_name_whose_data_each_purpose_uses():
    by_purpose = {r.purpose: r.subjects for r in records_of_processing()}
    assert by_purpose[Purpose.SALES] == {Subject.CONTACT}
    assert by_purpose[ServicePurpose.ACCOUNT] == {Subject.ACCOUNT_HOLDER, Subject.INVITEE}
