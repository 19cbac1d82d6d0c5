"""policy versions, minors and the tamper-evident audit chain (issue 11)

- `audit_event` gains `chain_seq` and `chain_hash` (unique per tenant and position);
  `audit_chain_head` holds each tenant's last link, a tenant table like the others
  (RLS on PostgreSQL; the application may read, insert and update it, never delete).
  The columns are added without rebuilding `audit_event`, whose append-only triggers
  (0009) stay in place on SQLite.
- `contact.minor_flagged_at` (section 10: erased within the deadline) and
  `membership.minor_suspended_at` (an account holder reported as under 18).
- `policy_version` gains `effective_at`, `material`, `text` and
  `consent_purposes_added` (section 12); `policy_acceptance` becomes append-only
  (UPDATE revoked from the application's role; a SQLite trigger refuses it).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column("audit_event", sa.Column("chain_seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_event", sa.Column("chain_hash", _text(64), nullable=True))
    op.create_index(
        "uq_audit_event_chain", "audit_event", ["tenant_id", "chain_seq"], unique=True
    )
    op.create_table(
        "audit_chain_head",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", _text(64), nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.add_column("contact", sa.Column("minor_flagged_at", when, nullable=True))
    op.add_column("membership", sa.Column("minor_suspended_at", when, nullable=True))
    op.add_column("policy_version", sa.Column("effective_at", when, nullable=True))
    op.execute("UPDATE policy_version SET effective_at = published_at")
    op.add_column(
        "policy_version",
        sa.Column("material", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("policy_version", sa.Column("text", sa.Text(), nullable=True))
    op.add_column(
        "policy_version",
        sa.Column("consent_purposes_added", _text(200), nullable=False, server_default=""),
    )
    if not postgres:
        op.execute(
            "CREATE TRIGGER policy_acceptance_no_update BEFORE UPDATE ON policy_acceptance "
            "BEGIN SELECT RAISE(ABORT, 'policy_acceptance is append-only: UPDATE refused'); END"
        )
        return
    predicate = f"tenant_id = {TENANT}"
    op.execute("ALTER TABLE audit_chain_head ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_chain_head FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON audit_chain_head USING ({predicate}) "
        f"WITH CHECK ({predicate})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON audit_chain_head TO {APP_ROLE}")
    op.execute(f"REVOKE UPDATE ON policy_acceptance FROM {APP_ROLE}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(f"GRANT UPDATE ON policy_acceptance TO {APP_ROLE}")
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON audit_chain_head")
    else:
        op.execute("DROP TRIGGER IF EXISTS policy_acceptance_no_update")
    for name in ("consent_purposes_added", "text", "material", "effective_at"):
        op.drop_column("policy_version", name)
    op.drop_column("membership", "minor_suspended_at")
    op.drop_column("contact", "minor_flagged_at")
    op.drop_table("audit_chain_head")
    op.drop_index("uq_audit_event_chain", table_name="audit_event")
    op.drop_column("audit_event", "chain_hash")
    op.drop_column("audit_event", "chain_seq")
