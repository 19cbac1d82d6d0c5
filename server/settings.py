"""Configuration from the environment, in one place.

Two profiles: `development` (everything convenient is on, secrets are generated and
kept in the data directory) and `production` (unsafe conveniences are off and every
secret must be provided; the server refuses to start and names the missing variable).
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

INTROSPECTION_MODES = ("on", "authenticated", "off")
SMTP_TLS_MODES = ("starttls", "tls", "off")
PRODUCTION_SECRETS = ("LEDGERLINE_SIGNING_KEY", "LEDGERLINE_MASTER_KEY")


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    # A typo must not silently switch a protection off (e.g. SECURE_COOKIES=ture).
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def _list(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Limits:
    """Query limits; each refusal has its own stable error code."""

    max_body_bytes: int = 64 * 1024
    max_tokens: int = 2000
    max_depth: int = 10
    max_aliases: int = 15
    max_directives: int = 9
    max_cost: int = 50_000
    max_page_size: int = 100


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    data_dir: Path = Path("data")
    database_url: str = ""
    app_database_url: str = ""
    graphiql: bool = True
    allow_get_queries: bool = True
    introspection: str = "on"  # on | authenticated | off
    field_suggestions: bool = True
    cors_origins: tuple[str, ...] = ()
    redis_url: str = ""
    signing_key_pem: str = ""
    master_keys: dict[str, bytes] = field(default_factory=dict)
    active_master_key_id: str = "k1"
    token_issuer: str = "ledgerline"
    token_audience: str = "ledgerline-api"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    session_ttl_s: int = 12 * 3600
    secure_cookies: bool = False
    limits: Limits = field(default_factory=Limits)
    rate_limit_default: str = "600/minute"
    rate_limit_auth: str = "10/minute"
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_host: str = ""
    """Empty: mails are written to `<data dir>/outbox` instead of sent (server/mail.py)."""
    smtp_port: int = 587
    smtp_tls: str = "starttls"  # starttls | tls | off
    smtp_username: str = ""
    smtp_password: str = ""
    mail_sender: str = "Ledgerline <no-reply@ledgerline.invalid>"
    app_url: str = "http://127.0.0.1:8000"
    """Where the links in mails point (an invitation: `<app_url>/accept-invitation#token=...`)."""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


def _dev_secret(data_dir: Path, name: str, make: callable) -> str:  # type: ignore[valid-type]
    """Development secrets are generated once and kept beside the database."""
    path = data_dir / "secrets" / name
    if path.exists():
        return path.read_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value)
    path.chmod(0o600)
    return value


def _new_signing_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _random_b64() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _decode_key(name: str, raw: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw.encode())
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be 32 bytes, base64url-encoded") from exc
    if len(key) != 32:
        raise ConfigurationError(f"{name} must be 32 bytes, base64url-encoded")
    return key


def _master_keys(raw: str) -> tuple[dict[str, bytes], str]:
    """`LEDGERLINE_MASTER_KEY` is `id:key[,id:key...]`; the first one wraps new data keys.

    Older keys stay listed during a rotation so data keys wrapped by them still unwrap.
    """
    keys: dict[str, bytes] = {}
    first = ""
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        key_id, sep, value = part.partition(":")
        if not sep:
            key_id, value = "k1", part
        if key_id in keys:
            raise ConfigurationError(f"LEDGERLINE_MASTER_KEY lists key id {key_id!r} twice")
        keys[key_id] = _decode_key("LEDGERLINE_MASTER_KEY", value)
        first = first or key_id
    if not keys:
        raise ConfigurationError("LEDGERLINE_MASTER_KEY is empty")
    return keys, first


def load_settings() -> Settings:
    env = os.environ.get("ENV", os.environ.get("LEDGERLINE_ENV", "development")).lower()
    if env not in {"development", "production", "test"}:
        raise ConfigurationError(f"ENV must be development, production or test, got {env!r}")
    production = env == "production"
    data_dir = Path(os.environ.get("LEDGERLINE_DATA_DIR", "data")).resolve()
    if production and os.environ.get("LEDGERLINE_FAST_PASSWORD_HASH") == "1":
        raise ConfigurationError("LEDGERLINE_FAST_PASSWORD_HASH is for tests only")
    if production:
        missing = [name for name in PRODUCTION_SECRETS if not os.environ.get(name)]
        if missing:
            raise ConfigurationError(
                "Refusing to start in production without "
                + ", ".join(missing)
                + " (see the configuration table in README.md)"
            )
        signing_key = os.environ["LEDGERLINE_SIGNING_KEY"]
        master_raw = os.environ["LEDGERLINE_MASTER_KEY"]
    else:
        signing_key = os.environ.get("LEDGERLINE_SIGNING_KEY") or _dev_secret(
            data_dir, "signing_key.pem", _new_signing_key
        )
        master_raw = os.environ.get("LEDGERLINE_MASTER_KEY") or (
            "k1:" + _dev_secret(data_dir, "master_key", _random_b64)
        )
    master_keys, active = _master_keys(master_raw)
    introspection = os.environ.get(
        "LEDGERLINE_INTROSPECTION", "authenticated" if production else "on"
    )
    if introspection not in INTROSPECTION_MODES:
        raise ConfigurationError(
            f"LEDGERLINE_INTROSPECTION must be one of {', '.join(INTROSPECTION_MODES)}, "
            f"got {introspection!r}"
        )
    smtp_tls = os.environ.get("LEDGERLINE_SMTP_TLS", "starttls").lower()
    if smtp_tls not in SMTP_TLS_MODES:
        raise ConfigurationError(
            f"LEDGERLINE_SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}, got {smtp_tls!r}"
        )
    database_url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir}/ledgerline.db"
    limits = Limits(
        max_body_bytes=_int("LEDGERLINE_MAX_BODY_BYTES", Limits.max_body_bytes),
        max_tokens=_int("LEDGERLINE_MAX_TOKENS", Limits.max_tokens),
        max_depth=_int("LEDGERLINE_MAX_DEPTH", Limits.max_depth),
        max_aliases=_int("LEDGERLINE_MAX_ALIASES", Limits.max_aliases),
        max_directives=_int("LEDGERLINE_MAX_DIRECTIVES", Limits.max_directives),
        max_cost=_int("LEDGERLINE_MAX_COST", Limits.max_cost),
        max_page_size=_int("LEDGERLINE_MAX_PAGE_SIZE", Limits.max_page_size),
    )
    return Settings(
        env=env,
        data_dir=data_dir,
        database_url=database_url,
        app_database_url=os.environ.get("APP_DATABASE_URL", ""),
        graphiql=_bool("LEDGERLINE_GRAPHIQL", not production),
        allow_get_queries=_bool("LEDGERLINE_ALLOW_GET_QUERIES", not production),
        introspection=introspection,
        field_suggestions=_bool("LEDGERLINE_FIELD_SUGGESTIONS", not production),
        cors_origins=_list("LEDGERLINE_CORS_ORIGINS"),
        redis_url=os.environ.get("REDIS_URL", ""),
        signing_key_pem=signing_key,
        master_keys=master_keys,
        active_master_key_id=active,
        secure_cookies=_bool("LEDGERLINE_SECURE_COOKIES", production),
        limits=limits,
        rate_limit_default=os.environ.get("LEDGERLINE_RATE_LIMIT", "600/minute"),
        rate_limit_auth=os.environ.get("LEDGERLINE_RATE_LIMIT_AUTH", "10/minute"),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=_int("PORT", 8000),
        smtp_host=os.environ.get("LEDGERLINE_SMTP_HOST", ""),
        smtp_port=_int("LEDGERLINE_SMTP_PORT", 587),
        smtp_tls=smtp_tls,
        smtp_username=os.environ.get("LEDGERLINE_SMTP_USERNAME", ""),
        smtp_password=os.environ.get("LEDGERLINE_SMTP_PASSWORD", ""),
        mail_sender=os.environ.get(
            "LEDGERLINE_MAIL_FROM", "Ledgerline <no-reply@ledgerline.invalid>"
        ),
        app_url=os.environ.get("LEDGERLINE_APP_URL", "http://127.0.0.1:8000").rstrip("/"),
    )
