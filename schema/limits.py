"""Query limits that refuse abusive documents before they cost the server anything.

Stock strawberry accepts unlimited aliases and directives, and its `QueryDepthLimiter`
skips every `__`-prefixed name, so a fragment called `__schema` hides any depth. The
limits here close those holes and give each refusal a stable `extensions.code`:

* `TOO_MANY_TOKENS` - checked while parsing; the parser stops at the limit, so a
  huge document costs at most `max_tokens` tokens of lexing and no AST.
* `QUERY_TOO_DEEP`, `TOO_MANY_ALIASES`, `TOO_MANY_DIRECTIVES`, `QUERY_TOO_COSTLY` -
  graphql-core validation rules that follow fragment spreads and inline fragments
  (each fragment counted per use, memoised so fan-out stays linear, cycles guarded).

Wiring, in this order (extension classes, never instances: instances are shared by
every request)::

    schema = strawberry.Schema(
        query=Query,
        extensions=[
            *limits_extensions(settings.limits),  # TokenLimitExtension, LimitsExtension
            # ... everything else, including ParserCache / ValidationCache, AFTER them
        ],
    )

Why the order matters:

1. `TokenLimitExtension` must come before `ParserCache` (or anything else that parses
   in `on_parse`): hooks run in list order and the first one to parse wins, so a cache
   placed earlier would parse before the refusal can carry its code. (The limit itself
   still holds: `on_operation` also puts `max_tokens` into `parse_options`, which every
   parser in strawberry honours; only the `TOO_MANY_TOKENS` code would be lost.)
2. `LimitsExtension` adds its rules in `on_operation` and re-adds them in `on_validate`
   if something removed them, so a `DisableValidation` anywhere in the list cannot
   switch the limits off, and a `ValidationCache` anywhere sees them. Keep it before
   `ValidationCache` anyway so that re-adding happens before the cache validates.
3. `MaskErrors` masks everything by default; pass `should_mask_error=lambda e: not
   is_limit_error(e) and ...` so that clients still see these codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from functools import lru_cache
from typing import Any, ClassVar

from graphql import (
    BREAK,
    SKIP,
    ArgumentNode,
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TokenKind,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    parse,
    visit,
)
from graphql.language.parser import Parser
from graphql.validation import MaxIntrospectionDepthRule
from strawberry.extensions import MaxTokensLimiter, SchemaExtension

from core.settings import Limits

__all__ = [
    "INTROSPECTION_MAX_DEPTH",
    "LIMIT_ERROR_CODES",
    "LimitsExtension",
    "TokenLimitExtension",
    "check_token_count",
    "is_limit_error",
    "limit_validation_rules",
    "limits_extensions",
    "parse_with_token_limit",
]

TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
LIMIT_ERROR_CODES = frozenset(
    {TOO_MANY_TOKENS, QUERY_TOO_DEEP, TOO_MANY_ALIASES, TOO_MANY_DIRECTIVES, QUERY_TOO_COSTLY}
)

# The standard introspection query (graphql-core's `get_introspection_query()`, which
# GraphiQL sends) is 15 levels deep: `__schema types fields args type` plus nine nested
# `ofType`. So root `__schema`/`__type` fields get their own ceiling instead of
# `max_depth`. That is safe because their cost is bounded by the size of the schema:
# every cycle through `__Type` goes via `fields`/`interfaces`/`possibleTypes`/
# `inputFields`, which graphql-core's `MaxIntrospectionDepthRule` caps at 3 (a coded
# subclass of it is part of these rules, so it holds even without the specified
# rules), and `ofType` chains end after the few wrappers a type really has. Anything
# else named `__...` (`__typename`, a fragment called `__schema`, an alias) counts.
INTROSPECTION_MAX_DEPTH = 20
_INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})
_PAGE_SIZE_ARGS = ("first", "last")


def _limit_error(code: str, message: str, nodes: Any = None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code})


def is_limit_error(error: GraphQLError) -> bool:
    """True for refusals from this module, e.g. to keep them unmasked by `MaskErrors`."""
    return (error.extensions or {}).get("code") in LIMIT_ERROR_CODES


# --- Token limit -------------------------------------------------------------------


def _too_many_tokens(max_tokens: int) -> GraphQLError:
    return _limit_error(TOO_MANY_TOKENS, f"Query exceeds the limit of {max_tokens} tokens.")


def _is_token_limit_error(error: GraphQLSyntaxError) -> bool:
    # graphql-core words it "Document contains more than N tokens. Parsing aborted."
    # both when the parser counts and when the lexer skips a run of comments.
    return "Document contains more than" in error.message and "tokens" in error.message


def parse_with_token_limit(query: str, max_tokens: int, /, **parse_options: Any) -> DocumentNode:
    """Parse, aborting at `max_tokens` (comments included), with a coded refusal.

    `parse_options` are strawberry's; a smaller `max_tokens` among them wins.

    graphql-core's own `max_tokens` is used because it is enforced inside the lexer,
    including while it skips comments, so parsing stops as soon as the limit is hit.
    """
    limit = min(max_tokens, parse_options.pop("max_tokens", max_tokens))
    try:
        return parse(query, max_tokens=limit, **parse_options)
    except GraphQLSyntaxError as error:
        if _is_token_limit_error(error):
            raise _too_many_tokens(max_tokens) from None
        raise


def check_token_count(query: str, max_tokens: int) -> None:
    """Refuse a document with more than `max_tokens` tokens without building an AST.

    Only lexes, and stops at the first token over the limit, so the cost is bounded
    by the limit rather than by the document. Comments count as tokens (they are
    lexed and allocated too). Other syntax errors are left for the parser to report.
    """
    parser = Parser(query, no_location=True, max_tokens=max_tokens)
    try:
        while not parser.peek(TokenKind.EOF):
            parser.advance_lexer()
    except GraphQLSyntaxError as error:
        if _is_token_limit_error(error):
            raise _too_many_tokens(max_tokens) from None


class TokenLimitExtension(MaxTokensLimiter):
    """Strawberry's `MaxTokensLimiter`, plus the `TOO_MANY_TOKENS` code on refusal.

    `MaxTokensLimiter` is correct (graphql-core enforces `max_tokens` while lexing), but
    its refusal is a plain syntax error. Here `on_parse` parses with the limit itself
    and raises a coded error; strawberry turns that into the response's only error
    without executing anything. Usable as a class: the default is `Limits().max_tokens`;
    `for_limits()` makes a configured subclass.
    """

    default_max_tokens: ClassVar[int] = Limits.max_tokens

    def __init__(self, max_tokens: int | None = None) -> None:
        super().__init__(
            max_token_count=self.default_max_tokens if max_tokens is None else max_tokens
        )

    @classmethod
    def for_limits(cls, limits: Limits) -> type[TokenLimitExtension]:
        """A subclass bound to `limits`, to pass as a class (one instance per request)."""
        return type(cls.__name__, (cls,), {"default_max_tokens": limits.max_tokens})

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            # Another syntax error is not ours: leave the document unset so strawberry
            # parses again (bounded by `parse_options["max_tokens"]`) and reports it
            # the usual way.
            with suppress(GraphQLSyntaxError):
                context.graphql_document = parse_with_token_limit(
                    context.query, self.max_token_count, **context.parse_options
                )
        yield


# --- Validation rules --------------------------------------------------------------


def _unwrap_non_null(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _is_connection(type_: GraphQLNamedType | None) -> bool:
    """Relay connections: their `edges`/`nodes` lists are sized by the connection's
    `first`/`last`, which were already counted on the field returning the connection."""
    return (
        isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        and {
            "edges",
            "pageInfo",
        }
        <= type_.fields.keys()
    )


_Measure = Callable[[SelectionSetNode, Any, bool], int]


class _Walker:
    """Measures one operation, expanding fragments per use with per-fragment memos.

    Memoisation keeps fan-out (`fragment A { ...B ...B }`, `B { ...C ...C }`, ...)
    linear in the document although counts are per use. A fragment re-entered while
    being measured counts 0: that is a cycle, which `NoFragmentCyclesRule` refuses.
    `at_root` is True only for the operation's own selection set (and fragments spread
    directly into it): only there are `__schema`/`__type` exempt from depth and cost.
    """

    def __init__(
        self,
        context: ValidationContext,
        operation: OperationDefinitionNode,
        limits: Limits,
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.context = context
        self.limits = limits
        self.variables = variables or {}
        self.variable_defaults = {
            definition.variable.name.value: definition.default_value
            for definition in operation.variable_definitions or ()
        }
        self.memo: dict[tuple[str, str, bool], int] = {}
        self.in_progress: set[tuple[str, str, bool]] = set()
        self.introspection_depth = 0
        self.cost_cap = limits.max_cost + 1

    def fragment(self, name: str, measure: _Measure, at_root: bool) -> int:
        key = (measure.__name__, name, at_root)
        if key in self.memo:
            return self.memo[key]
        fragment = self.context.get_fragment(name)
        if fragment is None or key in self.in_progress:
            return 0  # unknown fragment or cycle: other rules refuse the document
        self.in_progress.add(key)
        try:
            type_ = self.context.schema.get_type(fragment.type_condition.name.value)
            value = measure(fragment.selection_set, type_, at_root)
        finally:
            self.in_progress.discard(key)
        self.memo[key] = value
        return value

    def depth(self, selection_set: SelectionSetNode, _type: Any, at_root: bool) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                below = (
                    self.depth(selection.selection_set, None, False)
                    if (selection.selection_set)
                    else 0
                )
                if at_root and selection.name.value in _INTROSPECTION_ROOT_FIELDS:
                    # See INTROSPECTION_MAX_DEPTH. Matched on the field name (not the
                    # alias, not a fragment name) and only at the operation root.
                    self.introspection_depth = max(self.introspection_depth, 1 + below)
                    continue
                found = 1 + below
            elif isinstance(selection, InlineFragmentNode):
                found = self.depth(selection.selection_set, None, at_root)
            elif isinstance(selection, FragmentSpreadNode):
                found = self.fragment(selection.name.value, self.depth, at_root)
            else:  # pragma: no cover - no other selection kinds exist
                found = 0
            deepest = max(deepest, found)
        return deepest

    def aliases(self, selection_set: SelectionSetNode, _type: Any, _at_root: bool) -> int:
        """Saturates at `max_aliases + 1`, like `cost`."""
        cap = self.limits.max_aliases + 1
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += self.aliases(selection.selection_set, None, False)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set, None, False)
            elif isinstance(selection, FragmentSpreadNode):
                count += self.fragment(selection.name.value, self.aliases, False)
            if count >= cap:
                return cap
        return count

    def cost(
        self, selection_set: SelectionSetNode, type_: GraphQLNamedType | None, at_root: bool
    ) -> int:
        """Each field costs 1; a list's selection costs once per item of a page.

        Saturates at `max_cost + 1` so that fan-out never builds huge integers.
        """
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if at_root and selection.name.value in _INTROSPECTION_ROOT_FIELDS:
                    continue  # bounded by the schema, see INTROSPECTION_MAX_DEPTH
                total += self.field_cost(selection, type_)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.context.schema.get_type(condition.name.value) if condition else type_
                total += self.cost(selection.selection_set, inner, at_root)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, self.cost, at_root)
            if total >= self.cost_cap:
                return self.cost_cap
        return total

    def field_cost(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(node.name.value)
        if node.selection_set is None:
            return 1
        child = get_named_type(definition.type) if definition else None
        inner = self.cost(node.selection_set, child, False)
        return min(1 + inner * self.page_size(node, definition, parent), self.cost_cap)

    def page_size(self, node: FieldNode, definition: Any, parent: Any) -> int:
        """How many times a field's selection runs: `first`/`last`, else a full page."""
        given = [arg.value for arg in node.arguments or () if arg.name.value in _PAGE_SIZE_ARGS]
        if given:
            return max(self.int_value(value) for value in given)
        if definition is None:
            return 1
        if any(name in definition.args for name in _PAGE_SIZE_ARGS):
            return self.limits.max_page_size
        if isinstance(_unwrap_non_null(definition.type), GraphQLList) and not _is_connection(
            parent
        ):
            return self.limits.max_page_size
        return 1

    def int_value(self, value: ValueNode) -> int:
        """A literal, the request's variable, or the variable's default; else a full page."""
        if isinstance(value, VariableNode):
            name = value.name.value
            if name in self.variables:
                raw = self.variables[name]
                if isinstance(raw, int) and not isinstance(raw, bool):
                    return max(raw, 0)
                return self.limits.max_page_size
            default = self.variable_defaults.get(name)
            value = default if default is not None else value
        if isinstance(value, IntValueNode):
            try:
                return max(int(value.value), 0)
            except ValueError:  # pragma: no cover - the lexer only yields valid ints
                pass
        return self.limits.max_page_size


def _build_rules(
    limits: Limits, variables: Mapping[str, Any] | None
) -> list[type[ASTValidationRule]]:
    class _OperationRule(ValidationRule):
        """Measures each operation once; the visitor then skips its subtree."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            walker = _Walker(self.context, node, limits, variables)
            root = self.context.schema.get_root_type(node.operation)
            try:
                error = self.check(walker, node, root)
            except RecursionError:
                error = self.refusal(node)
            if error is not None:
                self.report_error(error)
            return SKIP

        def check(self, walker: _Walker, node: OperationDefinitionNode, root: Any) -> Any:
            raise NotImplementedError

        def refusal(self, node: OperationDefinitionNode) -> GraphQLError:
            raise NotImplementedError

    class QueryDepthRule(_OperationRule):
        """Field nesting through spreads and inline fragments, `__` names included."""

        def check(self, walker: _Walker, node: OperationDefinitionNode, root: Any) -> Any:
            depth = walker.depth(node.selection_set, root, True)
            if depth > limits.max_depth:
                return _limit_error(
                    QUERY_TOO_DEEP,
                    f"Query is {depth} levels deep; the limit is {limits.max_depth}.",
                    node,
                )
            ceiling = max(limits.max_depth, INTROSPECTION_MAX_DEPTH)
            if walker.introspection_depth > ceiling:
                return _limit_error(
                    QUERY_TOO_DEEP,
                    f"Introspection is {walker.introspection_depth} levels deep;"
                    f" the limit is {ceiling}.",
                    node,
                )
            return None

        def refusal(self, node: OperationDefinitionNode) -> GraphQLError:
            return _limit_error(QUERY_TOO_DEEP, "Query is nested too deeply.", node)

    class MaxAliasesRule(_OperationRule):
        """Aliases multiply work on one field; counted per fragment use."""

        def check(self, walker: _Walker, node: OperationDefinitionNode, root: Any) -> Any:
            count = walker.aliases(node.selection_set, root, True)
            if count > limits.max_aliases:
                return _limit_error(
                    TOO_MANY_ALIASES,
                    f"Operation exceeds the limit of {limits.max_aliases} aliases.",
                    node,
                )
            return None

        def refusal(self, node: OperationDefinitionNode) -> GraphQLError:
            return _limit_error(TOO_MANY_ALIASES, "Operation uses too many aliases.", node)

    class QueryCostRule(_OperationRule):
        """Static cost: lists multiply their selection by the page size."""

        def check(self, walker: _Walker, node: OperationDefinitionNode, root: Any) -> Any:
            cost = walker.cost(node.selection_set, root, True)
            if cost > limits.max_cost:
                return _limit_error(
                    QUERY_TOO_COSTLY,
                    f"Query's estimated cost exceeds the limit of {limits.max_cost}.",
                    node,
                )
            return None

        def refusal(self, node: OperationDefinitionNode) -> GraphQLError:
            return _limit_error(QUERY_TOO_COSTLY, "Query is too costly.", node)

    class MaxDirectivesRule(ValidationRule):
        """Every directive usage in the document, `@include`/`@skip` and fragments too."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_directive(self, node: Any, *_args: Any) -> None:
            self.count += 1
            if self.count == limits.max_directives + 1:
                self.report_error(
                    _limit_error(
                        TOO_MANY_DIRECTIVES,
                        f"Document uses more than {limits.max_directives} directives;"
                        f" the limit is {limits.max_directives}.",
                        node,
                    )
                )

    class IntrospectionDepthRule(MaxIntrospectionDepthRule):
        """graphql-core's recommended (not default) rule, with our code."""

        def report_error(self, error: GraphQLError) -> None:
            super().report_error(_limit_error(QUERY_TOO_DEEP, error.message, error.nodes))

    return [
        QueryDepthRule,
        IntrospectionDepthRule,
        MaxAliasesRule,
        MaxDirectivesRule,
        QueryCostRule,
    ]


@lru_cache(maxsize=16)
def _rules_without_variables(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    # Stable classes per Limits, so `ValidationCache` (keyed on the rule classes) hits.
    return tuple(_build_rules(limits, None))


def limit_validation_rules(
    limits: Limits, variables: Mapping[str, Any] | None = None
) -> list[type[ASTValidationRule]]:
    """Validation rule classes enforcing `limits` (depth, aliases, directives, cost).

    A page size given as a variable is read from `variables` when they are known,
    else from the variable's default, else assumed to be `limits.max_page_size`.
    Without variables the classes are cached per `Limits`. The rules keep no state
    between documents: graphql-core instantiates them per `validate()` call.

    The list includes a subclass of graphql-core's `MaxIntrospectionDepthRule` that
    adds the `QUERY_TOO_DEEP` code; drop the original from `specified_rules` when
    combining them by hand (`LimitsExtension` does that).
    """
    if not variables:
        return list(_rules_without_variables(limits))
    return _build_rules(limits, variables)


class LimitsExtension(SchemaExtension):
    """Adds `limit_validation_rules` for each request; see the module docstring."""

    limits: ClassVar[Limits] = Limits()

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits or self.limits
        self._rules: tuple[type[ASTValidationRule], ...] = ()

    @classmethod
    def for_limits(cls, limits: Limits) -> type[LimitsExtension]:
        """A subclass bound to `limits`, to pass as a class (one instance per request)."""
        return type(cls.__name__, (cls,), {"limits": limits})

    def _add_missing_rules(self) -> None:
        context = self.execution_context
        missing = tuple(rule for rule in self._rules if rule not in context.validation_rules)
        if missing:
            # Our coded subclass replaces graphql-core's MaxIntrospectionDepthRule
            # (in `specified_rules` since 3.3), so a refusal is not reported twice.
            kept = (r for r in context.validation_rules if r is not MaxIntrospectionDepthRule)
            context.validation_rules = (*kept, *missing)

    def on_operation(self) -> Iterator[None]:
        # The stable classes first; `on_validate` swaps in rules built for this
        # request's variables only when a page size actually reads one.
        self._rules = _rules_without_variables(self._limits)
        self._add_missing_rules()
        yield

    def on_validate(self) -> Iterator[None]:
        # A `DisableValidation` (in any position) empties the rules in `on_operation`;
        # `on_validate` runs after every `on_operation`, so the limits come back.
        context = self.execution_context
        if context.pre_execution_errors is None:
            variables = context.variables
            document = context.graphql_document
            if (
                isinstance(variables, Mapping)
                and variables
                and document is not None
                and _page_sizes_use_variables(document)
            ):
                # A page size reads a variable: cost this request's values. Variables
                # that no page size reads cannot change the cost, so other requests keep
                # the stable rule classes, whose validation the cache can reuse.
                stable = set(self._rules)
                context.validation_rules = tuple(
                    r for r in context.validation_rules if r not in stable
                )
                self._rules = tuple(limit_validation_rules(self._limits, variables))
            self._add_missing_rules()
        yield


_PAGE_VARIABLE_CACHE: dict[int, tuple[DocumentNode, bool]] = {}


def _page_sizes_use_variables(document: DocumentNode) -> bool:
    """Whether any `first`/`last` argument in the document is a variable (memoised per
    parsed document; the parse cache hands out the same object for the same text)."""
    cached = _PAGE_VARIABLE_CACHE.get(id(document))
    if cached is not None and cached[0] is document:
        return cached[1]
    uses = False

    class _Finder(Visitor):
        def enter_argument(self, node: ArgumentNode, *_args: Any) -> Any:
            nonlocal uses
            if node.name.value in _PAGE_SIZE_ARGS and isinstance(node.value, VariableNode):
                uses = True
                return BREAK
            return None

    visit(document, _Finder())
    if len(_PAGE_VARIABLE_CACHE) > 1024:
        _PAGE_VARIABLE_CACHE.clear()
    _PAGE_VARIABLE_CACHE[id(document)] = (document, uses)
    return uses


def limits_extensions(limits: Limits) -> list[type[SchemaExtension]]:
    """Both extensions bound to `limits`, in the order they must appear in the schema."""
    return [TokenLimitExtension.for_limits(limits), LimitsExtension.for_limits(limits)]
