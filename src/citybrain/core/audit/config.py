"""Settings of the audit ledger's outside anchor (``CITYBRAIN_AUDIT_*``).

The chain's head is authenticated with the audit key, which proves the head was written by
citybrain but not that it is the *newest* head: someone with database rights can delete the
last records and put back an older, genuine head. Checkpoints, signed with SM2 and written
outside the database, close that gap. See ``docs/audit.md``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuditSettings(BaseSettings):
    """Each field's description is its documentation (``citybrain config`` lists them)."""

    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_AUDIT_", extra="ignore")

    checkpoint_every: int = Field(
        100, ge=1, description="A signed checkpoint after every this many audit records."
    )
    checkpoint_minutes: float = Field(
        5, gt=0, description="Also one at the first commit this many minutes after the last one."
    )
    checkpoint_file: Path | None = Field(
        None,
        description="Append-only JSON-lines file of checkpoints; empty means "
        "CITYBRAIN_HOME/audit/checkpoints.jsonl (kept with the backups of that folder).",
    )
    checkpoint_syslog: str = Field(
        "", description="host:port of a syslog receiver (UDP) that also gets every checkpoint."
    )
    checkpoint_url: str = Field(
        "", description="http(s) URL that also gets every checkpoint as a JSON POST."
    )
    checkpoint_timeout_seconds: float = Field(
        3.0, gt=0, description="Time limit for the syslog/HTTP receivers."
    )


@lru_cache(maxsize=1)
def get_audit_settings() -> AuditSettings:
    return AuditSettings()
