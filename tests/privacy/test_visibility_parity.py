"""The SQL mirror (privacy.visibility) selects exactly the subjects the pure decision
(privacy.decision.subject_obstacle) lets a caller use, for every role's purposes and
every category.

The clause for purposes P only reads the standings of P, and roles hold at most two
purposes, so the grid below is exhaustive for every role: erased x restricted x, for
each of the role's purposes, no row or a row with status (none, granted, withdrawn) x
basis (none, consent, contract, legitimate interest) x objected. Every grid contact is
checked against every role's purposes (their other standings are then noise the clause
must ignore). A hypothesis sample adds arbitrary states over all five purposes, checked
against arbitrary purpose tuples.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from auth.permissions import ROLE_GRANTS
from models import ConsentState, Contact
from models.base import utcnow
from privacy.categories import DataCategory
from privacy.decision import PurposeStanding, SubjectState, subject_obstacle
from privacy.purposes import Purpose
from privacy.subject_state import StateInterner, build_state, load_standings
from privacy.visibility import visible_subjects_clause
from tests.privacy.conftest import SyncWorld

STATUSES = (None, "granted", "withdrawn")
BASES = (None, "consent", "contract", "legitimate_interest")
OPTIONS: list[PurposeStanding | None] = [None] + [
    PurposeStanding(s, b, o) for s in STATUSES for b in BASES for o in (False, True)
]
"""None: no consent_state row at all (PurposeStanding(None, None, False) is a row)."""

ROLE_PURPOSES = sorted({g.purposes for g in ROLE_GRANTS.values()}, key=str)
CHECKED_PURPOSES = [
    *ROLE_PURPOSES,
    *((p,) for p in Purpose),
    tuple(Purpose),
    (),
]

Spec = tuple[bool, bool, dict[Purpose, PurposeStanding | None]]


def _insert(world: SyncWorld, marker: str, specs: list[Spec]) -> list[uuid.UUID]:
    tenant_id = world.seed.tenant_a.tenant_id
    ids = [uuid.uuid4() for _ in specs]
    now = utcnow()

    async def go() -> None:
        async with world.services.db.session(tenant_id) as session:
            contact_rows = [
                {
                    "id": cid,
                    "tenant_id": tenant_id,
                    "source": marker,
                    "restricted": restricted,
                    "erased_at": now if erased else None,
                    "created_at": now,
                    "updated_at": now,
                }
                for cid, (erased, restricted, _) in zip(ids, specs, strict=True)
            ]
            state_rows = [
                {
                    "tenant_id": tenant_id,
                    "contact_id": cid,
                    "purpose": purpose.value,
                    "status": standing.status,
                    "lawful_basis": standing.lawful_basis,
                    "objected": standing.objected,
                    "updated_at": now,
                }
                for cid, (_, _, standings) in zip(ids, specs, strict=True)
                for purpose, standing in standings.items()
                if standing is not None
            ]
            await session.execute(insert(Contact), contact_rows)
            if state_rows:
                await session.execute(insert(ConsentState), state_rows)
            await session.commit()

    world.call(go())
    return ids


def _check(world: SyncWorld, marker: str, purpose_sets: list[tuple[Purpose, ...]]) -> int:
    """Compare SQL and Python for every purpose set and category; return cells checked."""
    tenant_id = world.seed.tenant_a.tenant_id

    async def go() -> int:
        async with world.services.db.session(tenant_id) as session:
            rows = (
                await session.execute(
                    select(Contact.id, Contact.restricted, Contact.erased_at).where(
                        Contact.source == marker
                    )
                )
            ).all()
            standings = await load_standings(session, [r.id for r in rows])
            interner = StateInterner()
            states: dict[uuid.UUID, SubjectState] = {
                r.id: build_state(
                    interner, r.restricted, r.erased_at is not None, standings.get(r.id)
                )
                for r in rows
            }
            checked = 0
            for purposes in purpose_sets:
                for category in DataCategory:
                    clause = visible_subjects_clause(purposes, category)
                    selected = set(
                        (
                            await session.execute(
                                select(Contact.id).where(Contact.source == marker, clause)
                            )
                        ).scalars()
                    )
                    allowed = {
                        cid
                        for cid, s in states.items()
                        if subject_obstacle(purposes, category, s) is None
                    }
                    assert selected == allowed, _explain(purposes, category, states, selected)
                    checked += len(states)
            return checked

    return world.call(go())


def _explain(
    purposes: Any, category: DataCategory, states: dict[uuid.UUID, SubjectState], selected: Any
) -> str:
    wrong = [
        (cid in selected, subject_obstacle(purposes, category, s), s)
        for cid, s in states.items()
        if (cid in selected) != (subject_obstacle(purposes, category, s) is None)
    ]
    return f"{purposes} {category.name}: {len(wrong)} differ, e.g. {wrong[:3]}"


def test_grid_of_every_state_for_every_role(module_world: SyncWorld) -> None:
    specs: list[Spec] = []
    for purposes in ROLE_PURPOSES:
        for erased, restricted in itertools.product((False, True), repeat=2):
            for combo in itertools.product(OPTIONS, repeat=len(purposes)):
                specs.append((erased, restricted, dict(zip(purposes, combo, strict=True))))
    assert len(specs) == 2 * 4 * 25**2 + 3 * 4 * 25
    _insert(module_world, "grid", specs)
    checked = _check(module_world, "grid", CHECKED_PURPOSES)
    assert checked == len(specs) * len(CHECKED_PURPOSES) * len(DataCategory)


specs_strategy = st.lists(
    st.tuples(
        st.booleans(),
        st.booleans(),
        st.dictionaries(st.sampled_from(list(Purpose)), st.sampled_from(OPTIONS), max_size=5),
    ),
    min_size=1,
    max_size=25,
)
purpose_tuples = st.lists(st.sampled_from(list(Purpose)), unique=True, max_size=5).map(tuple)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=specs_strategy, extra=st.lists(purpose_tuples, min_size=1, max_size=3))
def test_sampled_states_over_all_purposes(
    module_world: SyncWorld, specs: list[Spec], extra: list[tuple[Purpose, ...]]
) -> None:
    marker = f"h-{uuid.uuid4().hex[:12]}"
    _insert(module_world, marker, specs)
    _check(module_world, marker, [*ROLE_PURPOSES, tuple(Purpose), *extra])
