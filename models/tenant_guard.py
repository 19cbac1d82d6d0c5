"""The application's tenant filter (policy section 4, second layer of DESIGN's list).

Every ORM statement that touches a tenant-scoped table gets `tenant_id = :current`
added by `with_loader_criteria`; a statement that touches one without a current
tenant is refused before it reaches the database. New rows are stamped with the
current tenant and a row claiming another tenant is refused at flush.

A session's scope lives in `session.info`:
- `tenant_id`: the tenant every statement is confined to;
- `user_scope`: before a tenant is chosen (log-in, tenant switch) only the caller's own
  memberships are visible.

The trash (policy section 5; issue 11) is hidden here too, in the one place every read
passes: a SELECT of a trashable table (models.base.Trashable) also gets `deleted_at IS
NULL`, so lists, nodes, nested relations, filters, counts, the loaders and the fast
executor never see a deleted row. Only statements that ask for it with the execution
option `INCLUDE_TRASHED` (the trash list, restore, the purge) see them. Writes are not
filtered: erasure must still reach a deleted person's deals and notes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement, TextClause

from models.accounts import Membership
from models.base import is_tenant_scoped, is_trashable


class TenantScopeError(RuntimeError):
    """A statement would have touched tenant data outside a tenant scope."""


def _scoped_classes() -> list[type]:
    from sqlmodel import SQLModel

    classes = []
    for mapper in SQLModel._sa_registry.mappers:
        if is_tenant_scoped(mapper.class_):
            classes.append(mapper.class_)
    return classes


INCLUDE_TRASHED = "include_trashed"
"""Execution option (`stmt.execution_options(include_trashed=True)`): see deleted rows."""

_SCOPED: list[type] = []
_SCOPED_TABLES: set[str] = set()


def scoped_classes() -> list[type]:
    if not _SCOPED:
        _SCOPED.extend(_scoped_classes())
        _SCOPED_TABLES.update(inspect(cls).local_table.name for cls in _SCOPED)
    return _SCOPED


@lru_cache(maxsize=4096)
def _criteria_for(tenant_id: uuid.UUID, hide_trashed: bool) -> tuple[Any, ...]:
    """Built once per tenant: the options are immutable and the tenant is their only
    variable, so reusing them saves building a dozen options per statement."""
    return tuple(
        with_loader_criteria(
            cls,
            (lambda c: (c.tenant_id == tenant_id) & c.deleted_at.is_(None))
            if hide_trashed and is_trashable(cls)
            else (lambda c: c.tenant_id == tenant_id),
            include_aliases=True,
        )
        for cls in scoped_classes()
    )


def _touches_scoped_table(state: ORMExecuteState, mappers: Any) -> bool:
    if any(is_tenant_scoped(m.class_) for m in mappers):
        return True
    # No tenant entity at the top: look everywhere, subqueries included, because loader
    # criteria only reach tables that appear through ORM entities.
    statement = state.statement
    assert isinstance(statement, ClauseElement)  # every ORM statement is one
    return any(
        isinstance(element, Table) and element.name in _SCOPED_TABLES
        for element in visitors.iterate(statement)
    )


@event.listens_for(Session, "do_orm_execute")
def _tenant_guard(state: ORMExecuteState) -> None:
    scoped_classes()
    info = state.session.info
    if isinstance(state.statement, TextClause):
        if info.get("allow_text_sql"):
            return
        raise TenantScopeError("textual SQL is refused on tenant sessions; use ORM statements")
    mappers = state.all_mappers  # computed once: it walks the statement
    if not _touches_scoped_table(state, mappers):
        return
    if not any(is_tenant_scoped(m.class_) for m in mappers):
        raise TenantScopeError("tenant tables are reached through ORM entities only")
    tenant_id = info.get("tenant_id")
    if state.is_insert:
        _check_insert(state, tenant_id)
        return
    if state.is_update and _sets_tenant(state.statement):
        raise TenantScopeError("a row's tenant never changes")
    if tenant_id is not None:
        hide_trashed = state.is_select and not state.execution_options.get(INCLUDE_TRASHED)
        state.statement = state.statement.options(*_criteria_for(tenant_id, hide_trashed))
        return
    user_id = info.get("user_scope")
    classes = {m.class_ for m in mappers if is_tenant_scoped(m.class_)}
    if user_id is not None and classes <= {Membership}:
        state.statement = state.statement.options(
            with_loader_criteria(Membership, lambda c: c.user_id == user_id)
        )
        return
    raise TenantScopeError("no current tenant: refusing to touch tenant data")


def _key(column: Any) -> str:
    return column if isinstance(column, str) else getattr(column, "key", str(column))


def _literal(value: Any) -> Any:
    return getattr(value, "value", value)  # a BindParameter carries its value


def _sets_tenant(stmt: Any) -> bool:
    values = getattr(stmt, "_values", None) or {}
    multi = getattr(stmt, "_multi_values", None) or ()
    keys = {_key(k) for k in values} | {_key(k) for batch in multi for row in batch for k in row}
    return "tenant_id" in keys


def _check_insert(state: ORMExecuteState, tenant_id: uuid.UUID | None) -> None:
    """Every inserted row must name the current tenant: executemany parameters,
    `.values({...})` and multi-row `.values([...])` alike; INSERT ... SELECT is refused
    because its rows cannot be checked before they are written."""
    if tenant_id is None:
        raise TenantScopeError("no current tenant: refusing to insert tenant data")
    stmt = state.statement
    if getattr(stmt, "select", None) is not None:
        raise TenantScopeError("INSERT ... SELECT into tenant tables is refused")
    params = state.parameters
    rows: list[Mapping[str, Any]]
    if isinstance(params, Mapping):
        rows = [params] if params else []
    elif params:  # executemany: a sequence of mappings
        rows = list(params)
    else:
        rows = []
    values = getattr(stmt, "_values", None)
    if values:
        rows.append({_key(k): _literal(v) for k, v in values.items()})
    for batch in getattr(stmt, "_multi_values", None) or ():
        rows.extend({_key(k): _literal(v) for k, v in row.items()} for row in batch)
    if not rows:
        raise TenantScopeError("refusing an insert whose tenant cannot be checked")
    for row in rows:
        if row.get("tenant_id") != tenant_id:
            raise TenantScopeError("refusing to insert a row for another tenant")


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _ctx: Any, _instances: Any) -> None:
    tenant_id = session.info.get("tenant_id")
    for obj in list(session.new) + list(session.dirty):
        if not is_tenant_scoped(type(obj)):
            continue
        if tenant_id is None:
            raise TenantScopeError("no current tenant: refusing to write tenant data")
        current = getattr(obj, "tenant_id", None)
        if current is None:
            obj.tenant_id = tenant_id
        elif current != tenant_id:
            raise TenantScopeError("refusing to write a row of another tenant")


__all__ = ["INCLUDE_TRASHED", "TenantScopeError", "scoped_classes"]
