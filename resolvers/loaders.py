"""Per-request, tenant-bound batch loaders (DESIGN: "Dataloaders are created per request").

Named `XByYLoader` after Saleor. Every load goes through the request's session, whose
tenant guard confines it to the caller's tenant; a key from another tenant simply
finds nothing. Contacts arrive with their data subject's state attached.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from models import Activity, Company, Contact, Deal
from privacy.subject_state import StateInterner, build_state, parse_standings, standings_of
from resolvers.rows import ActivityRow, CompanyRow, ContactRow, DealRow, MemberRow, Row

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.context import RequestContext


def contact_select(source: Any = Contact) -> Select[Any]:
    """Contacts with their subject's consent standings in the same statement."""
    if source is Contact:
        return _CONTACT_SELECT
    return _contact_select(source)


def activity_select(source: Any = Activity) -> Select[Any]:
    """Activities with the state of the person their body is about: the recorded
    `subject_contact_id`, never the current (changeable) contact link."""
    if source is Activity:
        return _ACTIVITY_SELECT
    return _activity_select(source)


def _contact_select(source: Any) -> Select[Any]:
    return select(*(getattr(source, n) for n in ContactRow.NAMES), standings_of(source.id))


def _activity_select(source: Any) -> Select[Any]:
    return select(
        *(getattr(source, n) for n in ActivityRow.NAMES),
        col(Contact.restricted),
        col(Contact.erased_at),
        standings_of(source.subject_contact_id),
    ).outerjoin(Contact, col(Contact.id) == source.subject_contact_id)


# Built once: statements are immutable, callers add their WHERE/ORDER BY to copies.
_CONTACT_SELECT = _contact_select(Contact)
_ACTIVITY_SELECT = _activity_select(Activity)


def contacts_with_state(
    ctx: RequestContext, result_rows: Sequence[Sequence[Any]]
) -> list[ContactRow]:
    """Rows of `contact_select()`: each contact with its (interned) subject state."""
    return contact_rows(loaders_of(ctx).states, result_rows)


def contact_rows(interner: StateInterner, result_rows: Sequence[Sequence[Any]]) -> list[ContactRow]:
    """`contacts_with_state` outside a request (a webhook's payload)."""
    width = len(ContactRow.NAMES)
    out = []
    for values in result_rows:
        row = ContactRow.from_tuple(values[:width])
        row.subject_state = build_state(
            interner, row.restricted, row.erased_at is not None, parse_standings(values[width])
        )
        out.append(row)
    return out


def activities_with_state(
    ctx: RequestContext, result_rows: Sequence[Sequence[Any]]
) -> list[ActivityRow]:
    """Rows of `activity_select()`: each activity with its recorded subject's state."""
    interner = loaders_of(ctx).states
    width = len(ActivityRow.NAMES)
    out = []
    for values in result_rows:
        row = ActivityRow.from_tuple(values[:width])
        if row.subject_contact_id is not None:
            restricted, erased_at, standings = values[width:]
            # No contact row (restricted is NOT NULL): the person was deleted; their
            # notes read as erased, never as a person without any recorded choice.
            gone = restricted is None
            row.subject_state = build_state(
                interner, bool(restricted), gone or erased_at is not None,
                parse_standings(standings),
            )  # fmt: skip
        out.append(row)
    return out


R = TypeVar("R", bound=Row)


class _ByIdLoader(DataLoader[uuid.UUID, R | None], Generic[R]):
    row_class: type[R]
    model: Any

    def __init__(self, ctx: RequestContext) -> None:
        super().__init__()
        self.ctx = ctx

    async def fetch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[R]:
        result = await session.execute(
            select(*self.row_class.COLUMNS).where(self.model.id.in_(keys))
        )
        return [self.row_class.from_tuple(values) for values in result]

    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[R | None]:
        rows = {row.id: row for row in await self.fetch(self.ctx.db, keys)}
        return [rows.get(key) for key in keys]


class CompanyByIdLoader(_ByIdLoader[CompanyRow]):
    row_class = CompanyRow
    model = Company


class DealByIdLoader(_ByIdLoader[DealRow]):
    row_class = DealRow
    model = Deal


class ActivityByIdLoader(_ByIdLoader[ActivityRow]):
    row_class = ActivityRow
    model = Activity

    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[ActivityRow | None]:
        result = await self.ctx.db.execute(activity_select().where(col(Activity.id).in_(keys)))
        by_id = {row.id: row for row in activities_with_state(self.ctx, result.all())}
        return [by_id.get(key) for key in keys]


class ContactByIdLoader(_ByIdLoader[ContactRow]):
    row_class = ContactRow
    model = Contact

    async def batch_load_fn(self, keys: list[uuid.UUID]) -> list[ContactRow | None]:
        result = await self.ctx.db.execute(contact_select().where(col(Contact.id).in_(keys)))
        rows = {row.id: row for row in contacts_with_state(self.ctx, result.all())}
        return [rows.get(key) for key in keys]


class MemberByUserLoader(DataLoader[uuid.UUID, MemberRow | None]):
    """Owners and authors: members of the caller's tenant by user id, in one batch."""

    def __init__(self, ctx: RequestContext) -> None:
        super().__init__()
        self.ctx = ctx

    async def batch_load_fn(self, user_ids: list[uuid.UUID]) -> list[MemberRow | None]:
        from resolvers.members import members_by_user

        found = await members_by_user(self.ctx, user_ids)
        return [found.get(user_id) for user_id in user_ids]


class ChildrenLoader(DataLoader[uuid.UUID, list[Any]]):
    """Children of many parents in one statement, the first `limit` of each parent.

    ROW_NUMBER() over the parent key keeps it to one query per level whatever the page
    size (SQLite >= 3.25 and PostgreSQL both have window functions).
    """

    def __init__(
        self,
        ctx: RequestContext,
        row_class: type[Row],
        model: Any,
        parent_column: Any,
        limit: int,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.row_class = row_class
        self.model = model
        self.parent_column = parent_column
        self.limit = limit

    async def batch_load_fn(self, parent_ids: list[uuid.UUID]) -> list[list[Any]]:
        rank = (
            func.row_number()
            .over(
                partition_by=self.parent_column,
                order_by=(self.model.created_at.desc(), self.model.id.desc()),
            )
            .label("rank")
        )
        inner = select(self.model, rank).where(self.parent_column.in_(parent_ids)).subquery()
        # An ORM alias over the subquery, so the tenant guard's criteria reach it.
        ranked = aliased(self.model, inner)
        if self.row_class is ContactRow:
            stmt = contact_select(ranked)
        elif self.row_class is ActivityRow:
            stmt = activity_select(ranked)
        else:
            stmt = select(*[getattr(ranked, name) for name in self.row_class.NAMES])
        stmt = stmt.where(inner.c.rank <= self.limit).order_by(
            ranked.created_at.desc(), ranked.id.desc()
        )
        result = (await self.ctx.db.execute(stmt)).all()
        if self.row_class is ContactRow:
            rows: list[Any] = contacts_with_state(self.ctx, result)
        elif self.row_class is ActivityRow:
            rows = activities_with_state(self.ctx, result)
        else:
            rows = [self.row_class.from_tuple(values) for values in result]
        parent_attr = self.parent_column.key
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, parent_attr)].append(row)
        return [grouped.get(pid, []) for pid in parent_ids]


class Loaders:
    """The request's loaders, created lazily; nothing here outlives the request."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.states = StateInterner()
        self.contact_by_id = ContactByIdLoader(ctx)
        self.company_by_id = CompanyByIdLoader(ctx)
        self.deal_by_id = DealByIdLoader(ctx)
        self.activity_by_id = ActivityByIdLoader(ctx)
        self.member_by_user = MemberByUserLoader(ctx)
        self._children: dict[tuple[str, str, int], ChildrenLoader] = {}

    def children(
        self, row_class: type[Row], model: Any, parent_column: Any, limit: int
    ) -> ChildrenLoader:
        key = (model.__name__, parent_column.key, limit)
        loader = self._children.get(key)
        if loader is None:
            loader = ChildrenLoader(self.ctx, row_class, model, parent_column, limit)
            self._children[key] = loader
        return loader


def to_one(loader_name: str, key: str) -> Any:
    """A relation to one row by foreign key, through a `XByIdLoader`."""
    from schema.policy import Batch

    return Batch(
        many=False, key=key, loader=lambda ctx, _args: getattr(loaders_of(ctx), loader_name)
    )


def to_many(row_class: type[Row], model: Any, parent_column: Any) -> Any:
    """The first `first` children of each parent, one statement for all parents."""
    from resolvers.contacts import _page_limit
    from schema.policy import Batch

    def loader(ctx: RequestContext, args: dict[str, Any]) -> ChildrenLoader:
        return loaders_of(ctx).children(
            row_class, model, parent_column, _page_limit(ctx, args["first"])
        )

    return Batch(many=True, key="id", loader=loader)


def loaders_of(ctx: RequestContext) -> Loaders:
    """The request's loaders, made on first use; nothing here outlives the request."""
    loaders: Loaders | None = ctx.loaders  # `Any` in core/, which never imports resolvers/
    if loaders is None:
        loaders = ctx.loaders = Loaders(ctx)
    return loaders
