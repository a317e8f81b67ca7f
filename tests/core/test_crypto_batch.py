"""The batch methods of the crypto provider give the one-value methods' answers."""

from __future__ import annotations

import base64
import secrets

import pytest

from citybrain.core import crypto
from citybrain.core.crypto import (
    CryptoError,
    FieldCipher,
    hmac_sm3,
    hmac_sm3_many,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt_many,
)


def _cipher() -> FieldCipher:
    return FieldCipher(encryption_key=secrets.token_bytes(16), index_key=secrets.token_bytes(32))


def test_hmac_many_equals_hmac_one_by_one() -> None:
    key = secrets.token_bytes(32)
    messages = [b"", b"13800138000", "张三".encode(), b"x" * 1000]
    assert hmac_sm3_many(key, messages) == [hmac_sm3(key, m) for m in messages]
    assert hmac_sm3_many(key, []) == []
    with pytest.raises(CryptoError):
        hmac_sm3_many(b"", [b"x"])


def test_sm4_many_decrypts_with_the_one_value_decryption_and_fresh_nonces() -> None:
    key = secrets.token_bytes(16)
    plaintexts = [b"62072219900101123X"] * 50 + [b"", "甘肃省".encode()]
    blobs = sm4_gcm_encrypt_many(key, plaintexts, b"r/id_number")
    assert [sm4_gcm_decrypt(key, b, b"r/id_number") for b in blobs] == plaintexts
    assert len({b[1:13] for b in blobs}) == len(blobs)  # every nonce its own
    assert len(set(blobs[:50])) == 50  # equal plaintexts, different blobs
    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(key, blobs[0], b"r/phone")  # the associated data is bound


def test_sm4_many_draws_all_nonces_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    key = secrets.token_bytes(16)
    calls: list[int] = []
    real = secrets.token_bytes

    def counting(size: int) -> bytes:
        calls.append(size)
        return real(size)

    monkeypatch.setattr(crypto.secrets, "token_bytes", counting)
    sm4_gcm_encrypt_many(key, [b"a", b"b", b"c"])
    assert calls == [36]


def test_field_cipher_batches_equal_its_one_value_methods() -> None:
    cipher = _cipher()
    values = ["62072219900101123X", None, " 62072219900101123x ", "13800138000", ""]
    tokens = cipher.encrypt_many(values, context="r/id")
    assert tokens[1] is None
    for value, token in zip(values, tokens, strict=True):
        if value is not None:
            assert token is not None
            assert cipher.decrypt(token, context="r/id") == value
            base64.b64decode(token, validate=True)
    indexes = cipher.blind_index_many(values)
    assert indexes == [None if v is None else cipher.blind_index(v) for v in values]
    assert indexes[0] == indexes[2]  # normalised alike


def test_keyed_hash_many_is_the_plain_hmac_under_the_index_key() -> None:
    index_key = secrets.token_bytes(32)
    cipher = FieldCipher(encryption_key=secrets.token_bytes(16), index_key=index_key)
    texts = ["a\x1fb", "\x00", " x "]
    assert cipher.keyed_hash_many(texts) == [hmac_sm3(index_key, t.encode()).hex() for t in texts]
    assert cipher.keyed_hash_many([" x "]) != cipher.blind_index_many([" x "])  # not normalised
