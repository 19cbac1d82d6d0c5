"""invitations a person accepts (issue 8)

`inviteMember` no longer adds an existing account (or creates one): it records an
invitation, and the person accepts it through a single-use link. A tenant table like
the others: on PostgreSQL row-level security is enabled and forced with the tenant
policy of 0002, and the application's role gets the same grants.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("email_enc", sa.LargeBinary(), nullable=False),
        sa.Column("email_bidx", sa.LargeBinary(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_invitation_tenant_email_bidx", ["tenant_id", "email_bidx"], unique=False
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    predicate = f"tenant_id = {TENANT}"
    op.execute("ALTER TABLE invitation ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE invitation FORCE ROW LEVEL SECURITY")
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON invitation")
    op.execute(
        f"CREATE POLICY tenant_isolation ON invitation USING ({predicate}) "
        f"WITH CHECK ({predicate})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON invitation TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON invitation")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_invitation_tenant_email_bidx")
        batch_op.drop_index(batch_op.f("ix_invitation_tenant_id"))
    op.drop_table("invitation")
