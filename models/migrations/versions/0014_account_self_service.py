"""account self-service: verified addresses, single-use account links, account holders'
privacy choices, and the person told before a restriction is lifted (issue 10)

- `app_user.email_verified_at`: when the holder proved the address.
- `account_token`: verification, change-of-address and password-reset links (only a
  SHA-256 of each token). On PostgreSQL a row is visible to its own user
  (`app.user_id`) or, before the caller is known, to the holder of the token
  (`app.session_hash` carries its SHA-256), as 0003 does for `auth_session`.
- `account_choice_event`: append-only history of an account holder's choices (the
  objection to sale or sharing): its own user only, no UPDATE or DELETE for the
  application's role on PostgreSQL, refusing triggers on SQLite (as 0009).
- `processing_event.subject_informed_at`: when the person was told before their
  restriction was lifted (GDPR Art. 18(3)). Added with ALTER TABLE ADD COLUMN, so the
  append-only triggers of 0009 on SQLite stay in place.

Neither new table has a tenant: they belong to the account, which spans tenants.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
USER = "user_id = NULLIF(current_setting('app.user_id', true), '')::uuid"
TOKEN_HOLDER = f"{USER} OR token_hash = decode(current_setting('app.session_hash', true), 'hex')"
CHOICES = "account_choice_event"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _rls(table: str, predicate: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS account_owner ON {table}")
    op.execute(
        f"CREATE POLICY account_owner ON {table} USING ({predicate}) WITH CHECK ({predicate})"
    )


def upgrade() -> None:
    when = models.base.UTCDateTime(timezone=True)
    op.add_column("app_user", sa.Column("email_verified_at", when, nullable=True))
    op.add_column("processing_event", sa.Column("subject_informed_at", when, nullable=True))
    op.create_table(
        "account_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _text(24), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("new_email_enc", sa.LargeBinary(), nullable=True),
        sa.Column("new_email_bidx", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.Column("used_at", when, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_account_token_user_kind", "account_token", ["user_id", "kind"])
    op.create_table(
        CHOICES,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", _text(32), nullable=False),
        sa.Column("status", _text(24), nullable=False),
        sa.Column("source", _text(24), nullable=False),
        sa.Column("recorded_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{CHOICES}_user_id", CHOICES, ["user_id"])
    if op.get_bind().dialect.name != "postgresql":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {CHOICES}_no_{verb.lower()} BEFORE {verb} ON {CHOICES} "
                f"BEGIN SELECT RAISE(ABORT, '{CHOICES} is append-only: {verb} refused'); END"
            )
        return
    _rls("account_token", TOKEN_HOLDER)
    _rls(CHOICES, USER)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON account_token TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON {CHOICES} TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {CHOICES}_no_{verb}")
    op.drop_index(f"ix_{CHOICES}_user_id", table_name=CHOICES)
    op.drop_table(CHOICES)
    op.drop_index("ix_account_token_user_kind", table_name="account_token")
    op.drop_table("account_token")
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("email_verified_at")
    op.drop_column("processing_event", "subject_informed_at")
