"""Channel secrets at rest: one JSON object (webhook address, signing secret, SMTP password)
encrypted with the platform's SM4 field cipher, bound to the column it lives in."""

from __future__ import annotations

import json

from citybrain.core.config import Settings
from citybrain.core.crypto import CryptoError, FieldCipher
from citybrain.core.errors import InvalidState

CHANNEL_CONTEXT = "messages.channel"
EMAIL_CONTEXT = "messages.email"


def cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(
        encryption_key=settings.key("field_key"), index_key=settings.key("blind_index_key")
    )


def seal(settings: Settings, values: dict[str, str]) -> str:
    kept = {k: v for k, v in values.items() if v}
    if not kept:
        return ""
    return cipher(settings).encrypt(json.dumps(kept, ensure_ascii=False), context=CHANNEL_CONTEXT)


def unseal(settings: Settings, token: str) -> dict[str, str]:
    """The secrets behind ``token`` (empty when none). Raises InvalidState
    ``channel_secret_unreadable`` when the token does not decrypt (another key, tampering)."""
    if not token:
        return {}
    try:
        data = json.loads(cipher(settings).decrypt(token, context=CHANNEL_CONTEXT))
    except (CryptoError, ValueError) as exc:
        raise InvalidState(
            "渠道密钥无法解密 (密钥已更换或数据被篡改), 请重新填写",
            code="channel_secret_unreadable",
        ) from exc
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def seal_email(settings: Settings, email: str) -> str:
    return cipher(settings).encrypt(email, context=EMAIL_CONTEXT)


def unseal_email(settings: Settings, token: str) -> str | None:
    try:
        return cipher(settings).decrypt(token, context=EMAIL_CONTEXT)
    except CryptoError:
        return None
