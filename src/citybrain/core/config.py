"""Typed settings for the whole platform, read from ``CITYBRAIN_*`` environment variables.

Secrets are never constants in code. Outside development they must be given explicitly (or in the
key file that ``citybrain init`` writes under ``CITYBRAIN_HOME``), and placeholder values such as
``changeme`` are refused at start-up.

Where the installation lives (its *home*) is found the same way from any directory, so a command
run elsewhere never starts a second, empty installation: ``CITYBRAIN_HOME`` if set; else the
home recorded by ``citybrain init``/``demo`` in ``$XDG_CONFIG_HOME/citybrain/home`` (default
``~/.config/citybrain/home``); else ``./var`` only if that folder exists.
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "please-change", "test"})
KEY_FILE_NAME = "keys.json"
DATABASE_FILE_NAME = "citybrain.db"
HOME_ENV = "CITYBRAIN_HOME"
LOCAL_HOME = Path("var")
KEY_NAMES = (
    "session_key", "audit_key", "field_key", "blind_index_key", "pseudonym_key", "audit_sign_key",
)  # fmt: skip


class HomeSource(StrEnum):
    env = "env"  # CITYBRAIN_HOME
    recorded = "recorded"  # written by citybrain init/demo in the user's config folder
    local = "local"  # ./var, which exists


@dataclass(frozen=True, slots=True)
class FoundHome:
    path: Path
    source: HomeSource


def user_config_dir() -> Path:
    """The user's citybrain config folder (XDG base directories)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "citybrain"


def recorded_home_file() -> Path:
    return user_config_dir() / "home"


def recorded_home() -> Path | None:
    path = recorded_home_file()
    try:
        text = path.read_text("utf-8").strip()
    except OSError:
        return None
    return Path(text) if text else None


def record_home(home: Path) -> Path:
    """Remember ``home`` (absolute) for commands run from other directories; returns the file."""
    path = recorded_home_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(home.resolve()) + "\n", "utf-8")
    return path


def find_home(cwd: Path | None = None) -> FoundHome | None:
    """The installation's home by the rule in the module doc, or None when there is none.
    Reads only; never creates anything."""
    env = os.environ.get(HOME_ENV, "").strip()
    if env:
        return FoundHome(Path(env), HomeSource.env)
    recorded = recorded_home()
    if recorded is not None:
        return FoundHome(recorded, HomeSource.recorded)
    local = (cwd or Path.cwd()) / LOCAL_HOME
    if local.is_dir():
        return FoundHome(local.resolve(), HomeSource.local)
    return None


def _default_home() -> Path:
    found = find_home()
    return found.path if found is not None else LOCAL_HOME


class Environment(StrEnum):
    development = "development"
    testing = "testing"
    production = "production"


class PasswordProfile(StrEnum):
    cn_dengbao = "cn-dengbao"
    asvs = "asvs"


class Settings(BaseSettings):
    """Every setting of citybrain; each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_", extra="ignore")

    environment: Environment = Field(
        Environment.development, description="development, testing or production."
    )
    home: Path = Field(
        default_factory=_default_home,
        description="Folder for the embedded database, keys, files; default: the home recorded "
        "by citybrain init (~/.config/citybrain/home), else ./var.",
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means the SQLite file citybrain.db under home."
    )
    hub_url: str = Field(
        "",
        description="Where the hub store lives: empty means the DuckDB file hub.duckdb under "
        "home; a postgresql+psycopg:// URL (the operational database's or another) puts it in "
        "the schema hub_schema of that database.",
    )
    hub_schema: str = Field(
        "hub",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL schema of the hub when hub_url names a PostgreSQL database.",
    )
    db_slots: int = Field(
        16,
        ge=1,
        le=256,
        description="Requests per process that may use the database at once (and the size of "
        "its connection pool); the rest queue without holding a thread or a connection.",
    )
    db_wait_seconds: float = Field(
        10.0, gt=0, description="How long a queued request waits for its turn before a 503."
    )
    data_dir: Path = Field(
        Path("../shared/data"), description="Folder of the public reference data (read in place)."
    )
    demo_region: str = Field("620722", description="Region code of the demo county (民乐县).")
    session_key: str = Field("", description="Hex key (32 bytes) for session token MACs.")
    audit_key: str = Field("", description="Hex key (32 bytes) for the HMAC-SM3 audit chain.")
    field_key: str = Field("", description="Hex SM4 key (16 bytes) for field encryption.")
    blind_index_key: str = Field("", description="Hex key (32 bytes) for blind indexes.")
    pseudonym_key: str = Field("", description="Hex master key for per-consumer pseudonyms.")
    audit_sign_key: str = Field(
        "",
        description="Hex SM2 private key (32 bytes) signing audit checkpoints; generated into "
        "the key file when missing.",
    )
    password_profile: PasswordProfile = Field(
        PasswordProfile.cn_dengbao, description="cn-dengbao (等保 2.0) or asvs (OWASP ASVS)."
    )
    password_max_age_days: int = Field(90, ge=1, description="cn-dengbao: forced change after.")
    password_history: int = Field(5, ge=0, description="cn-dengbao: last N passwords refused.")
    breached_passwords_file: Path | None = Field(
        None, description="asvs: a file of breached passwords (one a line) added to the built-in."
    )
    lockout_threshold: int = Field(5, ge=1, description="Failed logins before the lock.")
    lockout_minutes: int = Field(15, ge=1, description="How long an account stays locked.")
    login_throttle_window_minutes: int = Field(
        15, ge=1, description="Window in which failed logins per address and per name count."
    )
    login_ip_max_failures: int = Field(
        30,
        ge=1,
        description="Failed logins from one address in a window before it gets 429"
        " (behind a proxy, run uvicorn with --forwarded-allow-ips so the address is the"
        " client's).",
    )
    login_account_max_failures: int = Field(
        10,
        ge=1,
        description="Failed logins for one user name (existing or not) in a window before"
        " it gets 429; the account lock (lockout_threshold) usually comes first.",
    )
    session_idle_minutes: int = Field(30, ge=1, description="Idle timeout of a session.")
    session_max_hours: int = Field(12, ge=1, description="Absolute lifetime of a session.")
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="How long a web process remembers who a session token or API key belongs"
        " to (0: not at all). A logout, revocation, disabled account or role change made in"
        " the same process holds at once; one made in another process (a second worker, the"
        " CLI) within this many seconds.",
    )
    audit_retention_days: Annotated[int, Field(ge=180)] = Field(
        180, description="Audit records are kept at least this long (等保: ≥ 180 days)."
    )
    oidc_issuer: str = Field("", description="OIDC issuer URL; empty disables OIDC login.")
    oidc_client_id: str = Field("", description="OIDC client id.")
    oidc_client_secret: str = Field("", description="OIDC client secret.")
    oidc_username_claim: str = Field("preferred_username", description="Claim naming the user.")
    oidc_region_claim: str = Field("region_code", description="Claim carrying the region code.")
    oidc_roles_claim: str = Field("roles", description="Claim carrying role names.")
    web_dist: Path | None = Field(None, description="Built front end; default web/dist.")
    outbound_allowed_networks: str = Field(
        "",
        description="Comma-separated CIDRs of private networks that database and HTTP sources"
        " may reach (e.g. 10.8.0.0/16 of the 政务外网); everything non-public is refused otherwise."
        " Cloud metadata addresses stay refused.",
    )

    @field_validator("outbound_allowed_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS 中的网段无效: {item}"
                ) from exc
        return value

    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="Origins allowed to show our pages in a frame (big-screen boards on a"
        ' wall controller), as a JSON list: ["https://wall.example.gov.cn"]; empty: none'
        " (X-Frame-Options DENY).",
    )

    @field_validator("audit_retention_days")
    @classmethod
    def _retention_floor(cls, value: int) -> int:
        if value < 180:
            raise ValueError("审计日志保存期限不得少于 180 天 (audit retention below 180 days)")
        return value

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment is Environment.production:
            for name in KEY_NAMES:
                value = getattr(self, name)
                if value and value.lower() in PLACEHOLDER_SECRETS:
                    raise ValueError(f"生产环境不得使用占位密钥: CITYBRAIN_{name.upper()}")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.database_file.resolve()}"

    @property
    def database_file(self) -> Path:
        """The embedded SQLite file (used when ``database_url`` is empty)."""
        return self.home / DATABASE_FILE_NAME

    @property
    def key_file(self) -> Path:
        return self.home / KEY_FILE_NAME

    def key(self, name: str) -> bytes:
        """The named key: from the setting, else from the key file under home."""
        value: str = getattr(self, name)
        if not value:
            value = _stored_keys(self.key_file).get(name, "")
        if not value or value.lower() in PLACEHOLDER_SECRETS:
            raise RuntimeError(
                f"缺少密钥 {name}: 请设置 CITYBRAIN_{name.upper()} 或运行 citybrain init"
            )
        return bytes.fromhex(value)


def load_key_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return {str(k): str(v) for k, v in data.items()}


_key_files: dict[str, tuple[float, tuple[int, int, int], dict[str, str]]] = {}
_KEY_FILE_RECHECK_SECONDS = 1.0


def _stored_keys(path: Path) -> dict[str, str]:
    """The key file's contents, read again only when the file changed (its inode, size or
    modification time, looked at no more than once a second): every request needs a key (the
    session MAC, the audit chain), and reading and parsing the file each time was a tenth of
    a simple request's cost. Keys are never rotated in place (see :func:`ensure_key_file`)."""
    now = time.monotonic()
    cached = _key_files.get(str(path))
    if cached is not None and now - cached[0] < _KEY_FILE_RECHECK_SECONDS:
        return cached[2]
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return {}
    signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    data = cached[2] if cached is not None and cached[1] == signature else load_key_file(path)
    _key_files[str(path)] = (now, signature, data)
    return data


def _fresh_key(name: str) -> str:
    if name == "audit_sign_key":  # an SM2 private key must lie in [1, n-2], not any 32 bytes
        from citybrain.core.crypto import generate_sm2_keypair

        return generate_sm2_keypair().private_key.hex()
    return secrets.token_hex(16 if name == "field_key" else 32)


def ensure_key_file(path: Path, names: Iterable[str] = KEY_NAMES) -> bool:
    """Add fresh random keys for the missing ``names`` to the key file (created 0600 when
    absent); return True when something was added. Existing keys are never rotated. An
    exclusive lock makes concurrent first starts agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = load_key_file(path)
        missing = [name for name in names if name not in existing]
        if not missing:
            return False
        for name in missing:
            existing[name] = _fresh_key(name)
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(existing, indent=2))
        temporary.replace(path)
        path.chmod(0o600)
        return True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
