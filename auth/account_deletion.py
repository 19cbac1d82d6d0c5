"""Deleting one's own account (issue 10, "Account holders"; GDPR Art. 17 for the
account data the service controls, policy sections 2.1 and 9).

The holder re-authenticates with their password. The last owner of a tenant is
refused (LAST_OWNER) until they hand the ownership over or delete the tenant, so no
tenant is left without anyone who answers for it; a developer of registered partner
apps is refused (CONFLICT) until the apps are handed over or deleted. Otherwise, in
the request's one transaction: in every tenant they belong to, their records stay
without an owner or author, the invitations to their address go, the grants of
partner apps acting for them are revoked, their membership goes and with it every
session and refresh token (ON DELETE CASCADE), and the deletion is audited with no
personal data (an opaque id and a count); then their policy acknowledgements, links
and the account row itself are deleted: the address, name, birth year and password
hash are gone, not hidden. What stays names the account only by its opaque id: the
audit and usage logs, privacy-request records and the history of their privacy
choices, which the law asks to keep.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth.accounts import memberships_of, release_member_records, revoke_app_grants
from auth.passwords import verify_password
from auth.permissions import Role
from auth.principal import Principal
from auth.sign_in import invalid_credentials
from core.errors import AppError, Code
from core.services import Services
from models import AccountToken, Invitation, Membership, PolicyAcceptance, User
from models.apps import OAuthClient
from models.db import enter_scope
from privacy.audit import AuditBuffer, account_deleted, write_rows


def last_owner(tenant_name: str, slug: str) -> AppError:
    return AppError(
        Code.LAST_OWNER,
        f"You are the last owner of {tenant_name}: make another member an owner, or delete "
        "the organisation, before you delete your account.",
        tenant=slug,
    )


async def delete_account(
    services: Services,
    session: AsyncSession,
    *,
    principal: Principal,
    password: str,
    request_id: str,
) -> int:
    """Delete the principal's account in `session` (the request's, left in the
    principal's scope again); the number of memberships that ended."""
    user_id = principal.user_id
    user = await session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, password):
        raise invalid_credentials()
    developer = (
        await session.execute(
            select(col(OAuthClient.id)).where(col(OAuthClient.developer_id) == user_id).limit(1)
        )
    ).first()
    if developer is not None:
        raise AppError(
            Code.CONFLICT,
            "You have registered partner apps: hand them over or delete them before you "
            "delete your account.",
        )
    memberships = await memberships_of(services, user_id)
    for membership in memberships:
        if membership.role is not Role.OWNER:
            continue
        await enter_scope(session, membership.tenant.id, user_id)
        owners = (
            await session.execute(
                select(func.count(col(Membership.id))).where(
                    col(Membership.role) == Role.OWNER.value
                )
            )
        ).scalar_one()
        if owners <= 1:
            raise last_owner(membership.tenant.name, membership.tenant.slug)
    address = (await services.keyring.platform_cipher(services.db)).decrypt(user.email_enc)
    for membership in memberships:
        tenant_id = membership.tenant.id
        await enter_scope(session, tenant_id, user_id)
        await release_member_records(session, user_id)
        cipher = await services.keyring.cipher(session, tenant_id)
        await session.execute(
            delete(Invitation).where(col(Invitation.email_bidx) == cipher.blind_index(address))
        )
        await revoke_app_grants(session, user_id)
        await session.execute(delete(Membership).where(col(Membership.user_id) == user_id))
        buffer = AuditBuffer()
        account_deleted(buffer, user_id=user_id, memberships=len(memberships))
        actor = Principal.for_role(user_id, tenant_id, membership.role, principal.auth_method)
        rows = buffer.take_actions(actor, request_id, None)
        assert rows is not None
        await write_rows(session, rows, services.settings.audit_key)
    await enter_scope(session, None, user_id)
    await session.execute(delete(PolicyAcceptance).where(col(PolicyAcceptance.user_id) == user_id))
    await session.execute(delete(AccountToken).where(col(AccountToken.user_id) == user_id))
    await session.delete(user)
    await session.flush()
    await enter_scope(session, principal.tenant_id, user_id)
    return len(memberships)
