"""Policy versions (policy section 12): the published versions, and acknowledging the
one in force, which ends the `extensions.policy` notice. privacy/policy_versions.py
holds the rules."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import select
from sqlmodel import col

from core.context import RequestContext
from core.errors import bad_input
from models.accounts import PolicyVersion
from models.base import utcnow
from privacy.policy_versions import acknowledge, in_force, material_versions, policy_acknowledged
from schema.policy import plain_field


@strawberry.type(description="A published version of the privacy policy.")
class PolicyVersionInfo:
    version: str = plain_field("The version: its 'last updated' date.")
    last_updated: date = plain_field("The policy's 'Last updated' date.")
    effective_date: date = plain_field("From when a material version is in force.")
    material: bool = plain_field(
        "A material change, which every account holder is asked to acknowledge; an "
        "editorial one asks nobody."
    )
    in_force: bool = plain_field("The version account holders acknowledge now.")
    new_consent_purposes: list[str] = plain_field(
        "Consent-based purposes this version introduces: nobody's consent is assumed, "
        "each person opts in on their own."
    )


@strawberry.type(description="The version you acknowledged.")
class AcknowledgePolicyPayload:
    version: str = plain_field("The policy version acknowledged.")


@strawberry.type
class Query:
    @strawberry.field(
        description="Every published version of the privacy policy, newest first. Needs no sign-in."
    )
    async def policy_versions(
        self, info: strawberry.Info[RequestContext, None]
    ) -> list[PolicyVersionInfo]:
        db = info.context.db
        rows = (
            await db.execute(select(PolicyVersion).order_by(col(PolicyVersion.version).desc()))
        ).scalars()
        current = in_force(await material_versions(db), utcnow())
        return [
            PolicyVersionInfo(
                version=row.version,
                last_updated=date.fromisoformat(row.version),
                effective_date=row.effective_at.date(),
                material=row.material,
                in_force=current is not None and current.version == row.version,
                new_consent_purposes=[p for p in row.consent_purposes_added.split(",") if p],
            )
            for row in rows
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Acknowledge the privacy policy version in force (the `version` of "
        "`extensions.policy`): the notice ends. Acknowledging never gives consent to a "
        "purpose. BAD_USER_INPUT for any other version."
    )
    async def acknowledge_policy(
        self, info: strawberry.Info[RequestContext, None], version: str
    ) -> AcknowledgePolicyPayload:
        ctx = info.context
        principal = ctx.require_principal()
        if not await acknowledge(ctx.db, principal.user_id, version, utcnow()):
            raise bad_input("This is not the policy version in force.", "version")
        policy_acknowledged(ctx.audit, user_id=principal.user_id, version=version)
        return AcknowledgePolicyPayload(version=version)
