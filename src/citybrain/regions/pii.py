"""Grid members' phone numbers, stored like every other phone number in citybrain: the SM4-GCM
token (``phone_enc``, bound to its column) and a blind index (``phone_bidx``, HMAC-SM3 of the
digits) for look-ups, never the number in clear. Shown masked (``138****0000``) unless the
caller holds ``pii:unmask``, by the one mobile rule of ``core.masking`` (first 3 and last 4
digits kept).
"""

from __future__ import annotations

import re
from typing import Final

from citybrain.core.config import Settings, get_settings
from citybrain.core.crypto import FieldCipher
from citybrain.core.masking import mask_mobile

PHONE_CONTEXT: Final = "grid_member.phone"
_PREFIX = re.compile(r"^(?:\+86|0086)[\s\-]*")


def normalise_phone(value: str) -> str:
    """Digits only, without a +86/0086 prefix: the form the blind index is taken of."""
    return re.sub(r"[\s\-]", "", _PREFIX.sub("", value.strip()))


def cipher(settings: Settings | None = None) -> FieldCipher:
    settings = settings or get_settings()
    return FieldCipher(
        encryption_key=settings.key("field_key"),
        index_key=settings.key("blind_index_key"),
        normalise=normalise_phone,
    )


def seal_phone(phone: str, settings: Settings | None = None) -> tuple[str, str]:
    """``(token, blind index)`` of a phone number as typed (trimmed)."""
    field = cipher(settings)
    return field.encrypt(phone.strip(), context=PHONE_CONTEXT), field.blind_index(phone)


def open_phone(token: str, settings: Settings | None = None) -> str:
    return cipher(settings).decrypt(token, context=PHONE_CONTEXT)


def phone_index(phone: str, settings: Settings | None = None) -> str:
    """The blind index to look a member up by phone (any spelling of the same number)."""
    return cipher(settings).blind_index(phone)


def mask_phone(value: str) -> str:
    """First 3 and last 4 digits kept: ``138****0000``; all masked when shorter than 8."""
    return mask_mobile(value)
