"""Retention rules per workspace (issue 11, policy section 5): the data map's defaults,
changed by admins within each rule's bounds, every change audited; the fixed rules
(audit above all) take no override; the purge applies the workspace's period."""

from __future__ import annotations

from sqlalchemy import select

from auth.permissions import Role
from models import AuditEvent
from privacy.data_map import Retention
from tests.erasure.conftest import codes
from tests.retention.conftest import World, ago, counts

RULES = "{ retentionRules { name days defaultDays adjustable minimumDays maximumDays } }"
SET = "mutation($r: String!, $d: Int!) { setRetentionRule(rule: $r, days: $d) { name days } }"


async def test_every_rule_of_the_data_map_is_listed_with_its_default(world: World) -> None:
    rules = (await world.ok(RULES))["retentionRules"]
    assert [r["name"] for r in rules] == [rule.name for rule in Retention.ALL]
    assert all(r["days"] == r["defaultDays"] for r in rules)
    usage = next(r for r in rules if r["name"] == "usage_log")
    assert usage == {"name": "usage_log", "days": 90, "defaultDays": 90, "adjustable": True,
                     "minimumDays": 30, "maximumDays": 365}  # fmt: skip


async def test_an_admin_changes_a_rule_within_its_bounds_and_it_is_audited(
    world: World,
) -> None:
    changed = await world.ok(SET, r="soft_deleted", d=14)
    assert changed["setRetentionRule"] == {"name": "soft_deleted", "days": 14}
    rules = {r["name"]: r["days"] for r in (await world.ok(RULES))["retentionRules"]}
    assert rules["soft_deleted"] == 14
    async with world.services.db.session(world.world.tenant_id) as session:
        details = (
            (
                await session.execute(
                    select(AuditEvent.detail).where(AuditEvent.action == "retention_rule_changed")
                )
            )
            .scalars()
            .all()
        )
    assert details == ["rule soft_deleted days 14"]


async def test_a_period_outside_the_bounds_is_refused(world: World) -> None:
    for days in (29, 366):
        result = await world.run(SET, r="usage_log", d=days)
        assert [e.extensions for e in result.errors] == [
            {"code": "RETENTION_OUT_OF_BOUNDS", "field": "days", "minimum": 30, "maximum": 365}
        ]
    rules = {r["name"]: r["days"] for r in (await world.ok(RULES))["retentionRules"]}
    assert rules["usage_log"] == 90


async def test_the_audit_rule_takes_no_override(world: World) -> None:
    assert codes(await world.run(SET, r="audit", d=1)) == ["RETENTION_OUT_OF_BOUNDS"]
    assert codes(await world.run(SET, r="audit", d=100_000)) == ["RETENTION_OUT_OF_BOUNDS"]


async def test_an_unknown_rule_is_bad_input(world: World) -> None:
    assert codes(await world.run(SET, r="forever", d=30)) == ["BAD_USER_INPUT"]


async def test_only_privacy_admins_change_rules(world: World) -> None:
    assert codes(await world.run(SET, Role.SALES, r="soft_deleted", d=14)) == ["FORBIDDEN"]


async def test_the_purge_applies_the_workspaces_period(world: World) -> None:
    contact = await world.contact()
    await world.delete(contact)
    await world.age(contact, deleted_at=ago(10))
    assert counts(await world.purge(dry_run=True), world.world.tenant_id) == {}
    await world.ok(SET, r="soft_deleted", d=7)
    assert counts(await world.purge(dry_run=True), world.world.tenant_id) == {
        "trash: contacts (erased)": 1
    }


def test_the_readme_lists_every_rule_with_its_default_and_bounds() -> None:
    from pathlib import Path

    from privacy.retention.rules import BOUNDS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("\n## Retention and the trash\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    expected = []
    for rule in Retention.ALL:
        bounds = BOUNDS.get(rule.name)
        chosen = f"{bounds.minimum} to {bounds.maximum} days" if bounds else "fixed"
        expected.append(
            f"| `{rule.name}` | {rule.description} | {rule.period_text} | "
            f"{rule.counted_from} | {chosen} |"
        )
    assert rows == expected
