"""public intake of privacy requests with verification by link (issue 10)

`privacy_request` gains the requester's address (encrypted, with its blind index), the
name and details they gave (encrypted), and the verification token's SHA-256 and
expiry. A request from the intake may have no subject yet, so the one-subject check
becomes "at most one subject; none only with a requester address". The table keeps
its row-level security and grants (0008).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD_CHECK = "(contact_id IS NULL) <> (user_id IS NULL)"
NEW_CHECK = (
    "NOT (contact_id IS NOT NULL AND user_id IS NOT NULL) AND (contact_id IS NOT NULL "
    "OR user_id IS NOT NULL OR requester_email_bidx IS NOT NULL)"
)


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requester_email_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("requester_email_bidx", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("requester_name_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("details_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("verification_token_hash", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("verification_expires_at", when, nullable=True))
        batch_op.drop_constraint("ck_privacy_request_one_subject", type_="check")
        batch_op.create_check_constraint("ck_privacy_request_subject", NEW_CHECK)
        batch_op.create_index(
            "ix_privacy_request_tenant_email", ["tenant_id", "requester_email_bidx", "kind"]
        )
        batch_op.create_index("ix_privacy_request_token", ["verification_token_hash"], unique=True)


def downgrade() -> None:
    # Intake requests without a subject cannot satisfy the old check: they go first.
    op.execute("DELETE FROM privacy_request WHERE contact_id IS NULL AND user_id IS NULL")
    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_request_token")
        batch_op.drop_index("ix_privacy_request_tenant_email")
        batch_op.drop_constraint("ck_privacy_request_subject", type_="check")
        batch_op.create_check_constraint("ck_privacy_request_one_subject", OLD_CHECK)
        batch_op.drop_column("verification_expires_at")
        batch_op.drop_column("verification_token_hash")
        batch_op.drop_column("details_enc")
        batch_op.drop_column("requester_name_enc")
        batch_op.drop_column("requester_email_bidx")
        batch_op.drop_column("requester_email_enc")
