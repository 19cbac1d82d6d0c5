"""legal holds that block every deletion path (issues 10 and 11)

A tenant table like the others: row-level security with the tenant policy of 0002 on
PostgreSQL, and the application's grants without DELETE (a hold is released, never
removed, so the record of why data was kept survives).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("placed_by", sa.Uuid(), nullable=True),
        sa.Column("released_at", when, nullable=True),
        sa.Column("released_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "NOT (contact_id IS NOT NULL AND company_id IS NOT NULL)", name="ck_legal_hold_scope"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_legal_hold_tenant_id"),
    )
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_hold_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_legal_hold_tenant_active", ["tenant_id", "released_at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    predicate = f"tenant_id = {TENANT}"
    op.execute("ALTER TABLE legal_hold ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE legal_hold FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON legal_hold USING ({predicate}) WITH CHECK ({predicate})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON legal_hold TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON legal_hold")
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.drop_index("ix_legal_hold_tenant_active")
        batch_op.drop_index(batch_op.f("ix_legal_hold_tenant_id"))
    op.drop_table("legal_hold")
