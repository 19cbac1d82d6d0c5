"""`privacyPolicy` (issue 11): the policy's version and the lists of sections 2.1 to 9,
generated from the data map and the registers in privacy/, readable without signing in."""

from datetime import date

from auth.accounts import CURRENT_POLICY_VERSION
from privacy.data_map import purpose_items, retention_items, section_items
from privacy.disclosure import disclosure_items
from privacy.measures import ISOLATION, SECURITY, measure_items
from privacy.rights import rights_items
from privacy.subprocessors import subprocessor_items
from schema.operations.client_storage import client_storage_items

QUERY = "{ privacyPolicy { version lastUpdated sections { number title items } } }"


async def _policy(runner):
    result = await runner(None, QUERY)
    assert result.errors is None
    return result.data["privacyPolicy"]


async def test_the_policy_names_the_current_version_and_its_date(runner):
    policy = await _policy(runner)
    assert policy["version"] == CURRENT_POLICY_VERSION
    assert date.fromisoformat(policy["lastUpdated"]) == date.fromisoformat(CURRENT_POLICY_VERSION)


async def test_the_policy_has_the_sections_with_lists_in_order(runner):
    policy = await _policy(runner)
    assert [s["number"] for s in policy["sections"]] == [
        "2.1", "2.2", "2.3", "3", "4", "5", "6", "7", "8", "9",
    ]  # fmt: skip


async def test_every_listed_section_is_filled_from_the_data_map(runner):
    by_number = {s["number"]: s["items"] for s in (await _policy(runner))["sections"]}
    assert by_number["2.1"] == list(section_items("2.1"))
    assert by_number["2.2"] == list(section_items("2.2"))
    assert by_number["2.3"] == list(section_items("2.3"))
    assert by_number["3"] == list(purpose_items())
    assert by_number["5"] == list(retention_items())
    assert by_number["7"] == list(client_storage_items())
    assert all(by_number.values())


async def test_sections_4_6_8_and_9_are_filled_from_their_registers(runner):
    by_number = {s["number"]: s["items"] for s in (await _policy(runner))["sections"]}
    assert by_number["4"] == [*measure_items(ISOLATION), *disclosure_items()]
    assert by_number["6"] == list(subprocessor_items())
    assert by_number["8"] == list(measure_items(SECURITY))
    assert by_number["9"] == list(rights_items())


async def test_the_retention_section_states_the_usage_log_period(runner):
    by_number = {s["number"]: s["items"] for s in (await _policy(runner))["sections"]}
    assert "Usage log: 90 days, counted from the operation." in by_number["5"]
