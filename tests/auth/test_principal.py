"""The principal acts under exactly one purpose, fixed when it is built
(auth/principal.py): the role's first by default, or one the role may declare."""

from __future__ import annotations

import uuid

import pytest

from auth.permissions import ROLE_GRANTS, Role
from auth.principal import Principal, PurposeNotAllowed
from privacy.purposes import Purpose

IDS = (uuid.uuid4(), uuid.uuid4())


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_the_default_purpose_is_the_roles_first(role: Role) -> None:
    principal = Principal.for_role(*IDS, role, "bearer")
    assert principal.purposes == (ROLE_GRANTS[role].purposes[0],)
    assert principal.purpose is ROLE_GRANTS[role].purposes[0]
    assert principal.role_purposes == ROLE_GRANTS[role].purposes


@pytest.mark.parametrize(
    ("role", "purpose"),
    [(r, p) for r, g in ROLE_GRANTS.items() for p in g.purposes],
    ids=lambda v: v.value,
)
def test_a_declared_purpose_the_role_may_act_under_is_the_only_one(
    role: Role, purpose: Purpose
) -> None:
    assert Principal.for_role(*IDS, role, "cookie", purpose=purpose).purposes == (purpose,)


@pytest.mark.parametrize(
    ("role", "purpose"),
    [(r, p) for r, g in ROLE_GRANTS.items() for p in Purpose if p not in g.purposes],
    ids=lambda v: v.value,
)
def test_a_purpose_the_role_may_not_act_under_is_refused(role: Role, purpose: Purpose) -> None:
    with pytest.raises(PurposeNotAllowed):
        Principal.for_role(*IDS, role, "bearer", purpose=purpose)
