"""consent history, processing events and audit are append-only at the database (issue 10)

The histories the application writes (`consent_event`, `processing_event`) and its
logs (`audit_event`, `audit_subject`, `usage_event`) only ever grow: no row is changed
or removed by the application. `consent_state` is a projection of `consent_event`,
rewritten on every append, and stays writable.

PostgreSQL: UPDATE and DELETE are revoked from the application's role on the five
tables (0002 had revoked UPDATE on three of them). Erasure still has to shell the free
text of a person's history; it does so through narrow SECURITY DEFINER functions only:
`erase_consent_event_text` (0005: consent `source` and `evidence`) and, new here,
`erase_processing_event_reason` (the `reason` of restrictions), with the same rules:
only the fixed value '[erased]' where there was text, only for a contact already
erased, only in the transaction's own tenant, fixed search_path, EXECUTE for the
application role only.

SQLite (no roles): BEFORE UPDATE and BEFORE DELETE triggers RAISE(ABORT). The one
update let through is exactly what erasure writes: every column unchanged except the
free text, which becomes '[erased]' (NULL stays NULL), for a contact already erased.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

APP_ROLE = "ledgerline_app"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
ERASED = "[erased]"
APPEND_ONLY = ("consent_event", "processing_event", "audit_event", "audit_subject", "usage_event")
REASON_FUNCTION = "erase_processing_event_reason"

# table -> (its columns at this revision, the free-text columns erasure may shell)
SHELLABLE = {
    "consent_event": (
        (
            "id", "tenant_id", "created_at", "updated_at", "contact_id", "purpose", "status",
            "lawful_basis", "source", "method", "policy_version", "evidence", "recorded_by",
            "recorded_at",
        ),
        ("source", "evidence"),
    ),
    "processing_event": (
        (
            "id", "tenant_id", "created_at", "updated_at", "contact_id", "kind", "reason",
            "recorded_by", "recorded_at",
        ),
        ("reason",),
    ),
}  # fmt: skip

REASON_ERASE = f"""
CREATE OR REPLACE FUNCTION public.{REASON_FUNCTION}(erased_contact uuid) RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
  WITH changed AS (
    UPDATE public.processing_event AS e
       SET reason = '{ERASED}'
     WHERE e.contact_id = erased_contact
       AND e.reason IS NOT NULL
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


def _erasure_only(table: str) -> str:
    """SQLite: the condition under which an UPDATE of `table` is erasure's own."""
    columns, shellable = SHELLABLE[table]
    kept = [f"NEW.{c} IS OLD.{c}" for c in columns if c not in shellable]
    shelled = [
        f"NEW.{c} IS (CASE WHEN OLD.{c} IS NULL THEN NULL ELSE '{ERASED}' END)" for c in shellable
    ]
    erased = (
        "EXISTS (SELECT 1 FROM contact AS c WHERE c.tenant_id = OLD.tenant_id "
        "AND c.id = OLD.contact_id AND c.erased_at IS NOT NULL)"
    )
    return " AND ".join([*kept, *shelled, erased])


def _sqlite_upgrade() -> None:
    for table in APPEND_ONLY:
        refuse_update = f"SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused');"
        refuse_delete = f"SELECT RAISE(ABORT, '{table} is append-only: DELETE refused');"
        when = f" WHEN NOT ({_erasure_only(table)})" if table in SHELLABLE else ""
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}{when} "
            f"BEGIN {refuse_update} END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN {refuse_delete} END"
        )


def _postgres_upgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"REVOKE UPDATE, DELETE ON {table} FROM {APP_ROLE}")
    op.execute(REASON_ERASE)
    op.execute(f"REVOKE ALL ON FUNCTION public.{REASON_FUNCTION}(uuid) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION public.{REASON_FUNCTION}(uuid) TO {APP_ROLE}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS public.{REASON_FUNCTION}(uuid)")
        for table in APPEND_ONLY:
            op.execute(f"GRANT DELETE ON {table} TO {APP_ROLE}")
        # 0002 left UPDATE revoked on consent_event, audit_event and audit_subject.
        for table in ("processing_event", "usage_event"):
            op.execute(f"GRANT UPDATE ON {table} TO {APP_ROLE}")
        return
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
