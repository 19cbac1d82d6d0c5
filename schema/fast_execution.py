"""A faster executor for lists of plain rows, that never skips a field's policy.

Stock graphql-core resolution costs about 3 µs per value; a 1,000-row page of twelve
fields spends most of its time there. For a list whose items are objects and whose
selected fields are all either

- plain leaf fields (declared with `plain_field` or the Node id: no resolver, no
  extension, no arguments), read with `getattr` like strawberry's default resolver, or
- personal-data leaf fields declared with `pii_field`, rendered by the same policy
  runtime (`privacy.render`) that the stock path's `schema.policy.resolve_cell` calls
  (decision, mask, redaction entry, audit), with the same response path,

the list is completed here row by row without building a resolve-info per cell. Field
collection is graphql-core's own (aliases, fragments, `@include`/`@skip`, key order).
Anything else (a relation, a guarded field, arguments, a `None` in a non-null field, a
value of an unexpected type, deferred fields, middleware) takes the stock path, so
errors, paths and null bubbling stay exactly those of graphql-core. Redactions made by
a list that falls back are discarded first, so none is reported twice.

In verify mode (`VERIFY = True`, on in the test suite) every fast list is completed by
the stock path as well, each with an audit buffer of its own, and both results (data,
redactions and read audit) must be identical: every query the tests run is a check that
this executor matches the stock one, including what it audits.

The overridden methods are not public graphql-core API: graphql-core and strawberry are
pinned in pyproject.toml for that reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import orjson
from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from privacy.audit import AuditBuffer
from privacy.render import PiiSpec, RowPlan, no_cipher, render, row_plan
from schema.policy import (
    AUDIT_OVERRIDE,
    PLAIN,
    POLICY_KEY,
    Batch,
    GuardPolicy,
    RequirePermission,
    SealedPolicy,
)

VERIFY = os.environ.get("LEDGERLINE_VERIFY_FAST_PATH") == "1"
"""Also run the stock path for every fast list and require identical results."""


class FastPathMismatchError(AssertionError):
    """The fast path and the stock path disagreed (only raised in verify mode)."""


class _Fallback(Exception):
    """This list cannot be completed here; let graphql-core do it."""


_EXACT: dict[str, tuple[type, ...]] = {
    GraphQLString.name: (str,),
    GraphQLID.name: (str,),
    GraphQLBoolean.name: (bool,),
}

# (kind, response key, attribute or spec, coerce, exact types, non-null)
_Column = tuple[str, str, Any, Callable[[Any], Any], tuple[type, ...], bool]


class _Relation:
    """A relation completed for a whole level at once through its declared `Batch`."""

    __slots__ = ("batch", "permissions", "many", "columns", "field_def", "node", "child_type")

    def __init__(self, batch: Batch, definition: Any, field_def: Any, node: Any,
                 child_type: Any, many: bool, columns: list[_Column]) -> None:  # fmt: skip
        self.batch = batch
        # Every permission the field checks: its own and its type's (schema/object_policy.py).
        self.permissions = frozenset(
            e.permission for e in definition.extensions if isinstance(e, RequirePermission)
        )
        self.many = many
        self.columns = columns
        self.field_def = field_def
        self.node = node
        self.child_type = child_type


def _relation_target(field_type: Any, many: bool) -> Any:
    """The object type of a nullable to-one relation or a `[T!]!` list, else None."""
    if many:
        if not is_non_null_type(field_type) or not is_list_type(field_type.of_type):
            return None
        item = field_type.of_type.of_type
        if not is_non_null_type(item):
            return None
        target = item.of_type
    else:
        if is_non_null_type(field_type):
            return None
        target = field_type
    return target if is_object_type(target) and target.is_type_of is not None else None


def _item_type(list_type: Any) -> Any:
    item = list_type.of_type
    return item.of_type if isinstance(item, GraphQLNonNull) else item


def _only_permission_extension(definition: Any) -> bool:
    return all(isinstance(e, RequirePermission) for e in definition.extensions) and not (
        definition.permission_classes
    )


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        columns = self._list_columns(return_type, field_details_list, result)
        if columns is None:
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        stock = (return_type, field_details_list, info, path, result, position_context)
        if any(kind == "rel" for kind, *_ in columns):
            return self._complete_nested(columns, stock)
        # Redactions go to a list of this completion's own and join the response only
        # if it succeeds, so a fallback to the stock path never reports them twice.
        mine: list[Any] = []
        audit = AuditBuffer() if VERIFY else self.context_value.audit
        try:
            base = path.as_list()
            rows = [(row, [*base, i]) for i, row in enumerate(result)]
            is_type_of = _item_type(return_type).is_type_of
            fast = self._complete_rows(columns, rows, is_type_of, mine, audit)
        except _Fallback:
            fast = None
        if fast is None:
            return super().complete_list_value(*stock)
        if VERIFY:
            self._check(fast, mine, audit, self._stock_sync(stock), path)
        self.context_value.redactions.extend(mine)
        return fast

    async def _complete_nested(self, columns: list[_Column], stock: tuple[Any, ...]) -> Any:
        """A list whose items have relations: each relation is loaded for the whole level
        with its `Batch` (the same loader and key as its resolver), level by level."""
        path: Path = stock[3]
        mine: list[Any] = []
        audit = AuditBuffer() if VERIFY else self.context_value.audit
        try:
            base = path.as_list()
            rows = [(row, [*base, i]) for i, row in enumerate(stock[4])]
            is_type_of = _item_type(stock[0]).is_type_of
            fast: list[Any] | None = await self._complete_level(
                columns, rows, is_type_of, mine, audit
            )
        except _Fallback:
            fast = None
        if fast is None:
            completed = super().complete_list_value(*stock)
            return await completed if self.is_awaitable(completed) else completed
        if VERIFY:
            self._check(fast, mine, audit, await self._stock_async(stock), path)
        self.context_value.redactions.extend(mine)
        return fast

    # -- planning -------------------------------------------------------------------

    def _list_columns(
        self, return_type: GraphQLList[Any], field_details_list: Any, result: Any
    ) -> list[_Column] | None:
        manager = self.middleware_manager
        if (manager is not None and manager.middlewares) or not isinstance(result, list):
            return None
        item_type = _item_type(return_type)
        if not is_object_type(item_type) or item_type.is_type_of is None:
            return None
        return self._object_columns(item_type, field_details_list)

    def _object_columns(self, item_type: Any, field_details_list: Any) -> list[_Column] | None:
        # One plan per selection of this operation (the same AST nodes), not per list:
        # a nested list under each of 1,000 parents is planned once.
        key = (item_type.name, *(id(d.node) for d in field_details_list))
        plans = self.__dict__.setdefault("_fast_plans", {})
        if key not in plans:
            plans[key] = None  # a selection that reaches itself is not planned twice
            grouped, defer_usages, forbidden = self.collect_subfields(item_type, field_details_list)
            if not defer_usages and not forbidden:
                plans[key] = self._plan(item_type, grouped)
        return plans[key]

    def _plan(self, item_type: Any, grouped: dict[str, Any]) -> list[_Column] | None:
        columns: list[_Column] = []
        for key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            if any(d.fragment_variable_values for d in details):
                return None
            if name == "__typename":
                columns.append(("const", key, item_type.name, str, (str,), True))
                continue
            field_def = item_type.fields.get(name)
            definition = (
                (field_def.extensions or {}).get("strawberry-definition") if field_def else None
            )
            if definition is None:
                return None
            policy = definition.metadata.get(POLICY_KEY)
            if node.selection_set is not None:
                column = self._relation_column(key, details, field_def, definition, policy)
                if column is None:
                    return None
                columns.append(column)
                continue
            if node.arguments or field_def.args:
                return None
            field_type = field_def.type
            non_null = is_non_null_type(field_type)
            leaf = field_type.of_type if non_null else field_type
            if not is_leaf_type(leaf) or definition.extensions or definition.permission_classes:
                return None
            exact = _EXACT.get(leaf.name, ())
            coerce = leaf.coerce_output_value
            if policy is PLAIN and definition.base_resolver is None:
                columns.append(("plain", key, definition.python_name, coerce, exact, non_null))
            elif isinstance(policy, SealedPolicy):
                columns.append(("sealed", key, policy, coerce, exact, non_null))
            elif isinstance(policy, PiiSpec) and not non_null:
                columns.append(("pii", key, policy, coerce, exact, False))
            else:
                return None
        return columns

    def _relation_column(
        self, key: str, details: Any, field_def: Any, definition: Any, policy: Any
    ) -> _Column | None:
        if not isinstance(policy, GuardPolicy) or policy.batch is None:
            return None
        if not _only_permission_extension(definition):
            return None
        many = policy.batch.many
        target = _relation_target(field_def.type, many)
        if target is None:
            return None
        child_columns = self._object_columns(target, details)
        if child_columns is None:
            return None
        relation = _Relation(
            policy.batch, definition, field_def, details[0].node, target, many, child_columns
        )
        return ("rel", key, relation, str, (), False)

    # -- completion -----------------------------------------------------------------

    async def _complete_level(
        self,
        columns: list[_Column],
        rows: list[tuple[Any, list[Any]]],
        is_type_of: Any,
        redactions: list[Any],
        audit: AuditBuffer,
    ) -> list[Any]:
        items = self._complete_rows(columns, rows, is_type_of, redactions, audit)
        for kind, key, relation, *_ in columns:
            if kind != "rel":
                continue
            loaded = await self._load(relation, [row for row, _ in rows])
            children: list[tuple[Any, list[Any]]] = []
            for (_, base), value in zip(rows, loaded, strict=True):
                if relation.many:
                    children.extend((child, [*base, key, j]) for j, child in enumerate(value))
                elif value is not None:
                    children.append((value, [*base, key]))
            completed = iter(
                await self._complete_level(
                    relation.columns, children, relation.child_type.is_type_of, redactions, audit
                )
            )
            for item, value in zip(items, loaded, strict=True):
                if relation.many:
                    item[key] = [next(completed) for _ in value]
                else:
                    item[key] = None if value is None else next(completed)
        return items

    async def _load(self, relation: _Relation, rows: list[Any]) -> list[Any]:
        """What the relation's resolver returns for each row, loaded in one batch; the
        permission and arguments are checked first, and anything unusual falls back."""
        ctx = self.context_value
        principal = ctx.principal
        if principal is None or not relation.permissions <= principal.permissions:
            raise _Fallback  # the stock path reports UNAUTHENTICATED / FORBIDDEN per path
        try:
            args = get_argument_values(relation.field_def, relation.node, self.variable_values)
            loader = relation.batch.loader(ctx, args)
        except Exception as exc:
            raise _Fallback from exc
        keys = [getattr(row, relation.batch.key) for row in rows]
        wanted = [k for k in keys if k is not None]
        found = iter(await loader.load_many(wanted)) if wanted else iter(())
        empty: Any = [] if relation.many else None
        loaded = [empty if k is None else next(found) for k in keys]
        if relation.many and any(child is None for value in loaded for child in value):
            raise _Fallback
        return loaded

    def _complete_rows(
        self,
        columns: list[_Column],
        rows: list[tuple[Any, list[Any]]],
        is_type_of: Any,
        redactions: list[Any],
        audit: AuditBuffer,
    ) -> list[Any]:
        """Plain cells by attribute; personal-data cells through the policy runtime
        (privacy/render.py) with the decisions planned once per subject state for the
        whole row, so values, masks, redaction entries and audit are those of
        `schema.policy.resolve_cell`. Relation cells get a placeholder, so the keys keep
        the document's order."""
        ctx = self.context_value
        specs = [source for kind, _, source, *_ in columns if kind == "pii"]
        plans: dict[Any, RowPlan] = {}
        policy = ctx.policy
        decrypt = ctx.cipher.decrypt if ctx.cipher is not None else no_cipher
        out: list[Any] = []
        append = out.append
        for row, base in rows:
            if row is None or not is_type_of(row, None):
                raise _Fallback
            item: dict[str, Any] = {}
            if specs:
                state = row.subject_state
                subject_id = row.subject_id
                if state is None and subject_id is not None:
                    raise _Fallback  # the stock path fails closed, loudly
                plan = plans.get(state)
                if plan is None:
                    plan = plans[state] = row_plan(policy, specs, state)
                if subject_id is not None and (plan.shown or plan.redacted):
                    audit.read_all(subject_id, plan.shown, plan.redacted)
                decisions = plan.decisions
                position = 0
            for kind, key, source, coerce, exact, non_null in columns:
                if kind == "plain":
                    value = getattr(row, source)
                elif kind == "sealed":
                    value = source.value(row, decrypt)
                elif kind == "pii":
                    value, entry = render(decisions[position], row, source, decrypt)
                    position += 1
                    if entry is not None:
                        entry["path"] = [*base, key]
                        redactions.append(entry)
                        if subject_id is not None and "masked" in entry:
                            audit.read(subject_id, source.policy.category, True)
                elif kind == "rel":
                    item[key] = None
                    continue
                else:
                    item[key] = source
                    continue
                if value is None:
                    if non_null:
                        raise _Fallback
                    item[key] = None
                elif type(value) in exact:
                    item[key] = value
                else:
                    coerced = coerce(value)
                    if coerced is None or coerced is Undefined:
                        raise _Fallback
                    item[key] = coerced
            append(item)
        return out

    # -- verification ---------------------------------------------------------------

    def _stock_sync(self, stock: tuple[Any, ...]) -> tuple[Any, list[Any], AuditBuffer]:
        """The stock completion, the redactions it added (then taken back out) and the
        audit it made, in a buffer of its own."""
        log = self.context_value.redactions
        before = len(log)
        audit = AuditBuffer()
        token = AUDIT_OVERRIDE.set(audit)
        try:
            completed = super().complete_list_value(*stock)
        finally:
            AUDIT_OVERRIDE.reset(token)
        if self.is_awaitable(completed):
            raise FastPathMismatchError("stock path was asynchronous for a leaf list")
        added = log[before:]
        del log[before:]
        return completed, added, audit

    async def _stock_async(self, stock: tuple[Any, ...]) -> tuple[Any, list[Any], AuditBuffer]:
        """As `_stock_sync`; other tasks append to the log meanwhile, so this list's
        entries are told apart by their path under this list. The audit override is a
        context variable: the tasks this completion starts inherit it, others do not."""
        log = self.context_value.redactions
        seen = {id(entry) for entry in log}
        audit = AuditBuffer()
        token = AUDIT_OVERRIDE.set(audit)
        try:
            completed = super().complete_list_value(*stock)
            if self.is_awaitable(completed):
                completed = await completed
        finally:
            AUDIT_OVERRIDE.reset(token)
        prefix = stock[3].as_list()
        width = len(prefix)
        added = [e for e in log if id(e) not in seen and e["path"][:width] == prefix]
        taken = {id(e) for e in added}
        log[:] = [e for e in log if id(e) not in taken]
        return completed, added, audit

    def _check(
        self,
        fast: list[Any],
        fast_redactions: list[Any],
        fast_audit: AuditBuffer,
        stock: tuple[Any, list[Any], AuditBuffer],
        path: Path,
    ) -> None:
        """Data byte for byte; redactions as a set of entries, because the stock path
        orders the entries of nested levels by when their loaders resolve; the read
        audit subject by subject. Only the fast path's audit then joins the request's."""
        completed, stock_redactions, stock_audit = stock
        same_data = orjson.dumps(completed) == orjson.dumps(fast)
        key = orjson.dumps
        same_redactions = sorted(map(key, fast_redactions)) == sorted(map(key, stock_redactions))
        same_audit = fast_audit.reads() == stock_audit.reads()
        if not (same_data and same_redactions and same_audit):
            raise FastPathMismatchError(
                f"fast path differs from stock at {path.as_list()}: "
                f"{fast[:2]!r} vs {completed[:2]!r}; redactions {fast_redactions[:2]!r} vs "
                f"{stock_redactions[:2]!r}; audit equal: {same_audit}"
            )
        # Into the buffer this completion belongs to: a list nested in a stock replay
        # belongs to that replay's buffer.
        outer = AUDIT_OVERRIDE.get()
        (self.context_value.audit if outer is None else outer).merge(fast_audit)
