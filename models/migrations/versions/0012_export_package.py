"""export packages answering access and portability requests (issue 10)

`privacy_export`: one row per ZIP built for a person (status, progress, the file's
path, hash and size, when it expires and was downloaded). A tenant table like the
others: row-level security with the tenant policy of 0002 on PostgreSQL, and the
application's grants without DELETE (an expired package keeps its row as the record
that the request was answered; only the file goes).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "privacy_export",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("status", text(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("file_path", text(length=1000), nullable=True),
        sa.Column("sha256", text(length=64), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("error", text(length=200), nullable=True),
        sa.Column("finished_at", when, nullable=True),
        sa.Column("expires_at", when, nullable=True),
        sa.Column("downloaded_at", when, nullable=True),
        sa.CheckConstraint(
            "(contact_id IS NULL) <> (user_id IS NULL)", name="ck_privacy_export_subject"
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name="ck_privacy_export_progress"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_privacy_export_tenant_id"),
    )
    with op.batch_alter_table("privacy_export", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_export_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index("ix_privacy_export_tenant_request", ["tenant_id", "request_id"])
        batch_op.create_index(
            "ix_privacy_export_tenant_expiry", ["tenant_id", "status", "expires_at"]
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    predicate = f"tenant_id = {TENANT}"
    op.execute("ALTER TABLE privacy_export ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE privacy_export FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON privacy_export "
        f"USING ({predicate}) WITH CHECK ({predicate})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON privacy_export TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON privacy_export")
    with op.batch_alter_table("privacy_export", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_export_tenant_expiry")
        batch_op.drop_index("ix_privacy_export_tenant_request")
        batch_op.drop_index(batch_op.f("ix_privacy_export_tenant_id"))
    op.drop_table("privacy_export")
