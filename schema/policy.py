"""One declaration per field: the directive, the description sentence and the enforcement.

- `pii_field(...)`: personal data. Prints `@pii(category: ...) @requires(permission: ...)`,
  explains the rule in the description, and resolves through `resolve_cell`, the single
  place where a value is shown, masked or redacted (and listed in
  `extensions.redactions` and in the audit buffer).
- `plain_field(...)`: non-personal data readable by anyone who may read the type.
- `guarded_field(...)`: a field (usually a relation or a sensitive list) that needs a
  permission of its own; refused with FORBIDDEN otherwise.

Every field of a tenant-scoped type is declared with one of these (a test walks the
schema and fails on any that is not). Leaf fields stay synchronous: the decision is a
memoised lookup per (field policy, subject state), see privacy/decision.py.
"""

from typing import Any, Literal, Optional  # noqa: UP035

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from auth.permissions import Permission
from privacy.categories import DESCRIPTIONS, DataCategory
from privacy.decision import FieldPolicy, Verdict
from privacy.masking import MaskStrategy, apply_mask
from schema.directives import Pii, Requires

POLICY_KEY = "ledgerline_policy"

Decode = Literal["text", "date", "none"]


class PlainPolicy:
    """Marker: the field carries no personal data; the type's read permission applies."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PlainPolicy()"


PLAIN = PlainPolicy()


class PiiSpec:
    """Everything needed to resolve one personal-data cell, shared by both executors."""

    __slots__ = ("policy", "source", "decode", "category_name", "python_name")

    def __init__(self, policy: FieldPolicy, source: str, decode: Decode) -> None:
        self.policy = policy
        self.source = source
        self.decode = decode
        self.category_name = policy.category.name
        self.python_name = ""


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


async def load_related(batch: Batch, info: strawberry.Info, root: Any, **args: Any) -> Any:
    key = getattr(root, batch.key)
    if key is None:
        return [] if batch.many else None
    return await batch.loader(info.context, args).load(key)


class GuardPolicy:
    __slots__ = ("permission", "batch")

    def __init__(self, permission: Permission, batch: Batch | None = None) -> None:
        self.permission = permission
        self.batch = batch


def _decrypt(ctx: Any, spec: PiiSpec, raw: Any) -> Any:
    """Encrypted columns hold text (dates as ISO-8601 text); plain ones pass through."""
    if raw is None or spec.decode == "none":
        return raw
    return ctx.cipher.decrypt(raw)


def resolve_cell(ctx: Any, spec: PiiSpec, root: Any, path: Any) -> Any:
    """Show, mask or redact one value; record the redaction and the audit entry.

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
    raw = getattr(root, spec.source)
    verdict = decision.verdict
    if verdict is Verdict.SHOW:
        if subject_id is not None:
            ctx.audit.read(subject_id, spec.policy.category, True)
        return _decrypt(ctx, spec, raw)
    if verdict is Verdict.MASK:
        if raw is None:
            return None  # the mask would show that there is no value; nothing to hide
        if subject_id is not None:
            ctx.audit.read(subject_id, spec.policy.category, True)
        ctx.redactions.append(
            {
                "path": path(),
                "reason": decision.reason.value,
                "category": spec.category_name,
                "masked": True,
            }
        )
        return apply_mask(spec.policy.mask, _decrypt(ctx, spec, raw))  # type: ignore[arg-type]
    # Listed even when the stored value is empty, so a null never tells "has no value".
    if subject_id is not None:
        ctx.audit.read(subject_id, spec.policy.category, False)
    ctx.redactions.append(
        {"path": path(), "reason": decision.reason.value, "category": spec.category_name}
    )
    return None


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

    def resolver(root: Any, info: strawberry.Info) -> Any:
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


class RequirePermission(FieldExtension):
    """Enforces a guarded field's own permission before its resolver runs."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def _check(self, info: strawberry.Info) -> None:
        info.context.require(
            self.permission, f"use {info._raw_info.parent_type.name}.{info.field_name}"
        )

    # Positional-only: a field argument may itself be called `source` or `info`.
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, /, **kwargs: Any) -> Any:
        self._check(info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Any, source: Any, info: strawberry.Info, /, **kwargs: Any
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
