"""privacy requests with legal deadlines (issue 10)

A tenant table like the others: on PostgreSQL row-level security is enabled and
forced with the tenant policy of 0002, and the application's role gets the same
grants.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    op.create_table(
        "privacy_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("kind", _text(32), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("requester", _text(24), nullable=False),
        sa.Column("channel", _text(16), nullable=False),
        sa.Column("jurisdiction", _text(8), nullable=False),
        sa.Column("received_at", when, nullable=False),
        sa.Column("time_zone", _text(64), nullable=False),
        sa.Column("logged_by", sa.Uuid(), nullable=True),
        sa.Column("verification", _text(16), nullable=False),
        sa.Column("verification_method", _text(32), nullable=True),
        sa.Column("verified_by", sa.Uuid(), nullable=True),
        sa.Column("verified_at", when, nullable=True),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=True),
        sa.Column("extended_at", when, nullable=True),
        sa.Column("extension_reason", _text(500), nullable=True),
        sa.Column("started_at", when, nullable=True),
        sa.Column("completed_at", when, nullable=True),
        sa.Column("completion_evidence", _text(2000), nullable=True),
        sa.Column("refused_at", when, nullable=True),
        sa.Column("refusal_reason", _text(500), nullable=True),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(contact_id IS NULL) <> (user_id IS NULL)", name="ck_privacy_request_one_subject"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_privacy_request_tenant_id"),
    )
    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_request_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_privacy_request_tenant_status_due", ["tenant_id", "status", "due_on"]
        )
        batch_op.create_index(
            "ix_privacy_request_tenant_contact", ["tenant_id", "contact_id", "kind"]
        )
        batch_op.create_index("ix_privacy_request_tenant_user", ["tenant_id", "user_id", "kind"])
    if op.get_bind().dialect.name != "postgresql":
        return
    predicate = f"tenant_id = {TENANT}"
    op.execute("ALTER TABLE privacy_request ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE privacy_request FORCE ROW LEVEL SECURITY")
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON privacy_request")
    op.execute(
        f"CREATE POLICY tenant_isolation ON privacy_request USING ({predicate}) "
        f"WITH CHECK ({predicate})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON privacy_request TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON privacy_request")
    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_request_tenant_user")
        batch_op.drop_index("ix_privacy_request_tenant_contact")
        batch_op.drop_index("ix_privacy_request_tenant_status_due")
        batch_op.drop_index(batch_op.f("ix_privacy_request_tenant_id"))
    op.drop_table("privacy_request")
