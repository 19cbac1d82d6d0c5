"""Helpers shared by input types: turning a strawberry input into "keys the client sent"."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import strawberry


def present(obj: Any) -> dict[str, Any]:
    """Only the fields the client actually sent (UNSET means "leave unchanged"); a
    closed-set enum (schema/types/closed_sets.py) as the value the models store."""
    return {
        f.name: _stored(getattr(obj, f.name))
        for f in dataclasses.fields(obj)
        if getattr(obj, f.name) is not strawberry.UNSET
    }


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


HOLD = " Refused with LEGAL_HOLD while a legal hold covers it."
"""The end of every delete mutation's description."""


@strawberry.type(description="The result of a delete: the id that no longer exists.")
class DeletePayload:
    deleted_id: strawberry.ID
