"""notes keep the person they were written about (issue 8)

1. `activity.subject_contact_id`: the data subject of an activity's body, recorded when
   the activity is first linked to a person (its contact, or its deal's primary contact)
   and never changed afterwards; reads decide the body against this person's state, so
   unlinking or re-linking an activity never widens who can read a note. Backfilled
   from the current links. Deliberately without a foreign key: the subject outlives
   the contact record (deleteContact unlinks and keeps activities), and a subject whose
   contact is gone reads as erased (see models/activities.py).

2. Erasure on PostgreSQL: `consent_event` is append-only for the application role
   (0002 revokes UPDATE), yet erasing a person must pseudonymise the free text of their
   consent history (`source`, `evidence`). Rather than granting UPDATE on those columns
   (which would let the application rewrite any consent record's evidence at will), the
   one permitted change is a SECURITY DEFINER function, `erase_consent_event_text`:
   - it writes only the fixed shell value '[erased]' into `source` and `evidence`
     (NULL stays NULL);
   - only for the events of one contact that is already erased (`erased_at` set in the
     same transaction by privacy/consent.py);
   - only in the transaction's own tenant (`app.tenant_id`), checked explicitly because
     a superuser owner would bypass row-level security;
   - with a fixed search_path; EXECUTE is revoked from PUBLIC and granted to the
     application role only.
   Nothing to do on SQLite (no roles): the application updates the rows directly.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
ERASED = "[erased]"
FUNCTION = "erase_consent_event_text"

BACKFILL = """
UPDATE activity SET subject_contact_id = COALESCE(
  contact_id,
  (SELECT deal.primary_contact_id FROM deal
    WHERE deal.tenant_id = activity.tenant_id AND deal.id = activity.deal_id)
)
WHERE subject_contact_id IS NULL
"""

ERASE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION public.{FUNCTION}(erased_contact uuid) RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
  WITH changed AS (
    UPDATE public.consent_event AS e
       SET source = CASE WHEN e.source IS NULL THEN NULL ELSE '{ERASED}' END,
           evidence = CASE WHEN e.evidence IS NULL THEN NULL ELSE '{ERASED}' END
     WHERE e.contact_id = erased_contact
       AND e.tenant_id = {TENANT}
       AND EXISTS (
         SELECT 1 FROM public.contact AS c
          WHERE c.tenant_id = e.tenant_id AND c.id = e.contact_id
            AND c.erased_at IS NOT NULL
       )
    RETURNING 1
  )
  SELECT count(*)::integer FROM changed
$$
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_contact_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_activity_subject_contact_id"), ["subject_contact_id"], unique=False
        )
    if postgres:
        # The owner is subject to the FORCEd policies (no app.tenant_id here): lift them
        # for the backfill only, inside this migration's transaction.
        for table in ("activity", "deal"):
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(BACKFILL)
    if postgres:
        for table in ("activity", "deal"):
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(ERASE_FUNCTION)
        op.execute(f"REVOKE ALL ON FUNCTION public.{FUNCTION}(uuid) FROM PUBLIC")
        op.execute(
            f"""
            DO $$ BEGIN
              IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                GRANT EXECUTE ON FUNCTION public.{FUNCTION}(uuid) TO {APP_ROLE};
              END IF;
            END $$;
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS public.{FUNCTION}(uuid)")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_subject_contact_id"))
        batch_op.drop_column("subject_contact_id")
