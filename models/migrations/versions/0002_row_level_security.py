"""PostgreSQL row-level security and the application's restricted role.

Policy section 4, third wall: every tenant table has RLS enabled and FORCED, with a
policy on `app.tenant_id` (set per transaction by models/db.py) for both reading
(USING) and writing (WITH CHECK). The application connects as `ledgerline_app`, which
owns no table, is no superuser and cannot bypass RLS. Nothing to do on SQLite.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
USER = "NULLIF(current_setting('app.user_id', true), '')::uuid"

# table -> row predicate (membership is also visible to its own user, to list tenants)
POLICIES = {
    "company": f"tenant_id = {TENANT}",
    "contact": f"tenant_id = {TENANT}",
    "deal": f"tenant_id = {TENANT}",
    "activity": f"tenant_id = {TENANT}",
    "consent_event": f"tenant_id = {TENANT}",
    "consent_state": f"tenant_id = {TENANT}",
    "processing_event": f"tenant_id = {TENANT}",
    "audit_event": f"tenant_id = {TENANT}",
    "audit_subject": f"tenant_id = {TENANT}",
    "usage_event": f"tenant_id = {TENANT}",
    "membership": f"tenant_id = {TENANT} OR user_id = {USER}",
    "tenant_key": f"tenant_id = {TENANT} OR tenant_id = '00000000-0000-0000-0000-000000000000'::uuid",
}
GLOBAL_TABLES = ("tenant", "app_user", "auth_session", "policy_version", "policy_acceptance")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    for table, predicate in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) "
            f"WITH CHECK ({predicate})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    for table in GLOBAL_TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    # History tables are append-only for the application.
    for table in ("consent_event", "audit_event", "audit_subject"):
        op.execute(f"REVOKE UPDATE ON {table} FROM {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in POLICIES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
