"""Consent history (privacy/consent.py): append-only events, a derived current state
that always equals the state rebuilt from the events, and changes that take effect on
the very next request."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from auth.permissions import Role
from models import ConsentEvent, ConsentState
from privacy.consent import derive_state
from tests.privacy.conftest import SyncWorld, record_objection_directly

RECORD = """
mutation($c: ID!, $consent: ConsentInput!) {
  recordConsent(contact: $c, consent: $consent) { contact { id } }
}
"""
WITHDRAW_OBJECTION = """
mutation($c: ID!, $purpose: Purpose!) {
  withdrawObjection(contact: $c, purpose: $purpose, evidence: "privacy request 1") {
    contact { id }
  }
}
"""
CONSENTS = """
query($id: ID!) { contact(id: $id) {
  consents { purpose status lawfulBasis objected }
  consentHistory { purpose status lawfulBasis source recordedAt }
} }
"""
EMAIL = "query($id: ID!) { contact(id: $id) { email } }"
PROOF = {"source": "web form", "evidence": "submission 1"}


def _events(world: SyncWorld, contact_id: uuid.UUID) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with world.services.db.session(world.seed.tenant_a.tenant_id) as session:
            rows = (
                await session.execute(
                    select(ConsentEvent)
                    .where(ConsentEvent.contact_id == contact_id)
                    .order_by(ConsentEvent.recorded_at, ConsentEvent.created_at)
                )
            ).scalars()
            return [
                {c.name: getattr(r, c.name) for c in ConsentEvent.__table__.columns} for r in rows
            ]

    return world.call(go())


def _states(world: SyncWorld, contact_id: uuid.UUID) -> dict[str, tuple[Any, Any, bool]]:
    async def go() -> dict[str, tuple[Any, Any, bool]]:
        async with world.services.db.session(world.seed.tenant_a.tenant_id) as session:
            rows = (
                await session.execute(
                    select(ConsentState).where(ConsentState.contact_id == contact_id)
                )
            ).scalars()
            return {r.purpose: (r.status, r.lawful_basis, r.objected) for r in rows}

    return world.call(go())


def _ok(world: SyncWorld, role: Role, query: str, variables: dict[str, Any]) -> Any:
    result = world.run(world.principal(role), query, variables)
    assert result.errors is None, result.errors
    return result


def test_each_change_appends_an_event_and_leaves_earlier_ones_unchanged(
    world: SyncWorld,
) -> None:
    c = world.seed.contacts["none"]
    assert _events(world, c.id) == []
    steps = [
        lambda: _ok(
            world, Role.OWNER, RECORD, {"c": c.gid, "consent": {"purpose": "MARKETING", **PROOF}}
        ),
        lambda: _ok(
            world,
            Role.OWNER,
            RECORD,
            {"c": c.gid, "consent": {"purpose": "MARKETING", "granted": False}},
        ),
        lambda: world.call(
            record_objection_directly(world.services, world.seed.tenant_a, c.gid, "MARKETING")
        ),
        lambda: _ok(world, Role.OWNER, WITHDRAW_OBJECTION, {"c": c.gid, "purpose": "MARKETING"}),
    ]
    history: list[dict[str, Any]] = []
    for n, step in enumerate(steps, start=1):
        step()
        events = _events(world, c.id)
        assert len(events) == n
        assert events[: n - 1] == history
        history = events
    assert [(e["status"], e["lawful_basis"]) for e in history] == [
        ("granted", "consent"),
        ("withdrawn", None),
        ("objected", None),
        ("objection_withdrawn", None),
    ]
    assert _states(world, c.id) == {"marketing": ("withdrawn", "consent", False)}


def _check_state_matches_history(world: SyncWorld, gid: str, contact_id: uuid.UUID) -> None:
    data = _ok(world, Role.OWNER, CONSENTS, {"id": gid}).data["contact"]
    by_purpose: dict[str, list[Any]] = {}
    for event in data["consentHistory"]:
        by_purpose.setdefault(event["purpose"], []).append(
            SimpleNamespace(status=event["status"], lawful_basis=event["lawfulBasis"])
        )
    rebuilt = {p: derive_state(events) for p, events in by_purpose.items()}
    current = {
        s["purpose"]: (s["status"], s["lawfulBasis"], s["objected"]) for s in data["consents"]
    }
    assert current == rebuilt
    # The same from the rows themselves, not only through the API.
    rows: dict[str, list[Any]] = {}
    for event in _events(world, contact_id):
        rows.setdefault(event["purpose"], []).append(SimpleNamespace(**event))
    assert _states(world, contact_id) == {p: derive_state(e) for p, e in rows.items()}


def test_current_state_of_every_seeded_contact_equals_its_rebuilt_history(
    module_world: SyncWorld,
) -> None:
    for c in module_world.seed.contacts.values():
        _check_state_matches_history(module_world, c.gid, c.id)


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("record"),
            st.sampled_from(["SALES", "SUPPORT", "MARKETING", "ANALYTICS"]),
            st.booleans(),
            st.sampled_from([None, "CONSENT", "CONTRACT", "LEGITIMATE_INTEREST"]),
        ),
        st.tuples(st.just("object"), st.sampled_from(["SALES", "MARKETING"])),
        st.tuples(st.just("unobject"), st.sampled_from(["SALES", "MARKETING"])),
    ),
    min_size=1,
    max_size=8,
)
CREATE = 'mutation { createContact(input: {firstName: "H"}) { contact { id } } }'


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_of_changes_keeps_state_equal_to_history(
    module_world: SyncWorld, ops: list[tuple[Any, ...]]
) -> None:
    world = module_world
    gid = _ok(world, Role.OWNER, CREATE, {}).data["createContact"]["contact"]["id"]
    from resolvers.global_ids import decode_id

    contact_id = decode_id(gid)[1]
    for op in ops:
        if op[0] == "record":
            consent: dict[str, Any] = {"purpose": op[1], "granted": op[2], **PROOF}
            if op[3]:
                consent["lawfulBasis"] = op[3]
            _ok(world, Role.OWNER, RECORD, {"c": gid, "consent": consent})
        elif op[0] == "object":
            world.call(record_objection_directly(world.services, world.seed.tenant_a, gid, op[1]))
        else:
            _ok(world, Role.OWNER, WITHDRAW_OBJECTION, {"c": gid, "purpose": op[1]})
    assert len(_events(world, contact_id)) == len(ops)
    _check_state_matches_history(world, gid, contact_id)


def _email(world: SyncWorld, role: Role, gid: str) -> tuple[Any, list[Any]]:
    result = _ok(world, role, EMAIL, {"id": gid})
    reasons = [r["reason"] for r in (result.extensions or {}).get("redactions", [])]
    return result.data["contact"]["email"], reasons


def test_a_withdrawal_takes_effect_on_the_very_next_request(world: SyncWorld) -> None:
    c = world.seed.contacts["granted_marketing"]
    assert _email(world, Role.MARKETING, c.gid) == (c.values["email"], [])
    withdraw = {"c": c.gid, "consent": {"purpose": "MARKETING", "granted": False}}
    _ok(world, Role.OWNER, RECORD, withdraw)
    assert _email(world, Role.MARKETING, c.gid) == (None, ["CONSENT_WITHDRAWN"])
    _ok(world, Role.OWNER, RECORD, {"c": c.gid, "consent": {"purpose": "MARKETING", **PROOF}})
    assert _email(world, Role.MARKETING, c.gid) == (c.values["email"], [])


def test_an_objection_and_its_withdrawal_take_effect_on_the_next_request(
    world: SyncWorld,
) -> None:
    c = world.seed.contacts["none"]
    assert _email(world, Role.SALES, c.gid) == (c.values["email"], [])
    world.call(record_objection_directly(world.services, world.seed.tenant_a, c.gid, "SALES"))
    assert _email(world, Role.SALES, c.gid) == (None, ["OBJECTED"])
    _ok(world, Role.OWNER, WITHDRAW_OBJECTION, {"c": c.gid, "purpose": "SALES"})
    assert _email(world, Role.SALES, c.gid) == (c.values["email"], [])


def test_a_restriction_and_its_lifting_take_effect_on_the_next_request(world: SyncWorld) -> None:
    c = world.seed.contacts["none"]
    restrict = "mutation($c: ID!) { restrictProcessing(contact: $c) { contact { id } } }"
    lift = (
        'mutation($c: ID!) { liftRestriction(contact: $c, reason: "the person asked", '
        'personInformedAt: "2026-01-05T09:00:00Z") { contact { id } } }'
    )
    _ok(world, Role.OWNER, restrict, {"c": c.gid})
    assert _email(world, Role.SALES, c.gid) == (None, ["PROCESSING_RESTRICTED"])
    _ok(world, Role.OWNER, lift, {"c": c.gid})
    assert _email(world, Role.SALES, c.gid) == (c.values["email"], [])


def test_withdraw_consent_mutation_records_a_withdrawal(world: SyncWorld) -> None:
    c = world.seed.contacts["granted_marketing"]
    _ok(
        world,
        Role.OWNER,
        "mutation($c: ID!) { withdrawConsent(contact: $c, purpose: MARKETING) { contact { id } } }",
        {"c": c.gid},
    )
    assert _states(world, c.id)["marketing"][0] == "withdrawn"


def test_record_objection_mutation_records_an_objection(world: SyncWorld) -> None:
    c = world.seed.contacts["none"]
    _ok(
        world,
        Role.OWNER,
        'mutation($c: ID!) { recordObjection(contact: $c, purpose: SALES, source: "call") '
        "{ contact { id } } }",
        {"c": c.gid},
    )
    assert _states(world, c.id)["sales"][2] is True
