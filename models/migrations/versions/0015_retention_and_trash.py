"""retention rules per tenant, purge runs, and the trash (issue 11, policy section 5)

- `deleted_at`, `deleted_by`, `purged_at` on company, contact, deal and activity: a
  delete moves the row to the trash; the purge erases or removes it later.
- `retention_setting` (a tenant's overrides of the default periods) and
  `retention_run` (a record of each purge run): tenant tables with row-level security
  on PostgreSQL and no DELETE for the application (a setting is changed, a run record
  is finished, neither is removed).
- The usage log (append-only since 0009) must still lose what is older than its
  retention period. PostgreSQL: the application's role keeps no DELETE; the purge calls
  `purge_usage_events(cutoff, batch)`, a SECURITY DEFINER function that deletes at most
  `batch` rows of the transaction's own tenant older than `cutoff`, and refuses a
  cutoff younger than the rule's minimum (MIN_USAGE_DAYS). SQLite: the refusing DELETE
  trigger of 0009 lets through exactly the rows older than that minimum.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
TRASHABLE = ("company", "contact", "deal", "activity")
MIN_USAGE_DAYS = 30
"""privacy/retention/rules.py BOUNDS['usage_log'][0]: nothing younger is ever deleted."""
PURGE_FUNCTION = "purge_usage_events"

PURGE_USAGE = f"""
CREATE OR REPLACE FUNCTION public.{PURGE_FUNCTION}(cutoff timestamptz, batch integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  removed integer;
BEGIN
  IF cutoff > now() - interval '{MIN_USAGE_DAYS} days' THEN
    RAISE EXCEPTION 'usage log: refusing to purge rows younger than {MIN_USAGE_DAYS} days';
  END IF;
  WITH doomed AS (
    SELECT u.id FROM public.usage_event AS u
     WHERE u.tenant_id = {TENANT} AND u.occurred_at < cutoff
     LIMIT batch
  ), gone AS (
    DELETE FROM public.usage_event AS u USING doomed
     WHERE u.id = doomed.id AND u.tenant_id = {TENANT}
    RETURNING 1
  )
  SELECT count(*)::integer INTO removed FROM gone;
  RETURN removed;
END
$$
"""

SQLITE_DELETE_GUARD = (
    "CREATE TRIGGER usage_event_no_delete BEFORE DELETE ON usage_event "
    f"WHEN NOT (OLD.occurred_at < datetime('now', '-{MIN_USAGE_DAYS} days')) "
    "BEGIN SELECT RAISE(ABORT, 'usage_event is append-only: DELETE refused'); END"
)
SQLITE_0009_GUARD = (
    "CREATE TRIGGER usage_event_no_delete BEFORE DELETE ON usage_event "
    "BEGIN SELECT RAISE(ABORT, 'usage_event is append-only: DELETE refused'); END"
)


def _rls(table: str, grants: str) -> None:
    predicate = f"tenant_id = {TENANT}"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})"
    )
    op.execute(f"GRANT {grants} ON {table} TO {APP_ROLE}")


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    for table in TRASHABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("deleted_at", when, nullable=True))
            batch_op.add_column(sa.Column("deleted_by", sa.Uuid(), nullable=True))
            batch_op.add_column(sa.Column("purged_at", when, nullable=True))
            batch_op.create_index(f"ix_{table}_tenant_deleted", ["tenant_id", "deleted_at"])
    op.create_table(
        "retention_setting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "rule", name="uq_retention_setting_rule"),
    )
    op.create_index("ix_retention_setting_tenant_id", "retention_setting", ["tenant_id"])
    op.create_table(
        "retention_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("started_at", when, nullable=False),
        sa.Column("finished_at", when, nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_run_tenant_id", "retention_run", ["tenant_id"])
    op.create_index("ix_retention_run_tenant_started", "retention_run", ["tenant_id", "started_at"])
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS usage_event_no_delete")
        op.execute(SQLITE_DELETE_GUARD)
        return
    _rls("retention_setting", "SELECT, INSERT, UPDATE")
    _rls("retention_run", "SELECT, INSERT, UPDATE")
    op.execute(PURGE_USAGE)
    op.execute(f"REVOKE ALL ON FUNCTION public.{PURGE_FUNCTION}(timestamptz, integer) FROM PUBLIC")
    op.execute(
        f"GRANT EXECUTE ON FUNCTION public.{PURGE_FUNCTION}(timestamptz, integer) TO {APP_ROLE}"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS public.{PURGE_FUNCTION}(timestamptz, integer)")
        for table in ("retention_setting", "retention_run"):
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    else:
        op.execute("DROP TRIGGER IF EXISTS usage_event_no_delete")
        op.execute(SQLITE_0009_GUARD)
    op.drop_index("ix_retention_run_tenant_started", table_name="retention_run")
    op.drop_index("ix_retention_run_tenant_id", table_name="retention_run")
    op.drop_table("retention_run")
    op.drop_index("ix_retention_setting_tenant_id", table_name="retention_setting")
    op.drop_table("retention_setting")
    # Plain DROP COLUMN (SQLite >= 3.35): a batch copy would rename `contact`, which
    # the history triggers of 0009 name.
    for table in TRASHABLE:
        op.drop_index(f"ix_{table}_tenant_deleted", table_name=table)
        for column in ("purged_at", "deleted_by", "deleted_at"):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
