"""The suppression list (policy section 9; issue 10): an erased person is not added again.

At erasure the keyed blind index of the person's email address and phone number is
kept (privacy/crypto.py: HMAC with a key derived from the tenant's own data key, so the
same address gives unrelated values in two tenants and no tenant's list answers for
another: no existence oracle across tenants). Creating or updating a contact with a
suppressed address or number is refused with SUPPRESSED. A privacy admin lifts the
suppression on the person's own new request: verified, received after the erasure, and
about the same person (the erased contact, or the suppressed address given at the
intake).
"""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import AppError, Code
from models.base import utcnow
from models.contacts import Contact
from models.erasure import Suppression
from models.privacy_requests import PrivacyRequest
from privacy.crypto import TenantCipher
from privacy.request_rules import Verification

SUPPRESSED_MESSAGE = (
    "This person's data was erased at their request and they may not be added again; a "
    "privacy admin can lift this on the person's own new request (liftSuppression)."
)


def _keys(cipher: TenantCipher, email: str | None, phone: str | None) -> list[tuple[str, bytes]]:
    keys = []
    if email:
        keys.append(("email", cipher.blind_index(email)))
    if phone:
        keys.append(("phone", cipher.blind_index(phone)))
    return keys


async def suppress(
    session: AsyncSession, cipher: TenantCipher, contact: Contact, erasure_id: uuid.UUID
) -> int:
    """Suppress the contact's email and phone (read before they are erased)."""
    phone = cipher.decrypt(contact.phone_enc)
    keys = _keys(cipher, None, phone)
    if contact.email_bidx is not None:
        keys.insert(0, ("email", contact.email_bidx))
    for kind, key in keys:
        session.add(
            Suppression(  # type: ignore[call-arg]  # tenant_id: stamped at flush
                kind=kind, key_bidx=key, contact_id=contact.id, erasure_id=erasure_id
            )
        )
    return len(keys)


async def ensure_not_suppressed(
    session: AsyncSession, cipher: TenantCipher, *, email: str | None, phone: str | None
) -> None:
    """Refuse (SUPPRESSED) an address or number an erased person had in this tenant."""
    keys = _keys(cipher, email, phone)
    if not keys:
        return
    found = (
        await session.execute(
            select(col(Suppression.id))
            .where(
                col(Suppression.lifted_at).is_(None),
                or_(
                    *(
                        and_(col(Suppression.kind) == kind, col(Suppression.key_bidx) == key)
                        for kind, key in keys
                    )
                ),
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    if found is not None:
        raise AppError(Code.SUPPRESSED, SUPPRESSED_MESSAGE)


async def lift(
    session: AsyncSession, request: PrivacyRequest, actor: uuid.UUID
) -> tuple[uuid.UUID, int]:
    """Lift the suppression of the person `request` is from; (their contact, entries)."""
    if request.verification != Verification.VERIFIED.value:
        raise AppError(
            Code.IDENTITY_NOT_VERIFIED,
            "Verify the requester's identity before lifting a suppression on their request.",
            field="request",
        )
    about = []
    if request.contact_id is not None:
        about.append(col(Suppression.contact_id) == request.contact_id)
    if request.requester_email_bidx is not None:
        about.append(
            and_(
                col(Suppression.kind) == "email",
                col(Suppression.key_bidx) == request.requester_email_bidx,
            )
        )
    entries = (
        (
            await session.execute(
                select(Suppression).where(
                    col(Suppression.lifted_at).is_(None),
                    col(Suppression.created_at) < request.received_at,
                    or_(*about) if about else col(Suppression.id).is_(None),
                )
            )
        )
        .scalars()
        .all()
    )
    contacts = {entry.contact_id for entry in entries}
    if not entries:
        raise AppError(
            Code.NOT_FOUND,
            "No suppression matches this request: it must be the person's own request, "
            "received after their erasure.",
            field="request",
        )
    # Every entry of the person (email and phone), even if the request matched one.
    more = (
        (
            await session.execute(
                select(Suppression).where(
                    col(Suppression.lifted_at).is_(None),
                    col(Suppression.contact_id).in_(contacts),
                )
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for entry in more:
        entry.lifted_at = now
        entry.lifted_by = actor
        entry.lift_request_id = request.id
        entry.updated_at = now
    await session.flush()
    return sorted(contacts)[0], len(more)
