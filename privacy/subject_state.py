"""Loading each data subject's consent and processing state in one batch per request.

Policy section 9 (restriction, objection, erasure, consent withdrawal): the state is
read fresh for every request (no cache outlives it), so a change takes effect on the
very next request. Identical states are shared objects, which keeps the memoised
decisions in privacy/decision.py to a handful per request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.consent import ConsentState
from models.contacts import Contact
from privacy.decision import PurposeStanding, SubjectState
from privacy.purposes import Purpose

_PURPOSES = {p.value: p for p in Purpose}


class StateInterner:
    """Returns one shared SubjectState per distinct state."""

    def __init__(self) -> None:
        self._states: dict[tuple[object, ...], SubjectState] = {}

    def intern(self, state: SubjectState) -> SubjectState:
        return self._states.setdefault(state.key, state)


async def load_standings(
    session: AsyncSession, contact_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[Purpose, PurposeStanding]]:
    """Standings of the given contacts, through the same subquery the read paths use."""
    ids = list(set(contact_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(col(Contact.id), standings_of(Contact.id)).where(col(Contact.id).in_(ids))
    )
    return {contact_id: parse_standings(text) for contact_id, text in rows}


def standings_of(contact_id: Any) -> Any:
    """A correlated subquery folding a contact's consent state rows into one string,
    `purpose:status:basis:objected;...`, so rows arrive with their subject's state in
    the same statement (one statement per level of a nested query)."""
    part = (
        ConsentState.purpose
        + ":"
        + func.coalesce(ConsentState.status, "")
        + ":"
        + func.coalesce(ConsentState.lawful_basis, "")
        + ":"
        + cast(ConsentState.objected, String)
    )
    return (
        select(func.aggregate_strings(part, ";"))
        .where(ConsentState.contact_id == contact_id)
        .scalar_subquery()
    )


def parse_standings(text: str | None) -> dict[Purpose, PurposeStanding]:
    standings: dict[Purpose, PurposeStanding] = {}
    if not text:
        return standings
    for item in text.split(";"):
        purpose, status, basis, objected = item.split(":")
        known = _PURPOSES.get(purpose)
        if known is not None:
            standings[known] = PurposeStanding(
                status or None, basis or None, objected in ("1", "true")
            )
    return standings


def build_state(
    interner: StateInterner,
    restricted: bool,
    erased: bool,
    standings: Mapping[Purpose, PurposeStanding] | None,
) -> SubjectState:
    return interner.intern(SubjectState(erased, restricted, dict(standings or {})))
