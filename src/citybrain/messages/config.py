"""Settings of the message centre (``CITYBRAIN_MESSAGES_*``). Which private networks webhook and
SMTP targets may reach is the platform-wide ``CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS``
(``core/outbound.py``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MessagesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYBRAIN_MESSAGES_", extra="ignore")

    max_recipients: int = Field(
        50_000,
        ge=1,
        description="Most recipients one message may reach (a send beyond is refused).",
    )
    delivery_attempts: int = Field(
        5, ge=1, le=20, description="Attempts of one outbox row (e-mail, webhook) before it fails."
    )
    retry_delay_seconds: float = Field(
        30.0,
        ge=0,
        description="Wait before the first retry; each next retry waits `backoff` times longer.",
    )
    backoff: float = Field(2.0, ge=1.0, description="Back-off factor between retries.")
    sending_stale_minutes: int = Field(
        15,
        ge=1,
        description="An outbox row still `sending` this long after its claim lost its worker; it is"
        " failed (not resent: the message may have left), for an administrator to retry.",
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=120, description="Webhook POST limit.")
    smtp_timeout_seconds: float = Field(20.0, gt=0, le=300, description="SMTP session limit.")
    public_base_url: str = Field(
        "",
        description="Address of the web front end (https://citybrain.example.gov.cn); a message's"
        " in-app link becomes absolute with it in e-mails and group robots. Empty: links left out.",
    )
    stream_poll_seconds: float = Field(
        2.0, gt=0, le=60, description="How often a web process looks for new inbox rows."
    )
    stream_refresh_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the unread counts of the open streams are recounted (reads made in"
        " other processes).",
    )
    stream_recheck_seconds: float = Field(
        60.0,
        gt=0,
        description="How often an open stream's login session is checked again (logout, idle"
        " timeout, disabled account end the stream).",
    )
    stream_max_seconds: float = Field(
        3600.0, gt=0, description="An open stream ends after this long; the browser reconnects."
    )


@lru_cache(maxsize=1)
def get_messages_settings() -> MessagesSettings:
    return MessagesSettings()
