"""Configuration profiles: `production` refuses to start without its secrets and turns the
unsafe conveniences off; `development` turns them on and generates its own secrets.

`ledgerline serve` is run through the typer CLI; the refusal happens in `load_settings`,
before migrations or uvicorn, which are replaced here by tripwires.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import secrets
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import models.migrate
from core.settings import (
    PRODUCTION_SECRETS,
    ConfigurationError,
    Settings,
    _new_signing_key,
    load_settings,
)
from server.cli import app as cli_app

SIGNING = "LEDGERLINE_SIGNING_KEY"
MASTER = "LEDGERLINE_MASTER_KEY"
AUDIT = "LEDGERLINE_AUDIT_KEY"


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No stray configuration from the developer's shell; a throwaway data directory."""
    for name in list(os.environ):
        if name.startswith("LEDGERLINE_"):
            monkeypatch.delenv(name)
    for name in ("ENV", "DATABASE_URL", "APP_DATABASE_URL", "REDIS_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEDGERLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/ledgerline.db")
    return tmp_path


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """ENV=production with its secrets provided."""
    env = {
        "ENV": "production",
        SIGNING: _new_signing_key(),
        MASTER: "k1:" + b64(os.urandom(32)),
        AUDIT: b64(os.urandom(32)),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


# --- Production refuses to start without its secrets ------------------------------------


def test_the_required_production_secrets_are_the_signing_master_and_audit_keys() -> None:
    assert set(PRODUCTION_SECRETS) == {SIGNING, MASTER, AUDIT}


@pytest.mark.parametrize(
    ("provided", "missing"),
    [
        pytest.param((), (SIGNING, MASTER, AUDIT), id="none"),
        pytest.param((MASTER, AUDIT), (SIGNING,), id="no-signing-key"),
        pytest.param((SIGNING, AUDIT), (MASTER,), id="no-master-key"),
        pytest.param((SIGNING, MASTER), (AUDIT,), id="no-audit-key"),
    ],
)
def test_production_without_a_secret_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    provided: tuple[str, ...],
    missing: tuple[str, ...],
) -> None:
    monkeypatch.setenv("ENV", "production")
    values = {
        SIGNING: _new_signing_key(),
        MASTER: "k1:" + b64(os.urandom(32)),
        AUDIT: b64(os.urandom(32)),
    }
    for name in provided:
        monkeypatch.setenv(name, values[name])
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    for name in missing:
        assert name in message
    for name in provided:
        assert name not in message
        assert values[name] not in message  # never echo a secret
    # Nothing was generated in its place (development's convenience is not production's).
    assert not (clean_env / "secrets").exists()


@pytest.mark.parametrize("name", [SIGNING, MASTER, AUDIT])
def test_an_empty_production_secret_counts_as_missing(
    production: dict[str, str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "")
    with pytest.raises(ConfigurationError, match=name):
        load_settings()


def test_production_refuses_the_tests_only_fast_password_hash(
    production: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLINE_FAST_PASSWORD_HASH", "1")
    with pytest.raises(ConfigurationError, match="LEDGERLINE_FAST_PASSWORD_HASH"):
        load_settings()


def test_the_production_profile_can_be_chosen_with_ledgerline_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEDGERLINE_ENV", "production")
    with pytest.raises(ConfigurationError, match=SIGNING):
        load_settings()


def test_an_unknown_profile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "prod")
    with pytest.raises(ConfigurationError, match="ENV"):
        load_settings()


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Migrations and uvicorn must not be reached when the configuration is refused."""
    import uvicorn

    reached: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: reached.append("uvicorn.run"))
    monkeypatch.setattr(models.migrate, "upgrade_sync", lambda *a, **k: reached.append("migrate"))
    return reached


@pytest.mark.parametrize(
    ("provided", "missing"),
    [
        pytest.param((), (SIGNING, MASTER, AUDIT), id="none"),
        pytest.param((MASTER, AUDIT), (SIGNING,), id="no-signing-key"),
        pytest.param((SIGNING, AUDIT), (MASTER,), id="no-master-key"),
        pytest.param((SIGNING, MASTER), (AUDIT,), id="no-audit-key"),
    ],
)
def test_serve_in_production_without_secrets_exits_non_zero_naming_them(
    monkeypatch: pytest.MonkeyPatch,
    tripwires: list[str],
    provided: tuple[str, ...],
    missing: tuple[str, ...],
) -> None:
    monkeypatch.setenv("ENV", "production")
    values = {
        SIGNING: _new_signing_key(),
        MASTER: "k1:" + b64(os.urandom(32)),
        AUDIT: b64(os.urandom(32)),
    }
    for name in provided:
        monkeypatch.setenv(name, values[name])
    result = CliRunner().invoke(cli_app, ["serve"])
    assert result.exit_code != 0, result.output
    assert result.exit_code == 2
    assert "Configuration error" in result.output
    for name in missing:
        assert name in result.output
    assert tripwires == []  # refused before migrating or starting the server


@pytest.mark.parametrize("command", ["migrate", "rotate-keys", "seed-demo"])
def test_other_commands_in_production_without_secrets_are_refused_too(
    monkeypatch: pytest.MonkeyPatch, tripwires: list[str], command: str
) -> None:
    monkeypatch.setenv("ENV", "production")
    result = CliRunner().invoke(cli_app, [command])
    assert result.exit_code == 2, result.output
    assert SIGNING in result.output and MASTER in result.output
    assert tripwires == []


def test_serve_in_production_with_secrets_gets_as_far_as_uvicorn(
    production: dict[str, str], tripwires: list[str]
) -> None:
    """The control: with both secrets the same command passes the check."""
    result = CliRunner().invoke(cli_app, ["serve"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert tripwires == ["migrate", "uvicorn.run"]
    assert "Ledgerline (production)" in result.output


# --- Profile defaults ---------------------------------------------------------------------


def test_production_defaults_turn_the_conveniences_off(production: dict[str, str]) -> None:
    settings = load_settings()
    assert settings.is_production
    assert settings.graphiql is False
    assert settings.allow_get_queries is False
    assert settings.introspection == "authenticated"
    assert settings.field_suggestions is False
    assert settings.secure_cookies is True
    assert settings.signing_key_pem == production[SIGNING]
    assert settings.master_keys == {"k1": base64.urlsafe_b64decode(production[MASTER][3:])}
    assert settings.active_master_key_id == "k1"


def test_development_defaults_turn_the_conveniences_on(clean_env: Path) -> None:
    settings = load_settings()
    assert not settings.is_production
    assert settings.env == "development"
    assert settings.graphiql is True
    assert settings.allow_get_queries is True
    assert settings.introspection == "on"
    assert settings.field_suggestions is True
    assert settings.secure_cookies is False


def test_the_model_defaults_match_the_development_profile() -> None:
    default = Settings()
    assert (default.graphiql, default.allow_get_queries, default.introspection) == (
        True,
        True,
        "on",
    )
    assert (default.field_suggestions, default.secure_cookies) == (True, False)


def test_development_generates_private_secrets_once(clean_env: Path) -> None:
    first = load_settings()
    second = load_settings()
    assert first.signing_key_pem == second.signing_key_pem
    assert first.master_keys == second.master_keys
    assert set(first.master_keys) == {"k1"} and len(first.master_keys["k1"]) == 32
    for name in ("signing_key.pem", "master_key"):
        path = clean_env / "secrets" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_production_profile_settings_can_still_be_overridden_explicitly(
    production: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLINE_INTROSPECTION", "off")
    monkeypatch.setenv("LEDGERLINE_FIELD_SUGGESTIONS", "false")
    settings = load_settings()
    assert settings.introspection == "off"
    assert settings.field_suggestions is False


# --- Master keys ---------------------------------------------------------------------------


def test_master_keys_list_the_active_key_first(monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = secrets.token_bytes(32), secrets.token_bytes(32)
    monkeypatch.setenv(MASTER, f"k2:{b64(new)}, k1:{b64(old)}")
    settings = load_settings()
    assert settings.master_keys == {"k2": new, "k1": old}
    assert settings.active_master_key_id == "k2"


def test_a_bare_master_key_is_k1(monkeypatch: pytest.MonkeyPatch) -> None:
    key = secrets.token_bytes(32)
    monkeypatch.setenv(MASTER, b64(key))
    settings = load_settings()
    assert settings.master_keys == {"k1": key}


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("k1:" + b64(secrets.token_bytes(16)), id="16-bytes"),
        pytest.param("k1:" + b64(secrets.token_bytes(31)), id="31-bytes"),
        pytest.param("k1:" + b64(secrets.token_bytes(33)), id="33-bytes"),
        pytest.param("k1:not base64 at all!!", id="not-base64"),
        pytest.param("k1:" + b64(secrets.token_bytes(32))[:-2], id="truncated"),
        pytest.param("k1:", id="empty-value"),
        pytest.param("k2:" + b64(secrets.token_bytes(32)) + ",k1:short", id="second-bad"),
        pytest.param(",", id="only-separators"),
    ],
)
@pytest.mark.parametrize("profile", ["development", "production"])
def test_a_malformed_master_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, raw: str, profile: str
) -> None:
    monkeypatch.setenv("ENV", profile)
    monkeypatch.setenv(SIGNING, _new_signing_key())
    monkeypatch.setenv(MASTER, raw)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert MASTER in message
    secret_part = raw.partition(":")[2]
    if len(secret_part) > 4:
        assert secret_part not in message  # the key material is never echoed


def test_serve_with_a_malformed_master_key_exits_non_zero(
    production: dict[str, str], monkeypatch: pytest.MonkeyPatch, tripwires: list[str]
) -> None:
    monkeypatch.setenv(MASTER, "k1:" + b64(secrets.token_bytes(20)))
    result = CliRunner().invoke(cli_app, ["serve"])
    assert result.exit_code == 2, result.output
    assert MASTER in result.output
    assert tripwires == []


# --- Introspection mode: only the three known values (a typo must not fail open) ----------


@pytest.mark.parametrize("value", ["disabled", "none", "true", "anonymous"])
def test_an_unknown_introspection_mode_is_refused(
    production: dict[str, str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("LEDGERLINE_INTROSPECTION", value)
    with pytest.raises(ConfigurationError, match="LEDGERLINE_INTROSPECTION"):
        load_settings()


@pytest.mark.parametrize("value", ["on", "authenticated", "off"])
def test_the_known_introspection_modes_are_accepted(
    production: dict[str, str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("LEDGERLINE_INTROSPECTION", value)
    assert load_settings().introspection == value


# --- Invalid values stop start-up, naming the variable -------------------------------------


INVALID = [
    pytest.param("LEDGERLINE_MAX_PAGE_SIZE", "ten", id="page-size-not-an-integer"),
    pytest.param("LEDGERLINE_MAX_PAGE_SIZE", "0", id="page-size-zero"),
    pytest.param("LEDGERLINE_MAX_DEPTH", "-3", id="negative-depth"),
    pytest.param("LEDGERLINE_MAX_BODY_BYTES", "64k", id="body-bytes-with-unit"),
    pytest.param("PORT", "http", id="port-not-an-integer"),
    pytest.param("LEDGERLINE_SMTP_PORT", "70000", id="smtp-port-out-of-range"),
    pytest.param("LEDGERLINE_SECURE_COOKIES", "ture", id="bad-boolean"),
    pytest.param("LEDGERLINE_GRAPHIQL", "maybe", id="bad-boolean-graphiql"),
    pytest.param("ENV", "staging", id="unknown-env"),
    pytest.param("LEDGERLINE_SMTP_TLS", "ssl", id="unknown-smtp-tls"),
    pytest.param("LEDGERLINE_RATE_LIMIT", "lots", id="unreadable-rate-limit"),
]


@pytest.mark.parametrize(("name", "value"), INVALID)
@pytest.mark.parametrize("profile", ["development", "production"])
def test_an_invalid_value_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, production: dict[str, str], profile: str, name: str, value: str
) -> None:
    monkeypatch.setenv("ENV", profile)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}: "), message
    assert repr(value) in message  # what was read, so the mistake is visible
    for secret in (production[SIGNING], production[MASTER]):
        assert secret not in message


@pytest.mark.parametrize(("name", "value"), INVALID[:3])
def test_serve_with_an_invalid_value_exits_non_zero_naming_it(
    monkeypatch: pytest.MonkeyPatch, tripwires: list[str], name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli_app, ["serve"])
    assert result.exit_code == 2, result.output
    assert "Configuration error" in result.output and name in result.output
    assert tripwires == []


def test_an_unknown_ledgerline_env_is_refused_by_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERLINE_ENV", "prod")
    with pytest.raises(ConfigurationError, match="^LEDGERLINE_ENV: .*'prod'"):
        load_settings()


def test_env_takes_precedence_over_ledgerline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "test")
    monkeypatch.setenv("LEDGERLINE_ENV", "production")
    assert load_settings().env == "test"


def test_booleans_accept_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), (" Yes ", True), ("ON", True), ("false", False)]:
        monkeypatch.setenv("LEDGERLINE_SECURE_COOKIES", raw)
        assert load_settings().secure_cookies is expected, raw


def test_a_typed_value_is_read_as_its_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERLINE_MAX_PAGE_SIZE", "25")
    monkeypatch.setenv("LEDGERLINE_CORS_ORIGINS", "https://a.example, https://b.example,")
    monkeypatch.setenv("LEDGERLINE_SMTP_TLS", "TLS")
    monkeypatch.setenv("LEDGERLINE_APP_URL", "https://crm.example/")
    settings = load_settings()
    assert settings.limits.max_page_size == 25
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.smtp_tls == "tls"
    assert settings.app_url == "https://crm.example"


# --- Immutable -------------------------------------------------------------------------------


def test_settings_and_limits_are_immutable() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.graphiql = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.limits.max_page_size = 10_000  # type: ignore[misc]
    variant = settings.model_copy(update={"graphiql": False})
    assert (variant.graphiql, settings.graphiql) == (False, True)


def test_secrets_are_left_out_of_the_repr(production: dict[str, str]) -> None:
    shown = repr(load_settings())
    assert production[SIGNING] not in shown
    assert "master_keys" not in shown and "signing_key_pem" not in shown
