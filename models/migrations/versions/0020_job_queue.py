"""job_queue: procrastinate's tables, functions and types (issue 15)

The production job queue lives in PostgreSQL (core/jobs/queue.py). Its schema is the
one shipped with the installed procrastinate (`SchemaManager.get_schema()`), applied
here so the owner role creates it and the application role only uses it: that role
reads and writes the queue's rows and runs its functions, owns nothing. The queue
holds job names and ids (tenant, export), never personal data, and no tenant's rows:
it is a global table outside row-level security (the admins' view filters by the
`tenant_id` argument). A later procrastinate release that changes its schema needs a
migration of its own (procrastinate ships the SQL under procrastinate/sql/migrations).
Nothing on SQLite (jobs run in process there).

Revision ID: 0020
Revises: 0019
"""

from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.util import await_only

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"

GRANTS = f"""
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT tablename FROM pg_tables
              WHERE schemaname = 'public' AND tablename LIKE 'procrastinate%' LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO {APP_ROLE}',
                   item.tablename);
  END LOOP;
  FOR item IN SELECT sequencename FROM pg_sequences
              WHERE schemaname = 'public' AND sequencename LIKE 'procrastinate%' LOOP
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE public.%I TO {APP_ROLE}',
                   item.sequencename);
  END LOOP;
END $$
"""

DROP = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT tablename FROM pg_tables
              WHERE schemaname = 'public' AND tablename LIKE 'procrastinate%' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', item.tablename);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS fn FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%' LOOP
    EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.fn);
  END LOOP;
  FOR item IN SELECT t.typname FROM pg_type t
              JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE n.nspname = 'public' AND t.typname LIKE 'procrastinate%'
                AND t.typtype = 'e' LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', item.typname);
  END LOOP;
END $$
"""


def _run_script(sql: str) -> None:
    """Several statements at once (the schema has PL/pgSQL bodies): asyncpg's simple
    query protocol, on the migration's own connection and transaction."""
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    await_only(raw.execute(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(SchemaManager.get_schema())
    op.execute(GRANTS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(DROP)
