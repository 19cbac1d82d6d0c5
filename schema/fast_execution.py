"""A faster executor for lists of plain rows, that never skips a field's policy.

Stock graphql-core resolution costs about 3 µs per value; a 1,000-row page of twelve
fields spends most of its time there. For a list whose items are objects and whose
selected fields are all either

- plain leaf fields (declared with `plain_field` or the Node id: no resolver, no
  extension, no arguments), read with `getattr` like strawberry's default resolver, or
- personal-data leaf fields declared with `pii_field`, resolved through the very same
  `schema.policy.resolve_cell` the stock path calls (decision, mask, redaction entry,
  audit), with the same response path,

the list is completed here row by row without building a resolve-info per cell. Field
collection is graphql-core's own (aliases, fragments, `@include`/`@skip`, key order).
Anything else (a relation, a guarded field, arguments, a `None` in a non-null field, a
value of an unexpected type, deferred fields, middleware) takes the stock path, so
errors, paths and null bubbling stay exactly those of graphql-core. Redactions made by
a list that falls back are discarded first, so none is reported twice.

In verify mode (`VERIFY = True`, on in the test suite) every fast list is completed by
the stock path as well and both results, data and redactions, must be identical: every
query the tests run is a check that this executor matches the stock one.

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
    GraphQLObjectType,
    GraphQLString,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from privacy.decision import Verdict
from privacy.masking import apply_mask
from schema.policy import PLAIN, POLICY_KEY, PiiSpec

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


def _plan_columns(item_type: GraphQLObjectType, grouped: dict[str, Any]) -> list[_Column] | None:
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
        if field_def is None or node.arguments or field_def.args or node.selection_set:
            return None
        field_type = field_def.type
        non_null = is_non_null_type(field_type)
        leaf = field_type.of_type if non_null else field_type
        if not is_leaf_type(leaf):
            return None
        definition = (field_def.extensions or {}).get("strawberry-definition")
        if definition is None or definition.extensions or definition.permission_classes:
            return None
        policy = definition.metadata.get(POLICY_KEY)
        exact = _EXACT.get(leaf.name, ())
        coerce = leaf.coerce_output_value
        if policy is PLAIN and definition.base_resolver is None:
            columns.append(("plain", key, definition.python_name, coerce, exact, non_null))
        elif isinstance(policy, PiiSpec) and not non_null:
            columns.append(("pii", key, policy, coerce, exact, False))
        else:
            return None
    return columns


def _row_plan(ctx: Any, specs: list[PiiSpec], state: Any) -> tuple[list[Any], Any, Any]:
    """The decisions for one subject state, and the categories the audit records as
    shown or redacted for every row in that state (masks depend on the value: per cell)."""
    decisions = [ctx.policy.decide(spec.policy, state) for spec in specs]
    shown = frozenset(
        s.policy.category
        for s, d in zip(specs, decisions, strict=True)
        if d.verdict is Verdict.SHOW
    )
    redacted = frozenset(
        s.policy.category
        for s, d in zip(specs, decisions, strict=True)
        if d.verdict is Verdict.REDACT
    )
    return decisions, shown, redacted


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def complete_list_value(  # type: ignore[override]
        self,
        return_type: GraphQLList[Any],
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        columns = self._fast_columns(return_type, field_details_list, result)
        if columns is None:
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        ctx = self.context_value
        outer = ctx.redactions
        ctx.redactions = []
        try:
            fast = self._complete_rows(columns, result, path, ctx)
        except _Fallback:
            fast = None
        fast_redactions, ctx.redactions = ctx.redactions, outer
        if fast is None:
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        if VERIFY:
            self._verify(fast, fast_redactions, return_type, field_details_list, info, path, result,
                         position_context)  # fmt: skip
        outer.extend(fast_redactions)
        return fast

    def _fast_columns(
        self, return_type: GraphQLList[Any], field_details_list: Any, result: Any
    ) -> list[_Column] | None:
        manager = self.middleware_manager
        if (manager is not None and manager.middlewares) or not isinstance(result, list):
            return None
        item_type = return_type.of_type
        if isinstance(item_type, GraphQLNonNull):
            item_type = item_type.of_type
        if not is_object_type(item_type) or item_type.is_type_of is None:
            return None
        # One plan per selection of this operation (the same AST nodes), not per list:
        # a nested list under each of 1,000 parents is planned once.
        key = (item_type.name, *(id(d.node) for d in field_details_list))
        plans = self.__dict__.setdefault("_fast_plans", {})
        if key in plans:
            return plans[key]
        grouped, defer_usages, forbidden = self.collect_subfields(item_type, field_details_list)
        plan = None if defer_usages or forbidden else _plan_columns(item_type, grouped)
        plans[key] = plan
        return plan

    def _complete_rows(
        self, columns: list[_Column], rows: list[Any], path: Path, ctx: Any
    ) -> list[Any]:
        """Plain cells by attribute; personal-data cells by the decision memoised per
        subject state for the whole row (`_row_plan`), with the same values, masks,
        redaction entries and audit as `schema.policy.resolve_cell`."""
        specs = [source for kind, _, source, *_ in columns if kind == "pii"]
        plans: dict[Any, Any] = {}
        audit = ctx.audit
        redactions = ctx.redactions
        base: list[Any] | None = None
        out: list[Any] = []
        append = out.append
        for index, row in enumerate(rows):
            if row is None:
                raise _Fallback
            item: dict[str, Any] = {}
            if specs:
                state = row.subject_state
                subject_id = row.subject_id
                if state is None and subject_id is not None:
                    raise _Fallback  # the stock path fails closed, loudly
                plan = plans.get(state)
                if plan is None:
                    plan = plans[state] = _row_plan(ctx, specs, state)
                decisions, shown, redacted = plan
                if subject_id is not None and (shown or redacted):
                    audit.read_all(subject_id, shown, redacted)
                position = 0
            for kind, key, source, coerce, exact, non_null in columns:
                if kind == "plain":
                    value = getattr(row, source)
                elif kind == "pii":
                    decision = decisions[position]
                    position += 1
                    verdict = decision.verdict
                    raw = getattr(row, source.source)
                    if verdict is Verdict.SHOW:
                        value = (
                            raw
                            if raw is None or source.decode == "none"
                            else (ctx.cipher.decrypt(raw))
                        )
                    else:
                        if base is None:
                            base = path.as_list()
                        if verdict is Verdict.REDACT:
                            redactions.append({
                                "path": [*base, index, key],
                                "reason": decision.reason.value,
                                "category": source.category_name,
                            })  # fmt: skip
                            value = None
                        elif raw is None:
                            value = None
                        else:
                            if subject_id is not None:
                                audit.read(subject_id, source.policy.category, True)
                            redactions.append({
                                "path": [*base, index, key],
                                "reason": decision.reason.value,
                                "category": source.category_name,
                                "masked": True,
                            })  # fmt: skip
                            plain = raw if source.decode == "none" else ctx.cipher.decrypt(raw)
                            value = apply_mask(source.policy.mask, plain)
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

    def _verify(
        self,
        fast: list[Any],
        fast_redactions: list[Any],
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> None:
        ctx = self.context_value
        outer = ctx.redactions
        ctx.redactions = []
        try:
            stock = super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        finally:
            stock_redactions, ctx.redactions = ctx.redactions, outer
        if self.is_awaitable(stock):
            raise FastPathMismatchError("stock path was asynchronous for a fast list")
        same = orjson.dumps(stock) == orjson.dumps(fast)
        if not same or orjson.dumps(stock_redactions) != orjson.dumps(fast_redactions):
            raise FastPathMismatchError(
                f"fast path differs from stock at {path.as_list()}: "
                f"{fast[:2]!r} vs {stock[:2]!r}; redactions {fast_redactions[:2]!r} vs "
                f"{stock_redactions[:2]!r}"
            )
