"""request_path: the tenant scope and a bearer token's membership check in one statement

Issue 13: a request with a bearer token used to spend a round trip on the tenant
scope (`set_config`) and another on reading the member's current role and the
session's revocation. `ledgerline_enter_scope` does both, in that order, so the check
runs under row-level security in the scope it has just set; the transaction's first
statement (models/db.py) calls it. SECURITY INVOKER: it reads as the application role,
through the same policies as any query. Nothing to do on SQLite (no scope there; the
check stays one statement).

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
FUNCTION = "ledgerline_enter_scope"
SIGNATURE = f"public.{FUNCTION}(text, text, uuid)"

ENTER_SCOPE = f"""
CREATE OR REPLACE FUNCTION public.{FUNCTION}(scope_tenant text, scope_user text, bearer_session uuid)
RETURNS TABLE (member_role text, session_revoked boolean)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
BEGIN
  PERFORM pg_catalog.set_config('app.tenant_id', scope_tenant, true),
          pg_catalog.set_config('app.user_id', scope_user, true),
          pg_catalog.set_config('app.session_hash', '', true);
  RETURN QUERY
    SELECT m.role::text, s.revoked_at IS NOT NULL
      FROM public.membership AS m
      JOIN public.auth_session AS s
        ON s.user_id = m.user_id AND s.tenant_id = m.tenant_id
     WHERE m.tenant_id = scope_tenant::uuid
       AND m.user_id = scope_user::uuid
       AND s.id = bearer_session;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ENTER_SCOPE)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(
        f"""
        DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP_ROLE};
          END IF;
        END $$;
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
