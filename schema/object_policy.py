"""One object read permission per type, declared with the type (issue 9).

A tenant type declares who may read its objects once, beside `@tenantScoped`:
`@strawberry.type(directives=[TenantScoped(), Requires(permission=P.CONTACTS_READ)])`.
When the schema is built, that permission is attached to every field whose return
type is that type (root fields, relations, mutation payloads such as
`ContactPayload.contact`, connection `nodes`), as the same `RequirePermission` field
extension a `guarded_field` carries. A field may add a permission of its own (a
stricter rule), never drop the type's. `node`/`nodes` read the declaration of the type
an id names, and the fast executor checks every `RequirePermission` of a relation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from strawberry.types.base import StrawberryContainer, get_object_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.union import StrawberryUnion

from auth.permissions import Permission
from schema.directives import Requires, TenantScoped
from schema.policy import RequirePermission


def read_permission(definition: Any) -> Permission | None:
    """The read permission a tenant type declares, or None (not a tenant type)."""
    directives = getattr(definition, "directives", None) or ()
    if not any(isinstance(d, TenantScoped) for d in directives):
        return None
    return next((d.permission for d in directives if isinstance(d, Requires)), None)


def _named(field_type: Any) -> Iterator[Any]:
    """The object classes a field returns, through lists, optionals, lazy types and
    unions."""
    while True:
        if isinstance(field_type, LazyType):
            field_type = field_type.resolve_type()
        elif isinstance(field_type, StrawberryContainer):
            field_type = field_type.of_type
        else:
            break
    if isinstance(field_type, StrawberryUnion):
        for member in field_type.types:
            yield from _named(member)
    elif get_object_definition(field_type) is not None:
        yield field_type


def _guarded_by(field: Any) -> set[Permission]:
    return {e.permission for e in field.extensions if isinstance(e, RequirePermission)}


def _with_sentence(description: str | None, permission: Permission) -> str:
    sentence = f"Requires {permission.name} (the type's read permission)."
    return f"{description} {sentence}" if description else sentence


def attach_read_guards(roots: Iterable[Any]) -> None:
    """Give every field returning a tenant type that type's read permission (once:
    building the schema again changes nothing)."""
    seen: set[Any] = set()
    pending = [r for r in roots if r is not None]
    while pending:
        cls = pending.pop()
        definition = get_object_definition(cls)
        if definition is None or cls in seen:
            continue
        seen.add(cls)
        for field in definition.fields:
            for target in _named(field.type):
                pending.append(target)
                permission = read_permission(get_object_definition(target))
                if permission is not None and permission not in _guarded_by(field):
                    # Enforced, printed in the SDL and said in the description, like
                    # a guarded_field's own permission.
                    field.extensions.append(RequirePermission(permission))
                    field.directives.append(Requires(permission=permission))
                    field.description = _with_sentence(field.description, permission)
