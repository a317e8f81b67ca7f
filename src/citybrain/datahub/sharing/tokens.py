"""Grant tokens: ``cbs_<8 hex prefix>_<secret>``. The prefix finds the grant and is what lists
show; the database keeps HMAC-SM3(session key, label ‖ token), never the token."""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from citybrain.core.config import get_settings
from citybrain.core.crypto import hmac_sm3

TOKEN_KIND: Final = "cbs"  # noqa: S105 - the token type tag, not a secret
_LABEL: Final = b"citybrain/sharing/token/v1:"


def new_token() -> tuple[str, str]:
    """A fresh token and its prefix."""
    prefix = secrets.token_hex(4)
    return f"{TOKEN_KIND}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def digest(token: str) -> str:
    return hmac_sm3(get_settings().key("session_key"), _LABEL + token.encode("utf-8")).hex()


def prefix_of(token: str) -> str | None:
    """The prefix of a well-formed token, else None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_KIND or len(parts[1]) != 8 or len(parts[2]) < 16:
        return None
    return parts[1]


def matches(token: str, stored_hash: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(digest(token.strip()), stored_hash)
