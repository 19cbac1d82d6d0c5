"""README.md's configuration table is checked against the settings model (core/settings.py).

Every variable the model reads has a row, and every row names variables the model reads;
each row's development default is the value the model loads in a clean environment, its
production column names the value wherever the production profile changes it, and its
meaning is the field's `description`. The model is also shown to read each variable (and
nothing derived from a field name).
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Any

import pytest

from core.settings import PRODUCTION_SECRETS, Settings, _new_signing_key, variables

README = Path(__file__).resolve().parents[2] / "README.md"
GENERATED = "generated into the data dir"


class Row:
    def __init__(self, names: list[str], development: str, production: str, meaning: str):
        self.names, self.development, self.production, self.meaning = (
            names,
            development,
            production,
            meaning,
        )

    def default_of(self, name: str, cell: str) -> str:
        """A cell for several variables lists one value each (`127.0.0.1`, `8000`), or one
        value for all of them."""
        values = [part.strip() for part in cell.split(", ")]
        if len(self.names) > 1 and len(values) == len(self.names):
            return values[self.names.index(name)]
        return cell


def configuration_rows() -> list[Row]:
    text = README.read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    assert lines[0].split("|")[1:5] == [
        " variable ",
        " default (development) ",
        " production ",
        " meaning ",
    ]
    assert set(lines[1]) <= {"|", "-", " ", ":"}
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        assert len(cells) == 4, line
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        assert names, f"no variable named in {line!r}"
        rows.append(Row(names, *cells[1:]))
    return rows


ROWS = configuration_rows()
BY_NAME = {name: row for row in ROWS for name in row.names}


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No configuration at all from the shell, run from an empty directory (the default
    data directory is `./data`)."""
    for name in list(os.environ):
        if name.startswith("LEDGERLINE_") or name in variables():
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def attribute(settings: Settings, path: tuple[str, ...]) -> Any:
    value: Any = settings
    for part in path:
        value = getattr(value, part)
    return value


def render(value: Any, data_dir: Path) -> str:
    """A value the way the table writes it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return f"`{value}`"
    if isinstance(value, Path):
        return f"`./{value.relative_to(Path.cwd())}`"
    if isinstance(value, tuple):
        return f"`{','.join(value)}`" if value else "none"
    if value == "":
        return "unset"
    return "`" + str(value).replace(str(data_dir), "<data dir>") + "`"


def documents(cell: str, value: Any, data_dir: Path) -> bool:
    """The cell states the value, possibly followed by a note: `unset (in-memory)`."""
    shown = render(value, data_dir)
    return cell == shown or cell.startswith((shown + " (", shown + ": "))


def was_generated(value: Any, data_dir: Path) -> bool:
    """A development secret the model generated and kept in the data directory."""
    kept = [path.read_text() for path in (data_dir / "secrets").iterdir()]
    if isinstance(value, dict):
        return list(value) == ["k1"] and base64.urlsafe_b64encode(value["k1"]).decode() in kept
    if isinstance(value, bytes):
        return base64.urlsafe_b64encode(value).decode() in kept
    return value in kept


def test_every_variable_the_model_reads_has_a_row_and_every_row_is_read() -> None:
    documented = [name for row in ROWS for name in row.names]
    assert len(documented) == len(set(documented)), "a variable has two rows"
    read = set(variables())
    assert sorted(read - set(documented)) == [], "read by the model, missing from README.md"
    assert sorted(set(documented) - read) == [], "in README.md, not read by the model"


def test_the_development_defaults_are_the_models(clean_env: Path) -> None:
    settings = Settings()
    data_dir = settings.data_dir
    assert data_dir == clean_env / "data"
    wrong = {}
    for name, path in variables().items():
        row = BY_NAME[name]
        cell = row.default_of(name, row.development)
        value = attribute(settings, path)
        if cell == GENERATED:
            if not was_generated(value, data_dir):
                wrong[name] = (cell, "not generated into the data dir")
        elif not documents(cell, value, data_dir):
            wrong[name] = (cell, render(value, data_dir))
    assert wrong == {}


def test_the_production_column_names_what_the_profile_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    development = Settings()
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("LEDGERLINE_SIGNING_KEY", _new_signing_key())
    monkeypatch.setenv(
        "LEDGERLINE_MASTER_KEY", "k1:" + base64.urlsafe_b64encode(bytes(32)).decode()
    )
    monkeypatch.setenv("LEDGERLINE_AUDIT_KEY", base64.urlsafe_b64encode(bytes(32)).decode())
    production = Settings()
    changed, wrong = {}, {}
    for name, path in variables().items():
        row = BY_NAME[name]
        before, after = attribute(development, path), attribute(production, path)
        if name in PRODUCTION_SECRETS:
            if row.production != "**required**":
                wrong[name] = (row.production, "**required**")
        elif before != after:
            changed[name] = after
            cell = row.default_of(name, row.production)
            if not documents(cell, after, production.data_dir):
                wrong[name] = (cell, render(after, production.data_dir))
    assert wrong == {}
    assert set(changed) >= {
        "ENV",
        "LEDGERLINE_GRAPHIQL",
        "LEDGERLINE_ALLOW_GET_QUERIES",
        "LEDGERLINE_INTROSPECTION",
        "LEDGERLINE_FIELD_SUGGESTIONS",
        "LEDGERLINE_SECURE_COOKIES",
    }


def test_each_meaning_is_the_fields_description() -> None:
    fields = {
        **Settings.model_fields,
        **Settings.model_fields["limits"].annotation.__pydantic_fields__,
    }
    wrong = {}
    for name, path in variables().items():
        description = fields[path[-1]].description
        if description != BY_NAME[name].meaning:
            wrong[name] = (BY_NAME[name].meaning, description)
    assert wrong == {}


def test_every_field_carries_a_description() -> None:
    fields = {
        **Settings.model_fields,
        **Settings.model_fields["limits"].annotation.__pydantic_fields__,
    }
    assert [name for name, info in fields.items() if not info.description] == []


# --- The model really reads each variable, and nothing else --------------------------------

SAMPLES = {
    "ENV": "test",
    "LEDGERLINE_ENV": "test",
    "LEDGERLINE_INTROSPECTION": "off",
    "LEDGERLINE_SMTP_TLS": "tls",
    "LEDGERLINE_JOB_QUEUE": "procrastinate",
    "LEDGERLINE_RATE_LIMIT": "5/second",
    "LEDGERLINE_RATE_LIMIT_AUTH": "5/second",
    "LEDGERLINE_CORS_ORIGINS": "https://a.example, https://b.example",
    "LEDGERLINE_MASTER_KEY": "k7:" + base64.urlsafe_b64encode(bytes(range(32))).decode(),
    "LEDGERLINE_AUDIT_KEY": base64.urlsafe_b64encode(bytes(range(32))).decode(),
}


def sample(name: str, default: Any, tmp_path: Path) -> str:
    """A valid value for `name` that differs from its default."""
    if name in SAMPLES:
        return SAMPLES[name]
    if isinstance(default, bool):
        return "off" if default else "on"
    if isinstance(default, int):
        return str(default + 1)
    if isinstance(default, Path):
        return str(tmp_path / "elsewhere")
    return "sample-value"


@pytest.mark.parametrize("name", sorted(variables()))
def test_the_model_reads_the_variable(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = variables()[name]
    default = attribute(Settings(), path)
    monkeypatch.setenv(name, sample(name, default, tmp_path))
    assert attribute(Settings(), path) != default


@pytest.mark.parametrize("name", sorted(variables()))
def test_an_empty_variable_counts_as_unset(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = variables()[name]
    default = attribute(Settings(), path)
    monkeypatch.setenv(name, "")
    assert attribute(Settings(), path) == default


def test_fields_without_a_variable_are_not_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unread = [name for name, info in Settings.model_fields.items() if info.validation_alias is None]
    assert "token_issuer" in unread and "limits" in unread
    before = Settings().model_dump()
    for name in unread:
        for variable in (name, name.upper(), "LEDGERLINE_" + name.upper()):
            monkeypatch.setenv(variable, "1")
    assert Settings().model_dump() == before
