"""Schema-wide extensions, in the order they must run (see schema/limits.py).

1. Token limit with a parse cache (the same limit, parsed once per distinct document),
   then the operation's kind recorded for the usage log.
2. Depth, alias, directive and cost limits.
3. Introspection only where the profile allows it.
4. Masking of unexpected errors: a generic message and the request id for the client,
   the full error in the server log; expected errors keep their message and code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    validate,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from core.settings import Limits, Settings
from privacy.usage import operation_type
from schema.credential_rule import CredentialMutationsAlone
from schema.limits import (
    LimitsExtension,
    TokenLimitExtension,
    limit_validation_rules,
    parse_with_token_limit,
)

log = logging.getLogger("ledgerline.errors")

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    """`error` with `extensions.code` set to `code`, unless it already carries one."""
    if (error.extensions or {}).get("code"):
        return error
    return GraphQLError(
        error.message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        extensions={**(error.extensions or {}), "code": code},
    )


def coded(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Every error of a response with a stable code (the error contract): syntax errors
    GRAPHQL_PARSE_FAILED; validation errors are coded where they are made (above); what
    is left without a code and without a path was refused while coercing the variables,
    which is BAD_USER_INPUT."""
    out = []
    for error in errors:
        if isinstance(error, GraphQLSyntaxError):
            out.append(with_code(error, PARSE_FAILED))
        elif error.path is None:
            out.append(with_code(error, "BAD_USER_INPUT"))
        else:
            out.append(error)
    return out


@lru_cache(maxsize=512)
def _cached_parse(query: str, max_tokens: int) -> DocumentNode:
    return parse_with_token_limit(query, max_tokens)


class CachedTokenLimit(TokenLimitExtension):
    """TokenLimitExtension whose successful parses are cached by document text.

    Refusals are not cached (lru_cache does not store exceptions), so a refused
    document costs at most `max_tokens` of lexing each time.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        options = context.parse_options
        if (
            context.graphql_document is None
            and context.query
            and set(options) <= {"max_tokens"}
            and options.get("max_tokens", self.max_token_count) >= self.max_token_count
        ):
            try:
                context.graphql_document = _cached_parse(context.query, self.max_token_count)
            except GraphQLError as error:
                if (error.extensions or {}).get("code") == "TOO_MANY_TOKENS":
                    raise
                # Other syntax errors: strawberry parses again and reports them as usual.
            yield
            return
        yield from super().on_parse()

    @classmethod
    def for_limits(cls, limits: Limits) -> type[CachedTokenLimit]:
        return type(cls.__name__, (cls,), {"default_max_tokens": limits.max_tokens})


_ALWAYS_RULES = (MaybeNullValidationRule, OneOfInputValidationRule, CredentialMutationsAlone)
"""strawberry's own rules, and sign-in mutations alone in their operation."""


def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """strawberry's `validate_document` (with the rules every operation passes), plus
    graphql-core's `hide_suggestions`, which strips "Did you mean ...?" from every rule
    (field, argument, type, enum value)."""
    errors = validate(schema, document, (*rules, *_ALWAYS_RULES), hide_suggestions=hide_suggestions)
    return [with_code(e, VALIDATION_FAILED) for e in errors]


@lru_cache(maxsize=512)
def _cached_validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> tuple[GraphQLError, ...]:
    return tuple(_validate(schema, document, rules, hide_suggestions))


def _is_stable(rule: type[ASTValidationRule]) -> bool:
    """Rule classes that are the same object for every request (cacheable)."""
    return getattr(rule, "__module__", "") != "schema.limits" or rule in _STABLE_LIMIT_RULES


_STABLE_LIMIT_RULES: set[type[ASTValidationRule]] = set()


class CachedValidation(SchemaExtension):
    """Validation cached by (document, rules); rules built for one request's variables
    (the cost of `first: $n`) are run on their own every time, never cached.

    Runs last among the extensions that add rules, so it sees all of them.
    """

    hide_suggestions: ClassVar[bool] = False

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None  # validation follows a successful parse
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        # The name the client sent: strawberry's `operation_name` falls back to the
        # first operation's name, which would hide the missing one.
        provided = getattr(context, "_provided_operation_name", None)
        if len(operations) > 1 and not provided:
            # The spec's request error; never fall back to "the first operation".
            context.pre_execution_errors = [
                GraphQLError(
                    "Must provide operation name if query contains multiple operations.",
                    extensions={"code": "BAD_REQUEST"},
                )
            ]
        if context.pre_execution_errors is None and context.validation_rules:
            schema = context.schema._schema
            hide = self.hide_suggestions
            stable = tuple(r for r in context.validation_rules if _is_stable(r))
            fresh = tuple(r for r in context.validation_rules if not _is_stable(r))
            errors = list(_cached_validate(schema, document, stable, hide))
            if fresh and not errors:
                errors = [
                    with_code(e, VALIDATION_FAILED)
                    for e in validate(schema, document, fresh, hide_suggestions=hide)
                ]
            context.pre_execution_errors = errors
        yield


class RecordOperationKind(SchemaExtension):
    """The operation's kind for the usage log (policy 2.3), from the document the
    request already parsed: never parsed a second time."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        request = context.context
        if hasattr(request, "operation_kind"):
            request.operation_kind = operation_type(
                context.graphql_document, context.operation_name
            )


class IntrospectionPolicy(SchemaExtension):
    """`on` for everyone, `authenticated` for signed-in callers only, or `off`."""

    mode: ClassVar[str] = "on"

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        if self.mode == "off" or (self.mode == "authenticated" and principal is None):
            context.validation_rules = (
                *context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", None)
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(str(p) for p in error.path or ()),
            request_id,
            exc_info=error.original_error,
        )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


def schema_extensions(settings: Settings) -> list[Any]:
    introspection = type(
        "IntrospectionPolicy", (IntrospectionPolicy,), {"mode": settings.introspection}
    )
    _STABLE_LIMIT_RULES.update(limit_validation_rules(settings.limits))
    return [
        CachedTokenLimit.for_limits(settings.limits),
        RecordOperationKind,
        LimitsExtension.for_limits(settings.limits),
        introspection,
        type(
            "CachedValidation",
            (CachedValidation,),
            {"hide_suggestions": not settings.field_suggestions},
        ),
        MaskUnexpectedErrors,
    ]
