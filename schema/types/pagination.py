"""Connections (Relay cursor pagination) shared by every list of the API."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

from core.context import RequestContext
from resolvers.pagination import Page

T = TypeVar("T")


@strawberry.type(description="Where this page sits in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="One page of a list; `nodes` is `edges.node` without cursors.")
class Connection(Generic[T]):
    nodes: list[T]
    _page: strawberry.Private[Page]

    @strawberry.field
    def edges(self) -> list[Edge[T]]:
        return [Edge(cursor=self._page.cursor(row), node=row) for row in self.nodes]

    @strawberry.field
    def page_info(self) -> PageInfo:
        nodes = self.nodes
        return PageInfo(
            has_next_page=self._page.has_next,
            has_previous_page=self._page.has_previous,
            start_cursor=self._page.cursor(nodes[0]) if nodes else None,
            end_cursor=self._page.cursor(nodes[-1]) if nodes else None,
        )

    @strawberry.field(description="How many items match, across all pages.")
    async def total_count(self, info: strawberry.Info[RequestContext, None]) -> int:
        return int((await info.context.db.execute(self._page.count_stmt)).scalar_one())
