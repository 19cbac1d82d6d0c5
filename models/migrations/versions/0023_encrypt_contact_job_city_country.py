"""encrypt contact job title, city and country (issue 10)

Nothing in the database searches, sorts or filters on `contact.job_title`, `city` or
`country` (the contact list filters on company, stage, owner, dates, names and the
email's blind index), so they move to `_enc` columns (AES-GCM with the tenant's data
key) with no blind index: an index would only add an equality oracle nothing uses. A
future equality filter on them follows the email pattern (`email_bidx`). The stored
values are encrypted as in 0021 (models/sealing.py, master keys from `ledgerline
migrate`; refused before any change without them); the names stay plain (see the data
map: substring search).

Revision ID: 0023
Revises: 0022
"""

from models.sealing import Move, encrypt_columns

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

MOVES = (
    Move("contact", "job_title", "job_title_enc"),
    Move("contact", "city", "city_enc"),
    Move("contact", "country", "country_enc"),
)


def upgrade() -> None:
    encrypt_columns(MOVES)


def downgrade() -> None:
    raise NotImplementedError("encrypted values are not decrypted back into plain columns")
