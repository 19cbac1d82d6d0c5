"""encrypt remaining personal data: deal titles and activity subjects (issue 10)

`deal.title` and `activity.subject` are free text that may name or describe a person;
they move to `deal.title_enc` and `activity.subject_enc` (AES-GCM with the tenant's data
key, like every other `_enc` column), so destroying a tenant's key makes them
unreadable. Nothing searches, sorts or filters on them in the database.

Existing values are encrypted here (models/sealing.py), with the master keys that
`ledgerline migrate` hands to Alembic; a database holding values with no key configured
is refused before anything changes. Each UPDATE writes NULL over the plain value before
the column is dropped. On SQLite `secure_delete` is on for the migration, so freed
pages hold zeros; on PostgreSQL the old row versions are dead tuples until VACUUM
reclaims them (run `VACUUM FULL deal, activity` after migrating a database that held
real data to drop them from the files at once).

Revision ID: 0021
Revises: 0020
"""

from models.sealing import Move, encrypt_columns

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

MOVES = (
    Move("deal", "title", "title_enc"),
    Move("activity", "subject", "subject_enc"),
)


def upgrade() -> None:
    encrypt_columns(MOVES)


def downgrade() -> None:
    raise NotImplementedError("encrypted values are not decrypted back into plain columns")
