"""Configuration from the environment, in one place: the `Settings` model.

Two profiles: `development` (everything convenient is on, secrets are generated and
kept in the data directory) and `production` (unsafe conveniences are off and every
secret must be provided; the server refuses to start and names the missing variable).

The model is the documentation: every setting read from the environment is a field whose
`validation_alias` is the variable's name and whose `description` is the "meaning" column
of the configuration table in README.md (tests/server/test_settings_readme.py checks the
table against the model, defaults included). Fields without an alias are fixed in code
and never read from the environment. An empty variable counts as unset. An invalid value
stops start-up with a `ConfigurationError` naming the variable; a secret is never echoed.

`Settings` is frozen; tests derive variants with `settings.model_copy(update={...})`.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass, is_pydantic_dataclass
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

INTROSPECTION_MODES = ("on", "authenticated", "off")
SMTP_TLS_MODES = ("starttls", "tls", "off")
PRODUCTION_SECRETS = ("LEDGERLINE_SIGNING_KEY", "LEDGERLINE_MASTER_KEY", "LEDGERLINE_AUDIT_KEY")


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


# --- value types ---------------------------------------------------------------------------

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(value: object) -> object:
    """Strict booleans: a typo must not silently switch a protection off
    (e.g. LEDGERLINE_SECURE_COOKIES=ture)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError("must be true or false (1/0, yes/no, on/off)")


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


def _rate(value: object) -> object:
    """`<count>/<period>` as the `limits` package reads it (e.g. `600/minute`)."""
    from limits import parse

    if isinstance(value, str):
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError("must be a count per period, like 600/minute") from exc
    return value


Flag = Annotated[bool, BeforeValidator(_flag)]
Rate = Annotated[str, BeforeValidator(_rate)]
Port = Annotated[int, Field(ge=0, le=65535)]
Positive = Annotated[int, Field(gt=0)]


# --- secrets -------------------------------------------------------------------------------


def _dev_secret(data_dir: Path, name: str, make: Callable[[], str]) -> str:
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


def _decode_key(raw: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw.encode())
    except ValueError as exc:
        raise ValueError("must be 32 bytes, base64url-encoded") from exc
    if len(key) != 32:
        raise ValueError("must be 32 bytes, base64url-encoded")
    return key


def _master_keys(raw: str) -> dict[str, bytes]:
    """`LEDGERLINE_MASTER_KEY` is `id:key[,id:key...]`; the first one wraps new data keys.

    Older keys stay listed during a rotation so data keys wrapped by them still unwrap.
    A bare key (no `id:`) is `k1`. Error messages never contain key material.
    """
    keys: dict[str, bytes] = {}
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        key_id, sep, value = part.partition(":")
        if not sep:
            key_id, value = "k1", part
        if key_id in keys:
            raise ValueError(f"lists key id {key_id!r} twice")
        keys[key_id] = _decode_key(value)
    if not keys:
        raise ValueError("is empty")
    return keys


def _is_production(data: Mapping[str, Any]) -> bool:
    return data.get("env") == "production"


def _generated_signing_key(data: Mapping[str, Any]) -> str:
    if _is_production(data):
        return ""  # must be provided (refused below)
    return _dev_secret(data["data_dir"], "signing_key.pem", _new_signing_key)


def _generated_master_keys(data: Mapping[str, Any]) -> dict[str, bytes]:
    if _is_production(data):
        return {}  # must be provided (refused below)
    return _master_keys("k1:" + _dev_secret(data["data_dir"], "master_key", _random_b64))


def _generated_audit_key(data: Mapping[str, Any]) -> bytes:
    if _is_production(data):
        return b""  # must be provided (refused below)
    return _decode_key(_dev_secret(data["data_dir"], "audit_key", _random_b64))


# --- the model -----------------------------------------------------------------------------


@dataclass(frozen=True, config=ConfigDict(validate_by_name=True, validate_by_alias=True))
class Limits:
    """Query limits; each refusal has its own stable error code.

    A (pydantic) dataclass: validated like the model, read as fast as a plain attribute on
    the request path, and `Limits.max_tokens` is the default at class level.
    """

    max_body_bytes: Positive = Field(
        default=64 * 1024,
        validation_alias="LEDGERLINE_MAX_BODY_BYTES",
        description="request body cap, checked before parsing",
    )
    max_tokens: Positive = Field(
        default=2000,
        validation_alias="LEDGERLINE_MAX_TOKENS",
        description="GraphQL document token limit",
    )
    max_depth: Positive = Field(
        default=10, validation_alias="LEDGERLINE_MAX_DEPTH", description="selection depth limit"
    )
    max_aliases: Positive = Field(
        default=15, validation_alias="LEDGERLINE_MAX_ALIASES", description="aliases per operation"
    )
    max_directives: Positive = Field(
        default=9,
        validation_alias="LEDGERLINE_MAX_DIRECTIVES",
        description="directive uses per operation",
    )
    max_cost: Positive = Field(
        default=50_000,
        validation_alias="LEDGERLINE_MAX_COST",
        description="static cost limit (fields multiplied by page sizes)",
    )
    max_page_size: Positive = Field(
        default=100,
        validation_alias="LEDGERLINE_MAX_PAGE_SIZE",
        description="largest `first`/`last`",
    )


def _dataclass_fields(cls: type) -> dict[str, FieldInfo]:
    if not is_pydantic_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a pydantic dataclass")
    return cls.__pydantic_fields__


LIMIT_FIELDS: dict[str, FieldInfo] = _dataclass_fields(Limits)


class _DeclaredVariables(EnvSettingsSource):
    """Reads exactly the variables the model declares: a field's `validation_alias` (never
    a variable derived from a field name), and the limits' flat `LEDGERLINE_MAX_*` names."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field.validation_alias is None:
            return None, field_name, False
        return super().get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        limits = {
            name: self.env_vars[name]
            for name in _aliases(LIMIT_FIELDS.values())
            if self.env_vars.get(name) is not None
        }
        if limits:
            data["limits"] = limits
        return data


class Settings(BaseSettings):
    """Everything configurable, read from the environment by `load_settings()`.

    Constructing `Settings(...)` directly reads the environment too, for the fields not
    given; development secrets are generated into the data directory when not provided.
    """

    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        env_ignore_empty=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        hide_input_in_errors=True,
    )

    env: Annotated[Literal["development", "production", "test"], BeforeValidator(_lower)] = Field(
        "development",
        validation_alias=AliasChoices("ENV", "LEDGERLINE_ENV"),
        description="profile: development turns conveniences on, production turns them off",
    )
    data_dir: Path = Field(
        Path("data"),
        validation_alias="LEDGERLINE_DATA_DIR",
        description="SQLite file and generated development secrets",
    )
    database_url: str = Field(
        default_factory=lambda data: f"sqlite+aiosqlite:///{data['data_dir']}/ledgerline.db",
        validation_alias="DATABASE_URL",
        description="owner connection, used for migrations; PostgreSQL: "
        "`postgresql+asyncpg://owner@host/db`",
    )
    app_database_url: str = Field(
        "",
        validation_alias="APP_DATABASE_URL",
        description="the application's own role: owns no table, cannot bypass row-level security",
    )
    graphiql: Flag = Field(
        default_factory=lambda data: not _is_production(data),
        validation_alias="LEDGERLINE_GRAPHIQL",
        description="serve GraphiQL at `GET /graphql`",
    )
    allow_get_queries: Flag = Field(
        default_factory=lambda data: not _is_production(data),
        validation_alias="LEDGERLINE_ALLOW_GET_QUERIES",
        description="queries over GET (mutations never run over GET)",
    )
    introspection: Literal["on", "authenticated", "off"] = Field(
        default_factory=lambda data: "authenticated" if _is_production(data) else "on",
        validation_alias="LEDGERLINE_INTROSPECTION",
        description="`on`, `authenticated` (signed-in callers only) or `off`",
    )
    field_suggestions: Flag = Field(
        default_factory=lambda data: not _is_production(data),
        validation_alias="LEDGERLINE_FIELD_SUGGESTIONS",
        description='"Did you mean ...?" hints in validation errors',
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list)] = Field(
        (),
        validation_alias="LEDGERLINE_CORS_ORIGINS",
        description="comma-separated allowlist of browser origins",
    )
    redis_url: str = Field(
        "",
        validation_alias="REDIS_URL",
        description="shared rate-limit counters for several processes",
    )
    job_queue: Annotated[Literal["in-process", "procrastinate"], BeforeValidator(_lower)] = Field(
        "in-process",
        validation_alias="LEDGERLINE_JOB_QUEUE",
        description="background jobs: `in-process` tasks, or the `procrastinate` queue "
        "(PostgreSQL only; production)",
    )
    job_worker: Flag = Field(
        True,
        validation_alias="LEDGERLINE_JOB_WORKER",
        description="with the procrastinate queue: each server process also works the queue",
    )
    job_concurrency: Positive = Field(
        4,
        validation_alias="LEDGERLINE_JOB_CONCURRENCY",
        description="jobs one process's queue worker runs at a time",
    )
    signing_key_pem: str = Field(
        default_factory=_generated_signing_key,
        validation_alias="LEDGERLINE_SIGNING_KEY",
        repr=False,
        description="PEM EC P-256 private key for access tokens (ES256)",
    )
    retired_signing_keys: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list)] = (
        Field(
            (),
            validation_alias="LEDGERLINE_RETIRED_SIGNING_KEYS",
            repr=False,
            description="keys replaced by a rotation, `<unix time retired>:<base64 of the PEM>` "
            "comma-separated: `/oauth/jwks` serves them until the tokens they signed expire",
        )
    )
    master_keys: Annotated[dict[str, bytes], NoDecode] = Field(
        default_factory=_generated_master_keys,
        validation_alias="LEDGERLINE_MASTER_KEY",
        repr=False,
        description="`id:base64url(32 bytes)[,id:key...]`; the first wraps new data keys, "
        "the others stay readable during a rotation",
    )
    active_master_key_id: str = Field(
        default_factory=lambda data: next(iter(data.get("master_keys") or {}), "k1"),
        description="the master key that wraps new data keys: the first one listed",
    )
    audit_key: Annotated[bytes, NoDecode] = Field(
        default_factory=_generated_audit_key,
        validation_alias="LEDGERLINE_AUDIT_KEY",
        repr=False,
        description="base64url(32 bytes): the HMAC key of the audit log's hash chain; "
        "never rotated, or older entries no longer verify",
    )
    token_issuer: str = Field("ledgerline", description="`iss` of access tokens")
    token_audience: str = Field("ledgerline-api", description="`aud` of access tokens")
    access_token_ttl_s: int = Field(900, description="access token lifetime")
    refresh_token_ttl_s: int = Field(30 * 24 * 3600, description="refresh token lifetime")
    session_ttl_s: int = Field(12 * 3600, description="browser session lifetime")
    secure_cookies: Flag = Field(
        default_factory=_is_production,
        validation_alias="LEDGERLINE_SECURE_COOKIES",
        description="`Secure` flag on cookies (behind TLS)",
    )
    limits: Limits = Field(
        default_factory=Limits,
        description="query limits, each read from its own `LEDGERLINE_MAX_*` variable",
    )
    rate_limit_default: Rate = Field(
        "600/minute",
        validation_alias="LEDGERLINE_RATE_LIMIT",
        description="requests per IP and per principal",
    )
    rate_limit_auth: Rate = Field(
        "10/minute",
        validation_alias="LEDGERLINE_RATE_LIMIT_AUTH",
        description="sign-in and sign-up attempts per IP",
    )
    host: str = Field(
        "127.0.0.1", validation_alias="HOST", description="where `ledgerline serve` listens"
    )
    port: Port = Field(
        8000, validation_alias="PORT", description="where `ledgerline serve` listens"
    )
    smtp_host: str = Field(
        "",
        validation_alias="LEDGERLINE_SMTP_HOST",
        description="SMTP server for account mail (welcome, sign-up notice, invitations), "
        "sent with `aiosmtplib` after the transaction commits",
    )
    """Empty: mails are written to `<data dir>/outbox` instead of sent (core/mail.py)."""
    smtp_port: Port = Field(587, validation_alias="LEDGERLINE_SMTP_PORT", description="SMTP port")
    smtp_tls: Annotated[Literal["starttls", "tls", "off"], BeforeValidator(_lower)] = Field(
        "starttls",
        validation_alias="LEDGERLINE_SMTP_TLS",
        description="`starttls`, `tls` (implicit TLS, usually port 465) or `off` "
        "(local relays and tests only)",
    )
    smtp_username: str = Field(
        "",
        validation_alias="LEDGERLINE_SMTP_USERNAME",
        description="SMTP credentials, when the server asks for them",
    )
    smtp_password: str = Field(
        "",
        validation_alias="LEDGERLINE_SMTP_PASSWORD",
        repr=False,
        description="SMTP credentials, when the server asks for them",
    )
    mail_sender: str = Field(
        "Ledgerline <no-reply@ledgerline.invalid>",
        validation_alias="LEDGERLINE_MAIL_FROM",
        description="sender of account mail",
    )
    app_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias="LEDGERLINE_APP_URL",
        description="where links in mails point: an invitation links to "
        "`<url>/accept-invitation#token=...`, whose page calls `acceptInvitation`",
    )
    purge_interval_s: Annotated[int, Field(ge=0)] = Field(
        default_factory=lambda data: 0 if data["env"] == "test" else 24 * 3600,
        validation_alias="LEDGERLINE_PURGE_INTERVAL_S",
        description="seconds between the server's in-process retention purges (the first "
        "one interval after start); `0` turns them off (`ledgerline retention purge` still "
        "works)",
    )
    retention_journal: Path = Field(
        default_factory=lambda data: data["data_dir"] / "retention-journal.jsonl",
        validation_alias="LEDGERLINE_RETENTION_JOURNAL",
        description="the journal of erasures and purges that `ledgerline retention reapply` "
        "replays after a restore; keep it out of the database's backups",
    )

    export_dir: Path = Field(
        default_factory=lambda data: data["data_dir"] / "exports",
        validation_alias="LEDGERLINE_EXPORT_DIR",
        description="where export packages (a person's ZIP for an access request) are "
        "written until they expire",
    )
    webhook_allow_loopback: Flag = Field(
        False,
        validation_alias="LEDGERLINE_WEBHOOK_ALLOW_LOOPBACK",
        description="deliver webhooks to receivers on 127.0.0.1 (plain http allowed there): "
        "development and tests only, ignored in production",
    )
    webhook_max_attempts: Positive = Field(
        5,
        validation_alias="LEDGERLINE_WEBHOOK_MAX_ATTEMPTS",
        description="attempts per webhook delivery",
    )
    webhook_backoff_ms: Positive = Field(
        1000,
        validation_alias="LEDGERLINE_WEBHOOK_BACKOFF_MS",
        description="first retry delay of a webhook delivery, doubled per attempt, with jitter",
    )
    webhook_disable_after: Positive = Field(
        20,
        validation_alias="LEDGERLINE_WEBHOOK_DISABLE_AFTER",
        description="consecutive failed deliveries after which a webhook subscription is disabled",
    )
    export_retention_days: Positive = Field(
        7,
        validation_alias="LEDGERLINE_EXPORT_RETENTION_DAYS",
        description="days an export package is kept before its file is deleted",
    )
    export_link_ttl_s: Positive = Field(
        3600, description="lifetime of a signed export download link"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments first, then the declared variables; no .env file, no secrets dir.
        return (init_settings, _DeclaredVariables(settings_cls))

    @field_validator("data_dir", "export_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.resolve()

    @field_validator("master_keys", mode="before")
    @classmethod
    def _parse_master_keys(cls, value: object) -> object:
        return _master_keys(value) if isinstance(value, str) else value

    @field_validator("audit_key", mode="before")
    @classmethod
    def _parse_audit_key(cls, value: object) -> object:
        return _decode_key(value) if isinstance(value, str) else value

    @field_validator("app_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_has_its_secrets(self) -> Settings:
        if self.is_production:
            given = {
                "LEDGERLINE_SIGNING_KEY": self.signing_key_pem,
                "LEDGERLINE_MASTER_KEY": self.master_keys,
                "LEDGERLINE_AUDIT_KEY": self.audit_key,
            }
            missing = [name for name in PRODUCTION_SECRETS if not given[name]]
            if missing:
                raise ValueError(
                    "Refusing to start in production without "
                    + ", ".join(missing)
                    + " (see the configuration table in README.md)"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def export_link_key(self) -> bytes:
        """The HMAC key of export download links, derived from the active master key
        (a purpose of its own: a link key never decrypts anything)."""
        from cryptography.hazmat.primitives.hashes import SHA256
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        master = self.master_keys[self.active_master_key_id]
        return HKDF(SHA256(), 32, salt=None, info=b"ledgerline/export-links").derive(master)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


# --- the variables, and start-up ----------------------------------------------------------


def _aliases(fields: Any) -> list[str]:
    names: list[str] = []
    for info in fields:
        alias = info.validation_alias
        if isinstance(alias, str):
            names.append(alias)
        elif isinstance(alias, AliasChoices):
            names.extend(choice for choice in alias.choices if isinstance(choice, str))
    return names


def variables() -> dict[str, tuple[str, ...]]:
    """Every environment variable the model reads, with the attribute path it sets
    (`LEDGERLINE_MAX_DEPTH` -> `("limits", "max_depth")`)."""
    found: dict[str, tuple[str, ...]] = {}
    for name, info in Settings.model_fields.items():
        for variable in _aliases([info]):
            found[variable] = (name,)
    for name, info in LIMIT_FIELDS.items():
        for variable in _aliases([info]):
            found[variable] = ("limits", name)
    return found


def _field(path: tuple[str, ...]) -> FieldInfo | None:
    """The field an error's location points at (by field name or by variable); a location
    inside a field's value (a key of `master_keys`) points at the field."""
    fields: dict[str, FieldInfo] = Settings.model_fields
    info: FieldInfo | None = None
    for part in path:
        by_alias = {alias: name for name, f in fields.items() for alias in _aliases([f])}
        info = fields.get(by_alias.get(part, part))
        if info is None or info.annotation is not Limits:
            break
        fields = LIMIT_FIELDS
    return info


def _explain(error: ValidationError) -> str:
    """One clause per problem, each naming its variable; a secret's value is never shown."""
    clauses: list[str] = []
    for problem in error.errors():
        if problem["type"] == "default_factory_not_called":
            continue  # a consequence of another error (a profile default after a bad ENV)
        message = problem["msg"].removeprefix("Value error, ")
        path = tuple(str(part) for part in problem["loc"])
        if not path:
            clauses.append(message)
            continue
        info = _field(path)
        names = _aliases([info]) if info is not None else []
        # pydantic reports the first of several names (ENV); name the one that was set.
        given = [name for name in names if os.environ.get(name)]
        variable = given[0] if given else (names[0] if names else ".".join(path))
        secret = info is not None and info.repr is False
        shown = "" if secret or "input" not in problem else f", got {problem['input']!r}"
        clauses.append(f"{variable}: {message}{shown}")
    return "; ".join(clauses)


def load_settings() -> Settings:
    """The settings from the environment, or a `ConfigurationError` naming what is wrong."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigurationError(_explain(exc)) from None
    if settings.is_production and os.environ.get("LEDGERLINE_FAST_PASSWORD_HASH") == "1":
        raise ConfigurationError("LEDGERLINE_FAST_PASSWORD_HASH is for tests only")
    return settings
