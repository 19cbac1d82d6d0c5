"""complete erasure: erasure records and the suppression list (issue 10)

`erasure_record` proves each erasure (or the exception that blocked it) with no
personal data; it is append-only like the histories of 0009: on PostgreSQL the
application's role may only SELECT and INSERT, on SQLite triggers refuse UPDATE and
DELETE. `suppression` holds keyed blind indexes of erased people's email addresses and
phone numbers; a suppression is lifted (UPDATE), never deleted. Both are tenant tables
with the row-level security policy of 0002 on PostgreSQL.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
GRANTS = {"erasure_record": "SELECT, INSERT", "suppression": "SELECT, INSERT, UPDATE"}


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _tenant_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    when = models.base.UTCDateTime(timezone=True)
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
    ]


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    op.create_table(
        "erasure_record",
        *_tenant_columns(),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", _text(16), nullable=False),
        sa.Column("categories", _text(400), nullable=False),
        sa.Column("exceptions", _text(4000), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", when, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_erasure_record_tenant_id"),
    )
    with op.batch_alter_table("erasure_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_record_tenant_id"), ["tenant_id"])
        batch_op.create_index("ix_erasure_record_tenant_contact", ["tenant_id", "contact_id"])
        batch_op.create_index("ix_erasure_record_tenant_request", ["tenant_id", "request_id"])
    op.create_table(
        "suppression",
        *_tenant_columns(),
        sa.Column("kind", _text(8), nullable=False),
        sa.Column("key_bidx", sa.LargeBinary(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("erasure_id", sa.Uuid(), nullable=False),
        sa.Column("lifted_at", when, nullable=True),
        sa.Column("lifted_by", sa.Uuid(), nullable=True),
        sa.Column("lift_request_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_suppression_tenant_id"),
    )
    with op.batch_alter_table("suppression", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suppression_tenant_id"), ["tenant_id"])
        batch_op.create_index("ix_suppression_tenant_key", ["tenant_id", "kind", "key_bidx"])
    if op.get_bind().dialect.name != "postgresql":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER erasure_record_no_{verb.lower()} BEFORE {verb} ON "
                f"erasure_record BEGIN SELECT RAISE(ABORT, "
                f"'erasure_record is append-only: {verb} refused'); END"
            )
        return
    predicate = f"tenant_id = {TENANT}"
    for table, grants in GRANTS.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) "
            f"WITH CHECK ({predicate})"
        )
        op.execute(f"GRANT {grants} ON {table} TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in GRANTS:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    else:
        op.execute("DROP TRIGGER IF EXISTS erasure_record_no_update")
        op.execute("DROP TRIGGER IF EXISTS erasure_record_no_delete")
    op.drop_table("suppression")
    op.drop_table("erasure_record")
