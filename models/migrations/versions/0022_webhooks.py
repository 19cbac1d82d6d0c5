"""webhooks: subscriptions of partner apps and the delivery log (issue 12)

Tenant tables like the others: row-level security with the tenant policy of 0002 on
PostgreSQL. Subscriptions are updated (failures, rotation, disabling) and soft-deleted;
deliveries are updated as they are attempted; neither is deleted by the application.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
TABLES = ("webhook_subscription", "webhook_delivery")


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("url", text(length=2000), nullable=False),
        sa.Column("event_types", text(length=500), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_at", when, nullable=True),
        sa.Column("deleted_at", when, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(
            ["tenant_id", "installation_id"],
            ["app_installation.tenant_id", "app_installation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_webhook_subscription_tenant_id"),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", text(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("status", text(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", text(length=200), nullable=True),
        sa.Column("delivered_at", when, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["webhook_subscription.tenant_id", "webhook_subscription.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    for table, column in (
        ("webhook_subscription", "tenant_id"),
        ("webhook_subscription", "installation_id"),
        ("webhook_delivery", "tenant_id"),
        ("webhook_delivery", "subscription_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    predicate = f"tenant_id = {TENANT}"
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) "
            f"WITH CHECK ({predicate})"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {APP_ROLE}")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
