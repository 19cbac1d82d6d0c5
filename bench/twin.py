"""The no-policy twin: the same rows, loaders and execution path, without the policy.

Plain strawberry types: leaf fields read the row's attributes, encrypted columns are
decrypted by a plain resolver, relations are plain async resolvers over the very same
loaders (and the API's generic, policy-free `Connection`). No `pii_field`, no
`guarded_field` permission extension, no redaction list and no audit. The schema
extensions (limits, parse cache, error masking) and `execute_operation` (session,
cipher, commit) are the API's own, so twin_ratio isolates the field-level policy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from auth.permissions import Permission
from privacy.consent import ERASED_TEXT
from resolvers import contacts as contact_resolvers
from resolvers.pagination import PageArgs
from resolvers.references import existing
from resolvers.rows import ActivityRow, CompanyRow, DealRow
from schema.fast_execution import FastExecutionContext
from schema.operations.contacts import ConsentInput, CreateContactInput
from schema.operations.inputs import present
from schema.policy import PLAIN, POLICY_KEY, GuardPolicy, load_related, sealed_field
from schema.types.closed_sets import LifecycleStage
from schema.types.companies import DEALS as COMPANY_DEALS
from schema.types.contacts import COMPANY as CONTACT_COMPANY
from schema.types.deals import ACTIVITIES as DEAL_ACTIVITIES
from schema.types.pagination import Connection


def _plain(**kwargs: Any) -> Any:
    # Plain fields in the same executor as the API (its fast path for plain leaves),
    # so twin_ratio measures the policy, not a slower execution path.
    return strawberry.field(metadata={POLICY_KEY: PLAIN}, **kwargs)


def _relation(batch: Any) -> Any:
    # The same batched path the API's relations take in the fast executor (a relation
    # still checks its read permission there: a set lookup, the twin's only "policy").
    return strawberry.field(metadata={POLICY_KEY: GuardPolicy(Permission.CONTACTS_READ, batch)})


@strawberry.type(name="Activity")
class TwinActivity:
    # Encrypted at rest like the API's (decrypting is storage, not policy).
    subject: str = sealed_field("", source="subject_enc", empty=ERASED_TEXT)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, ActivityRow)


@strawberry.type(name="Deal")
class TwinDeal:
    title: str = sealed_field("", source="title_enc", empty=ERASED_TEXT)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, DealRow)

    @_relation(DEAL_ACTIVITIES)
    async def activities(
        self, root: strawberry.Parent[Any], info: strawberry.Info, first: int = 10
    ) -> list[TwinActivity]:
        return await load_related(DEAL_ACTIVITIES, info, root, first=first)


@strawberry.type(name="Company")
class TwinCompany:
    name: str = _plain()

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, CompanyRow)

    @_relation(COMPANY_DEALS)
    async def deals(
        self, root: strawberry.Parent[Any], info: strawberry.Info, first: int = 10
    ) -> list[TwinDeal]:
        return await load_related(COMPANY_DEALS, info, root, first=first)


class TwinContactRow:
    """A contact as a policy-free API would hold it: decrypted once, plain attributes."""

    __slots__ = ("_row", "email", "phone", "job_title", "city", "country")

    def __init__(self, row: Any, cipher: Any) -> None:
        self._row = row
        self.email = cipher.decrypt(row.email_enc)
        self.phone = cipher.decrypt(row.phone_enc)
        self.job_title = cipher.decrypt(row.job_title_enc)
        self.city = cipher.decrypt(row.city_enc)
        self.country = cipher.decrypt(row.country_enc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


@strawberry.type(name="Contact")
class TwinContact:
    gid: strawberry.ID = _plain(name="id")
    first_name: str | None = _plain()
    last_name: str | None = _plain()
    email: str | None = _plain()
    phone: str | None = _plain()
    job_title: str | None = _plain()
    city: str | None = _plain()
    country: str | None = _plain()
    lifecycle_stage: LifecycleStage = _plain()
    source: str | None = _plain()
    created_at: datetime = _plain()
    updated_at: datetime = _plain()

    @_relation(CONTACT_COMPANY)
    async def company(
        self, root: strawberry.Parent[Any], info: strawberry.Info
    ) -> TwinCompany | None:
        return await load_related(CONTACT_COMPANY, info, root)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, TwinContactRow)


def _twin(ctx: Any, row: Any) -> TwinContactRow:
    return TwinContactRow(row, ctx.cipher)


@strawberry.type(name="ContactPayload")
class TwinContactPayload:
    contact: TwinContact


@strawberry.type
class Query:
    @strawberry.field
    async def contacts(
        self, info: strawberry.Info, first: int | None = None
    ) -> Connection[TwinContact]:
        rows, page = await contact_resolvers.list_contacts(
            info.context, None, "CREATED_AT", True, PageArgs(first=first)
        )
        return Connection(nodes=[_twin(info.context, r) for r in rows], _page=page)

    @strawberry.field
    async def contact(self, info: strawberry.Info, id: strawberry.ID) -> TwinContact:
        return _twin(info.context, await existing(info.context, id, "Contact", "id"))


@strawberry.type
class Mutation:
    @strawberry.field
    async def create_contact(
        self,
        info: strawberry.Info,
        input: CreateContactInput,
        consents: list[ConsentInput] | None = None,
    ) -> TwinContactPayload:
        records = [c.to_record() for c in consents or []]
        row = await contact_resolvers.create_contact(info.context, present(input), records)
        info.context.audit.actions.clear()  # no audit in the twin
        return TwinContactPayload(contact=_twin(info.context, row))


def build_twin_schema(extensions: list[Any] | None = None) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions or [],
        execution_context_class=FastExecutionContext,
    )
