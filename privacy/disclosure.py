"""Who personal data is disclosed to, by purpose (policy section 4): inside an
organisation each role sees only the categories its purposes may use, and nothing is
shared outside it without the person's consent.

Generated from the role table (auth/permissions.py) and the purpose table
(privacy/purposes.py), the two places that decide it.
"""

from __future__ import annotations

from auth.permissions import ROLE_GRANTS
from privacy.categories import DESCRIPTIONS
from privacy.purposes import PURPOSES, Purpose


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _categories(purposes: tuple[Purpose, ...]) -> str:
    used = {c for p in purposes for c in PURPOSES[p].categories}
    return _and(sorted(DESCRIPTIONS[c] for c in used))


def disclosure_items() -> tuple[str, ...]:
    """Section 4: per role, what its members may see and for which purposes; then what
    leaves the organisation, and on which condition."""
    items = [
        f"Members with the {role.value.replace('_', ' ')} role act for "
        f"{_and([p.value.replace('_', ' ') for p in grant.purposes])}; they may see "
        f"{_categories(grant.purposes)}"
        for role, grant in ROLE_GRANTS.items()
    ]
    for purpose, rule in PURPOSES.items():
        if purpose is Purpose.THIRD_PARTY_SHARING:
            items.append(
                f"{rule.description}: only with the person's consent, and only "
                f"{_categories((purpose,))}"
            )
    return tuple(items)
