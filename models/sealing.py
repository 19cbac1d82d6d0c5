"""Encrypting a plain column's stored values in place, for the migrations that move a
personal-data column to an `_enc` column (policy section 8; issue 10).

A migration runs with the owner's URL and no application around it, so it is handed
the master keys (models/migrate.py passes them in Alembic's config attributes). For each
tenant: unwrap its data key, read the plain values in the tenant's row-level-security
scope (PostgreSQL forces RLS on the owner too), and write each value encrypted, its
blind index where the column has one, and NULL over the plain value in the same UPDATE,
so the live row never holds both. A database with no plain value left needs no key; one
with values and no keys is refused before anything is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from privacy.crypto import TenantCipher, unwrap_key

SET_SCOPE = sa.text("SELECT set_config('app.tenant_id', :tenant, true)")


class SealingError(RuntimeError):
    """Plain values are stored and cannot be encrypted (no master key, no data key)."""


@dataclass(frozen=True)
class Move:
    """`table.plain` encrypted into `table.sealed` (and blind-indexed into `index`)."""

    table: str
    plain: str
    sealed: str
    index: str | None = None

    def columns(self) -> sa.TableClause:
        extra = [] if self.index is None else [sa.column(self.index, sa.LargeBinary())]
        return sa.table(
            self.table,
            sa.column("id", sa.Uuid()),
            sa.column("tenant_id", sa.Uuid()),
            sa.column(self.plain, sa.String()),
            sa.column(self.sealed, sa.LargeBinary()),
            *extra,
        )


def _cipher(
    conn: Connection, master_keys: Mapping[str, bytes] | None, tenant_id: uuid.UUID
) -> TenantCipher:
    keys = sa.table(
        "tenant_key",
        sa.column("tenant_id", sa.Uuid()),
        sa.column("master_key_id", sa.String()),
        sa.column("wrapped_key", sa.LargeBinary()),
    )
    row = conn.execute(
        sa.select(keys.c.master_key_id, keys.c.wrapped_key).where(keys.c.tenant_id == tenant_id)
    ).one_or_none()
    if row is None:
        raise SealingError(f"tenant {tenant_id} has plain personal data and no data key")
    if master_keys is None or row.master_key_id not in master_keys:
        raise SealingError(
            "plain personal data must be encrypted: run `ledgerline migrate` with the "
            f"master key {row.master_key_id!r} configured (LEDGERLINE_MASTER_KEY)"
        )
    data_key = unwrap_key(master_keys[row.master_key_id], row.wrapped_key, tenant_id)
    return TenantCipher(data_key, tenant_id)


def _tenants(conn: Connection) -> list[uuid.UUID]:
    tenants = sa.table("tenant", sa.column("id", sa.Uuid()))
    return list(conn.execute(sa.select(tenants.c.id)).scalars().all())


def _scope(conn: Connection, tenant_id: uuid.UUID) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(SET_SCOPE, {"tenant": str(tenant_id)})


def _stored(conn: Connection, move: Move, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    table = move.columns()
    plain = table.c[move.plain]
    query = sa.select(table.c.id, plain).where(table.c.tenant_id == tenant_id, plain.is_not(None))
    return [(row_id, value) for row_id, value in conn.execute(query).all()]


def ciphers_for(
    conn: Connection, master_keys: Mapping[str, bytes] | None, moves: Sequence[Move]
) -> dict[uuid.UUID, TenantCipher]:
    """The cipher of every tenant with a plain value to encrypt; raises SealingError
    (before the migration changes anything) when one cannot be had."""
    ciphers = {}
    for tenant_id in _tenants(conn):
        _scope(conn, tenant_id)
        if any(_stored(conn, move, tenant_id) for move in moves):
            ciphers[tenant_id] = _cipher(conn, master_keys, tenant_id)
    return ciphers


def seal_existing(
    conn: Connection, ciphers: Mapping[uuid.UUID, TenantCipher], moves: Sequence[Move]
) -> int:
    """Encrypt every stored value of each move's plain column (the sealed column exists
    and the plain one is nullable by now); the count encrypted."""
    done = 0
    for tenant_id, cipher in ciphers.items():
        _scope(conn, tenant_id)
        for move in moves:
            table = move.columns()
            for row_id, value in _stored(conn, move, tenant_id):
                values = {move.sealed: cipher.encrypt(value), move.plain: None}
                if move.index is not None:
                    values[move.index] = cipher.blind_index(value)
                conn.execute(
                    sa.update(table)
                    .where(table.c.tenant_id == tenant_id, table.c.id == row_id)
                    .values(values)
                )
                done += 1
    return done


def encrypt_columns(moves: Sequence[Move]) -> None:
    """The body of a migration moving plain columns to `_enc` ones: check the keys, add
    the sealed columns, make a required plain column nullable, encrypt, drop the plain
    columns. ADD and DROP COLUMN are in place on both databases (SQLite 3.35+), so a
    table other tables' triggers name (contact) is never re-created; only a required
    plain column is altered in a batch. On SQLite `secure_delete` is on, so freed pages
    hold zeros."""
    from alembic import op

    bind = op.get_bind()
    config = op.get_context().config
    master_keys = None if config is None else config.attributes.get("master_keys")
    ciphers = ciphers_for(bind, master_keys, moves)
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")
    inspector = sa.inspect(bind)
    for move in moves:
        op.add_column(move.table, sa.Column(move.sealed, sa.LargeBinary(), nullable=True))
        nullable = {c["name"]: c["nullable"] for c in inspector.get_columns(move.table)}
        if not nullable[move.plain]:
            with op.batch_alter_table(move.table) as batch:
                batch.alter_column(move.plain, existing_type=sa.String(), nullable=True)
    seal_existing(bind, ciphers, moves)
    for move in moves:
        op.drop_column(move.table, move.plain)
