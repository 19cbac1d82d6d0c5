"""Tenant data keys: creation, unwrapping with a small cache, rotation and shredding.

Rotation re-wraps every data key under the active master key; values are untouched,
so it runs while the service serves (old master keys stay configured until it ends).
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.base import utcnow
from models.db import Database
from models.tenancy import PLATFORM_KEY_ID, TenantKey
from privacy.crypto import (
    KeyUnavailableError,
    TenantCipher,
    new_data_key,
    unwrap_key,
    wrap_key,
)

CACHE_SECONDS = 60.0


class KeyRing:
    def __init__(self, master_keys: dict[str, bytes], active_key_id: str) -> None:
        if active_key_id not in master_keys:
            raise ValueError("the active master key is not configured")
        self._master = master_keys
        self._active = active_key_id
        self._cache: dict[uuid.UUID, tuple[TenantCipher, float]] = {}

    async def create(self, session: AsyncSession, owner: uuid.UUID) -> TenantCipher:
        data_key = new_data_key()
        session.add(
            TenantKey(
                tenant_id=owner,
                master_key_id=self._active,
                wrapped_key=wrap_key(self._master[self._active], data_key, owner),
            )
        )
        cipher = TenantCipher(data_key, owner)
        self._cache[owner] = (cipher, time.monotonic())
        return cipher

    async def cipher(self, session: AsyncSession, owner: uuid.UUID) -> TenantCipher:
        cached = self._cache.get(owner)
        if cached is not None and time.monotonic() - cached[1] < CACHE_SECONDS:
            return cached[0]
        row = (
            await session.execute(
                select(col(TenantKey.master_key_id), col(TenantKey.wrapped_key)).where(
                    col(TenantKey.tenant_id) == owner
                )
            )
        ).one_or_none()
        if row is None:
            self._cache.pop(owner, None)
            raise KeyUnavailableError("no data key for this owner")
        master = self._master.get(row.master_key_id)
        if master is None:
            raise KeyUnavailableError(f"master key {row.master_key_id!r} is not configured")
        cipher = TenantCipher(unwrap_key(master, row.wrapped_key, owner), owner)
        self._cache[owner] = (cipher, time.monotonic())
        return cipher

    async def platform_cipher(self, db: Database) -> TenantCipher:
        """Account data (users) belongs to no tenant; it has its own data key, read and
        created in a session scoped to that key alone."""
        cached = self._cache.get(PLATFORM_KEY_ID)
        if cached is not None and time.monotonic() - cached[1] < CACHE_SECONDS:
            return cached[0]
        async with db.session(PLATFORM_KEY_ID) as session:
            try:
                return await self.cipher(session, PLATFORM_KEY_ID)
            except KeyUnavailableError:
                cipher = await self.create(session, PLATFORM_KEY_ID)
                await session.commit()
                return cipher

    async def rewrap(self, session: AsyncSession, owner: uuid.UUID) -> bool:
        """Re-wrap one data key under the active master key; True if it changed."""
        key = (
            await session.execute(select(TenantKey).where(col(TenantKey.tenant_id) == owner))
        ).scalar_one_or_none()
        if key is None or key.master_key_id == self._active:
            return False
        data_key = unwrap_key(self._master[key.master_key_id], key.wrapped_key, owner)
        key.wrapped_key = wrap_key(self._master[self._active], data_key, owner)
        key.master_key_id = self._active
        key.rotated_at = utcnow()
        return True

    async def shred(self, session: AsyncSession, owner: uuid.UUID) -> None:
        """Destroy a data key: every value it encrypted becomes unreadable."""
        await session.execute(delete(TenantKey).where(col(TenantKey.tenant_id) == owner))
        self._cache.pop(owner, None)

    def forget(self, owner: uuid.UUID) -> None:
        self._cache.pop(owner, None)
