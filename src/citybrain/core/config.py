"""Typed settings for the whole platform, read from ``CITYBRAIN_*`` environment variables.

Secrets are never constants in code. Outside development they must be given explicitly (or in the
key file that ``citybrain init`` writes under ``CITYBRAIN_HOME``), and placeholder values such as
``changeme`` are refused at start-up.
"""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "please-change", "test"})
KEY_FILE_NAME = "keys.json"
KEY_NAMES = ("session_key", "audit_key", "field_key", "blind_index_key", "pseudonym_key")


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
    home: Path = Field(Path("var"), description="Folder for the embedded database, keys, files.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means the SQLite file citybrain.db under home."
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
        return f"sqlite:///{(self.home / 'citybrain.db').resolve()}"

    @property
    def key_file(self) -> Path:
        return self.home / KEY_FILE_NAME

    def key(self, name: str) -> bytes:
        """The named key: from the setting, else from the key file under home."""
        value: str = getattr(self, name)
        if not value:
            stored = load_key_file(self.key_file)
            value = stored.get(name, "")
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


def ensure_key_file(path: Path) -> bool:
    """Create the key file with fresh random keys; return True when it was created."""
    existing = load_key_file(path)
    missing = [name for name in KEY_NAMES if name not in existing]
    if not missing:
        return False
    sizes = {"field_key": 16}
    for name in missing:
        existing[name] = secrets.token_hex(sizes.get(name, 32))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(existing, indent=2), "utf-8")
    path.chmod(0o600)
    return True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
