"""Citus readiness (issue 15; docs/SCALING.md): on a distributed table every primary
key and unique index must include the distribution column (`tenant_id`), and a foreign
key between two distributed tables must include it too (one to a reference table need
not). The catalog of a migrated PostgreSQL database is read and every key of a tenant
table that breaks this is listed; the list must equal the committed known gaps, so a
new table or index without `tenant_id` fails here, and closing a gap means deleting
its line from citus_known_gaps.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.postgres import PostgresDatabase

pytestmark = pytest.mark.postgres

KNOWN_GAPS = Path(__file__).with_name("citus_known_gaps.txt")

TENANT_TABLES = """
SELECT DISTINCT a.attrelid FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE a.attname = 'tenant_id' AND NOT a.attisdropped AND c.relkind = 'r'
  AND c.relnamespace = 'public'::regnamespace
"""

UNIQUE_WITHOUT_TENANT = f"""
SELECT i.indrelid::regclass::text || ': unique ' || c.relname || ' ('
       || (SELECT string_agg(a.attname, ', ') FROM pg_attribute a
           WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)) || ')'
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indisunique AND i.indrelid IN ({TENANT_TABLES})
  AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid
                  AND a.attname = 'tenant_id' AND a.attnum = ANY(i.indkey))
"""

FOREIGN_WITHOUT_TENANT = f"""
SELECT f.conrelid::regclass::text || ': foreign key ' || f.conname
       || ' -> ' || f.confrelid::regclass::text
FROM pg_constraint f
WHERE f.contype = 'f' AND f.conrelid IN ({TENANT_TABLES})
  AND f.confrelid IN ({TENANT_TABLES})
  AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = f.conrelid
                  AND a.attname = 'tenant_id' AND a.attnum = ANY(f.conkey))
"""


def known_gaps() -> list[str]:
    lines = KNOWN_GAPS.read_text().splitlines()
    return sorted(line for line in lines if line.strip() and not line.startswith("#"))


def test_tenant_table_keys_without_tenant_id_are_exactly_the_known_gaps(
    pg_database: PostgresDatabase,
) -> None:
    owner = pg_database.owner()
    found = [row[0] for q in (UNIQUE_WITHOUT_TENANT, FOREIGN_WITHOUT_TENANT)
             for row in owner.execute(q).fetchall()]  # fmt: skip
    assert sorted(found) == known_gaps()
