"""A leaner audit_subject: the append-only read log drops its foreign keys (on
PostgreSQL) and the index on event_id, which no query uses.

A 1,000-row page writes 1,000 audit rows; their two foreign-key triggers and the extra
index cost about half of that write. The rows are written only by privacy/audit.py,
with the event and tenant of the same request, so the keys held by construction.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_subject_event_id", table_name="audit_subject")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_subject DROP CONSTRAINT IF EXISTS audit_subject_event_id_fkey")
        op.execute(
            "ALTER TABLE audit_subject DROP CONSTRAINT IF EXISTS audit_subject_tenant_id_fkey"
        )


def downgrade() -> None:
    op.create_index("ix_audit_subject_event_id", "audit_subject", ["event_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE audit_subject ADD CONSTRAINT audit_subject_event_id_fkey "
            "FOREIGN KEY (event_id) REFERENCES audit_event (id)"
        )
        op.execute(
            "ALTER TABLE audit_subject ADD CONSTRAINT audit_subject_tenant_id_fkey "
            "FOREIGN KEY (tenant_id) REFERENCES tenant (id)"
        )
