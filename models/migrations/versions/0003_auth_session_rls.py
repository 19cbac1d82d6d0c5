"""Row-level security on auth_session (sign-in sessions and refresh tokens).

A session row is visible to its own user (`app.user_id`) or, before the caller is
known, to the holder of its secret (`app.session_hash`, the SHA-256 the row stores);
nothing else, so a query that skips the application filter cannot read or rewrite
other users' sessions. Nothing to do on SQLite.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PREDICATE = (
    "user_id = NULLIF(current_setting('app.user_id', true), '')::uuid"
    " OR secret_hash = decode(current_setting('app.session_hash', true), 'hex')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE auth_session ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE auth_session FORCE ROW LEVEL SECURITY")
    op.execute("DROP POLICY IF EXISTS session_owner ON auth_session")
    op.execute(
        f"CREATE POLICY session_owner ON auth_session USING ({PREDICATE}) WITH CHECK ({PREDICATE})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS session_owner ON auth_session")
    op.execute("ALTER TABLE auth_session NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE auth_session DISABLE ROW LEVEL SECURITY")
