"""request_path: the tenant scope and the credential's check in one statement

Issue 13: a request with a bearer token used to spend a round trip on the tenant
scope (`set_config`) and another on reading the member's current role and the
session's revocation; one with a session cookie four (scope by the secret's hash, the
session, the tenant scope, the role). `ledgerline_enter_scope` (bearer) and
`ledgerline_enter_cookie_scope` (cookie) do the same work in the same order, so every
read runs under row-level security in the scope set just before it; the transaction's
first statement (models/db.py) calls them. SECURITY INVOKER: they read as the
application role, through the same policies as any query; a membership suspended as
reported under 18 (0016, privacy/minors.py) is no membership to either. Nothing to do
on SQLite (no scope there; the checks stay statements of their own).

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
COOKIE_FUNCTION = "ledgerline_enter_cookie_scope"
COOKIE_SIGNATURE = f"public.{COOKIE_FUNCTION}(text)"

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
       AND m.minor_suspended_at IS NULL
       AND s.id = bearer_session;
END
$$
"""

# The cookie's session row is visible to its secret's holder only (migration 0003);
# once found, the scope becomes its user and tenant (the secret's hash stays set, as
# auth.sessions does it statement by statement) and the role is read in that scope.
ENTER_COOKIE_SCOPE = f"""
CREATE OR REPLACE FUNCTION public.{COOKIE_FUNCTION}(secret_hash_hex text)
RETURNS TABLE (cookie_session_id uuid, cookie_user_id uuid, cookie_tenant_id uuid,
               member_role text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
DECLARE
  cookie record;
BEGIN
  PERFORM pg_catalog.set_config('app.tenant_id', '', true),
          pg_catalog.set_config('app.user_id', '', true),
          pg_catalog.set_config('app.session_hash', secret_hash_hex, true);
  SELECT s.id, s.user_id, s.tenant_id INTO cookie
    FROM public.auth_session AS s
   WHERE s.secret_hash = decode(secret_hash_hex, 'hex')
     AND s.kind = 'cookie'
     AND s.revoked_at IS NULL
     AND s.expires_at > now();
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM pg_catalog.set_config('app.tenant_id', cookie.tenant_id::text, true),
          pg_catalog.set_config('app.user_id', cookie.user_id::text, true);
  RETURN QUERY
    SELECT cookie.id, cookie.user_id, cookie.tenant_id, m.role::text
      FROM public.membership AS m
     WHERE m.tenant_id = cookie.tenant_id AND m.user_id = cookie.user_id
       AND m.minor_suspended_at IS NULL;
END
$$
"""


def _grant(signature: str) -> None:
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(
        f"""
        DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE};
          END IF;
        END $$;
        """
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ENTER_SCOPE)
    _grant(SIGNATURE)
    op.execute(ENTER_COOKIE_SCOPE)
    _grant(COOKIE_SIGNATURE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {COOKIE_SIGNATURE}")
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
