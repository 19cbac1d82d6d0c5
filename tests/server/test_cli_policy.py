"""`ledgerline policy render` (issue 11): the policy text with every list of the
`privacyPolicy` data filled in, to stdout or to `--out FILE`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from schema.operations.privacy_policy import current_policy
from server.cli import app
from server.privacy_page import POLICY_TEXT, render_text


def _lists(text: str) -> dict[str, list[str]]:
    """The `- ` items under each numbered heading of the rendered text."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        head = line.split(" ", 1)[0].rstrip(".")
        if head and head.replace(".", "").isdigit() and not line.startswith("- "):
            current = head
            found.setdefault(current, [])
        elif line.startswith("- "):
            found[current].append(line[2:])
    return found


def test_render_prints_the_policy_with_every_list_filled() -> None:
    result = CliRunner().invoke(app, ["policy", "render"])
    assert result.exit_code == 0, result.output
    policy = current_policy()
    lists = _lists(result.stdout)
    assert policy.sections
    for section in policy.sections:
        assert lists[section.number], f"section {section.number} is empty"
        assert len(lists[section.number]) == len(section.items)
        for item in section.items:
            assert item.split()[0] in result.stdout
    assert f"Last updated: {policy.last_updated.isoformat()}" in result.stdout
    assert "Usage log: 90 days, counted from the operation." in result.stdout


def test_render_keeps_every_paragraph_of_the_policy_text() -> None:
    rendered = " ".join(render_text().split())
    for block in POLICY_TEXT.read_text(encoding="utf-8").split("\n\n"):
        assert " ".join(block.split()) in rendered


def test_render_writes_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "policy.txt"
    result = CliRunner().invoke(app, ["policy", "render", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == render_text()
