"""One declaration per field: the directive, the description sentence and the enforcement.

- `pii_field(...)`: personal data. Prints `@pii(category: ...) @requires(permission: ...)`,
  explains the rule in the description, and resolves through `resolve_cell`, which
  hands the decision to the policy runtime (privacy/render.py), the one place where a
  value is shown, masked or redacted (and listed in `extensions.redactions` and in the
  audit buffer) for every exit.
- `plain_field(...)`: non-personal data readable by anyone who may read the type.
- `sealed_field(...)`: read like a plain field, but stored encrypted with the tenant's
  data key (free text that may describe a person, issue 10): decrypted on the way out.
- `guarded_field(...)`: a field (usually a relation or a sensitive list) that needs a
  permission of its own; refused with FORBIDDEN otherwise.

Every field of a tenant-scoped type is declared with one of these (a test walks the
schema and fails on any that is not). Leaf fields stay synchronous: the decision is a
memoised lookup per (field policy, subject state), see privacy/decision.py.
"""

from contextvars import ContextVar
from typing import Any, Optional  # noqa: UP035

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from auth.permissions import Permission
from core.context import RequestContext
from privacy.audit import AuditBuffer
from privacy.categories import DESCRIPTIONS, DataCategory
from privacy.decision import FieldPolicy
from privacy.masking import MaskStrategy
from privacy.render import Decode, PiiSpec, audited_as_shown, no_cipher, render
from schema.directives import Pii, Requires

POLICY_KEY = "ledgerline_policy"


class PlainPolicy:
    """Marker: the field carries no personal data; the type's read permission applies."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PlainPolicy()"


PLAIN = PlainPolicy()


class SealedPolicy(PlainPolicy):
    """A plain field whose column is encrypted at rest (`source`, an `_enc` column). A
    NULL there is text removed by erasure and reads as `empty` (the shell value)."""

    __slots__ = ("source", "empty")

    def __init__(self, source: str, empty: str) -> None:
        self.source = source
        self.empty = empty

    def __repr__(self) -> str:
        return f"SealedPolicy({self.source!r})"

    def value(self, row: Any, decrypt: Any) -> str:
        raw = getattr(row, self.source)
        return self.empty if raw is None else str(decrypt(raw))


class Batch:
    """How a relation loads: `loader(ctx, args)` gives the request's dataloader and `key`
    names the row attribute it is keyed by (`many`: a list per key). The field's own
    resolver loads through it (`load_related`), and the fast executor uses it to load the
    relation for a whole list at once, so both paths return the very same rows."""

    __slots__ = ("many", "key", "loader")

    def __init__(self, *, many: bool, key: str, loader: Any) -> None:
        self.many = many
        self.key = key
        self.loader = loader


async def load_related(
    batch: Batch, info: strawberry.Info[RequestContext, None], root: Any, **args: Any
) -> Any:
    key = getattr(root, batch.key)
    if key is None:
        return [] if batch.many else None
    return await batch.loader(info.context, args).load(key)


class GuardPolicy:
    __slots__ = ("permission", "batch")

    def __init__(self, permission: Permission, batch: Batch | None = None) -> None:
        self.permission = permission
        self.batch = batch


AUDIT_OVERRIDE: ContextVar[AuditBuffer | None] = ContextVar("audit_override", default=None)
"""Verify mode only (schema/fast_execution.py): the stock replay of a fast list audits
into a buffer of its own, so the two executors' audits are compared, never merged."""


def resolve_cell(ctx: Any, spec: PiiSpec, root: Any, path: Any) -> Any:
    """One personal-data cell through the policy runtime (privacy/render.py): the value
    sent, its redaction entry and its audit.

    `path` is a callable returning the response path (only called for redactions).
    """
    state = root.subject_state
    subject_id = root.subject_id
    if state is None and subject_id is not None and spec.policy.subject_bound:
        # A read path forgot to load the person's state: fail closed, loudly.
        raise RuntimeError(f"no subject state loaded for {type(root).__name__}")
    # A row of the caller's own account shown to its holder (a sign-in's payload) is
    # decided for that holder; everything else for the request's fixed principal.
    policy = getattr(root, "holder_policy", None) or ctx.policy
    decision = policy.decide(spec.policy, state)
    cipher = ctx.cipher
    value, entry = render(decision, root, spec, cipher.decrypt if cipher else no_cipher)
    if entry is not None:
        # Listed even when the stored value is empty, so a null never tells "has no value".
        entry["path"] = path()
        ctx.redactions.append(entry)
    if subject_id is not None:
        shown = audited_as_shown(decision, value)
        if shown is not None:
            audit = AUDIT_OVERRIDE.get()
            (ctx.audit if audit is None else audit).read(subject_id, spec.policy.category, shown)
    return value


def _policy_sentence(policy: FieldPolicy) -> str:
    text = (
        f"Personal data ({DESCRIPTIONS[policy.category]}, category {policy.category.name}). "
        f"Requires {policy.permission.name}"
    )
    if policy.mask is not None and policy.mask_permission is not None:
        text += f"; masked ({policy.mask.name}) for {policy.mask_permission.name}"
    if policy.subject_bound:
        text += (
            "; null when none of your purposes has a lawful basis for this person, "
            "or their data is restricted, objected to or erased"
        )
    return text + ". Redactions are listed in extensions.redactions."


def pii_field(
    *,
    category: DataCategory,
    permission: Permission,
    source: str,
    description: str,
    graphql_type: type = str,
    decode: Decode = "none",
    mask: MaskStrategy | None = None,
    mask_permission: Permission | None = None,
    subject_bound: bool = True,
    name: str | None = None,
) -> Any:
    policy = FieldPolicy(category, permission, mask, mask_permission, subject_bound)
    spec = PiiSpec(policy, source, decode)

    def resolver(root: Any, info: strawberry.Info[RequestContext, None]) -> Any:
        return resolve_cell(info.context, spec, root, info.path.as_list)

    resolver.__annotations__ = {
        "root": Any,
        "info": strawberry.Info,
        "return": Optional[graphql_type],  # noqa: UP045  (runtime annotation object)
    }
    directives: list[object] = [
        Pii(category=category, mask=mask, mask_permission=mask_permission if mask else None),
        Requires(permission=permission),
    ]
    return strawberry.field(
        resolver=resolver,
        name=name,
        description=f"{description} {_policy_sentence(policy)}",
        directives=directives,
        metadata={POLICY_KEY: spec},
    )


def plain_field(description: str, *, name: str | None = None) -> Any:
    return strawberry.field(description=description, name=name, metadata={POLICY_KEY: PLAIN})


def sealed_field(description: str, *, source: str, empty: str) -> Any:
    """A plain field stored encrypted: decrypted with the request's tenant cipher."""
    policy = SealedPolicy(source, empty)

    def resolver(root: Any, info: strawberry.Info[RequestContext, None]) -> str:
        cipher = info.context.cipher
        return policy.value(root, cipher.decrypt if cipher else no_cipher)

    resolver.__annotations__ = {"root": Any, "info": strawberry.Info, "return": str}
    return strawberry.field(
        resolver=resolver, description=description, metadata={POLICY_KEY: policy}
    )


class RequirePermission(FieldExtension):
    """Enforces a guarded field's own permission before its resolver runs."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def _check(self, info: strawberry.Info[RequestContext, None]) -> None:
        info.context.require(
            self.permission, f"use {info._raw_info.parent_type.name}.{info.field_name}"
        )

    # Positional-only: a field argument may itself be called `source` or `info` (so
    # narrower than FieldExtension's signature on purpose; strawberry passes them by
    # position).
    def resolve(  # type: ignore[override]
        self, next_: Any, source: Any, info: strawberry.Info[RequestContext, None], /, **kwargs: Any
    ) -> Any:
        self._check(info)
        return next_(source, info, **kwargs)

    async def resolve_async(  # type: ignore[override]
        self, next_: Any, source: Any, info: strawberry.Info[RequestContext, None], /, **kwargs: Any
    ) -> Any:
        self._check(info)
        return await next_(source, info, **kwargs)


def guarded_field(
    resolver: Any = None,
    *,
    permission: Permission,
    description: str,
    name: str | None = None,
    batch: Batch | None = None,
) -> Any:
    """A field with a permission of its own (relations to other types, sensitive lists);
    `batch` declares how a relation loads (see `Batch`)."""

    def build(fn: Any) -> StrawberryField:
        return strawberry.field(
            resolver=fn,
            name=name,
            description=f"{description} Requires {permission.name}.",
            directives=[Requires(permission=permission)],
            extensions=[RequirePermission(permission)],
            metadata={POLICY_KEY: GuardPolicy(permission, batch)},
        )

    return build(resolver) if resolver is not None else build
