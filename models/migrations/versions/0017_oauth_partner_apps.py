"""partner apps: OAuth clients, trusted documents, installations, grants, codes and
refresh tokens; the app named on audit events (issue 12)

On PostgreSQL: installations and grants are tenant tables (RLS with the tenant policy
of 0002); codes and refresh tokens are visible in their tenant or to the holder of
their secret's hash (`app.session_hash`, as 0003 does for `auth_session`), so the
token endpoint finds one before it knows the tenant. Clients and trusted documents are
platform records (no tenant), which the application may read and add to.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
HOLDER = "decode(current_setting('app.session_hash', true), 'hex')"


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:  # noqa: PLR0915 - one table after the other
    when = models.base.UTCDateTime(timezone=True)
    op.create_table(
        "oauth_client",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", _string(64), nullable=False),
        sa.Column("name", _string(120), nullable=False),
        sa.Column("developer_id", sa.Uuid(), nullable=False),
        sa.Column("client_type", _string(16), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("scopes", _string(500), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("revoked_at", when, nullable=True),
        sa.ForeignKeyConstraint(["developer_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_oauth_client_client_id", "oauth_client", ["client_id"], unique=True)
    op.create_index("ix_oauth_client_developer_id", "oauth_client", ["developer_id"])
    op.create_table(
        "oauth_trusted_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("sha256", _string(64), nullable=False),
        sa.Column("name", _string(120), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.ForeignKeyConstraint(["client_pk"], ["oauth_client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_pk", "sha256", name="uq_trusted_document"),
    )
    op.create_index(
        "ix_oauth_trusted_document_client_pk", "oauth_trusted_document", ["client_pk"]
    )
    op.create_table(
        "app_installation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("scopes", _string(500), nullable=False),
        sa.Column("installed_by", sa.Uuid(), nullable=False),
        sa.Column("trusted_documents_only", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", when, nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["client_pk"], ["oauth_client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_app_installation_tenant_id"),
    )
    op.create_index("ix_app_installation_tenant_id", "app_installation", ["tenant_id"])
    op.create_index("ix_app_installation_client_pk", "app_installation", ["client_pk"])
    op.create_table(
        "oauth_grant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("grant_type", _string(32), nullable=False),
        sa.Column("scope", _string(500), nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.Column("revoked_at", when, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(
            ["tenant_id", "installation_id"],
            ["app_installation.tenant_id", "app_installation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_oauth_grant_tenant_id", "oauth_grant", ["tenant_id"])
    op.create_index("ix_oauth_grant_installation_id", "oauth_grant", ["installation_id"])
    op.create_table(
        "oauth_code",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", _string(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", _string(500), nullable=False),
        sa.Column("code_challenge", _string(128), nullable=False),
        sa.Column("code_challenge_method", _string(8), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.Column("used_at", when, nullable=True),
        sa.Column("grant_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_oauth_code_tenant_id", "oauth_code", ["tenant_id"])
    op.create_index("ix_oauth_code_code_hash", "oauth_code", ["code_hash"], unique=True)
    op.create_table(
        "oauth_refresh_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.Column("used_at", when, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["oauth_grant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_oauth_refresh_token_tenant_id", "oauth_refresh_token", ["tenant_id"])
    op.create_index("ix_oauth_refresh_token_grant_id", "oauth_refresh_token", ["grant_id"])
    op.create_index(
        "ix_oauth_refresh_token_token_hash", "oauth_refresh_token", ["token_hash"], unique=True
    )
    # A plain ADD COLUMN (no table rebuild): SQLite keeps 0009's append-only triggers.
    op.add_column("audit_event", sa.Column("app_client_id", _string(64), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("app_installation", "oauth_grant"):
        predicate = f"tenant_id = {TENANT}"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) "
            f"WITH CHECK ({predicate})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {APP_ROLE}")
    for table, secret in (("oauth_code", "code_hash"), ("oauth_refresh_token", "token_hash")):
        predicate = f"tenant_id = {TENANT} OR {secret} = {HOLDER}"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) "
            f"WITH CHECK (tenant_id = {TENANT})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON oauth_client TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, DELETE ON oauth_trusted_document TO {APP_ROLE}")


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("app_client_id")
    for table in ("oauth_refresh_token", "oauth_code", "oauth_grant", "app_installation"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.drop_table(table)
    op.drop_table("oauth_trusted_document")
    op.drop_table("oauth_client")
