"""The README's table of error codes lists exactly the codes the service answers with:
every application code (core.errors.Code), every query-limit code and the protocol
codes of the HTTP layer."""

from __future__ import annotations

import re
from pathlib import Path

from core.errors import Code
from schema.extensions import PARSE_FAILED, VALIDATION_FAILED
from schema.limits import LIMIT_ERROR_CODES

README = Path(__file__).resolve().parents[2] / "README.md"
PROTOCOL = {"BAD_REQUEST", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE", "CSRF_TOKEN_INVALID"}


def readme_codes() -> set[str]:
    text = README.read_text()
    section = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {code for row in rows for code in re.findall(r"`([A-Z][A-Z_]+)`", row.split("|")[1])}


def test_the_readme_lists_every_code_and_no_other() -> None:
    known = {c.value for c in Code} | set(LIMIT_ERROR_CODES) | PROTOCOL
    known |= {PARSE_FAILED, VALIDATION_FAILED}
    assert readme_codes() == known
