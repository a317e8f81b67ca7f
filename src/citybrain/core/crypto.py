"""The crypto provider: SM3 hashes, HMAC-SM3, SM4-GCM field encryption and SM2 signatures.

Invariants:
- Keys are always arguments; this module holds no key material of its own.
- SM3, HMAC-SM3 and SM4 come from ``cryptography`` (OpenSSL); SM2 comes from ``gmssl``.
- Every failure (bad key length, tampered or truncated ciphertext, wrong key) raises
  :class:`CryptoError`; a bad *signature* only makes :func:`sm2_verify` return ``False``.
- An SM4-GCM blob is ``version (1 byte) || nonce (12) || ciphertext || tag (16)``; the nonce is
  fresh from the OS CSPRNG for every encryption, never chosen by the caller.
"""

from __future__ import annotations

import base64
import binascii
import hmac as std_hmac
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as gm_sm2  # untyped; gmssl.* is ignore_missing_imports in pyproject

SM3_DIGEST_BYTES: Final = 32
SM4_KEY_BYTES: Final = 16
GCM_NONCE_BYTES: Final = 12
GCM_TAG_BYTES: Final = 16
BLOB_VERSION_SM4_GCM: Final = 0x01
MIN_MAC_KEY_BYTES: Final = 16
SM2_PRIVATE_KEY_BYTES: Final = 32
SM2_PUBLIC_KEY_BYTES: Final = 64  # x || y, uncompressed, without the 0x04 prefix
SM2_SIGNATURE_BYTES: Final = 64  # r || s

_SM2_TABLE: Final[dict[str, str]] = gm_sm2.default_ecc_table
_SM2_N: Final = int(_SM2_TABLE["n"], 16)
_SM2_P: Final = int(_SM2_TABLE["p"], 16)
_SM2_A: Final = int(_SM2_TABLE["a"], 16)
_SM2_B: Final = int(_SM2_TABLE["b"], 16)


class CryptoError(Exception):
    """A cryptographic operation failed; ``code`` is stable English, the message bilingual."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def check_sm4_available() -> None:
    """Raise ``RuntimeError`` unless the OpenSSL behind ``cryptography`` has SM3 and SM4-GCM."""
    backend = default_backend()
    try:
        ok = (
            backend.hash_supported(hashes.SM3())
            and backend.hmac_supported(hashes.SM3())
            and backend.cipher_supported(
                algorithms.SM4(bytes(SM4_KEY_BYTES)), modes.GCM(bytes(GCM_NONCE_BYTES))
            )
        )
    except (UnsupportedAlgorithm, ValueError):
        ok = False
    if not ok:
        raise RuntimeError(
            "当前 OpenSSL 不支持国密算法 SM3/SM4-GCM，请安装带 SM3、SM4 的 OpenSSL 1.1.1+ 构建"
            " (the OpenSSL backend of 'cryptography' lacks SM3 or SM4-GCM; install a build"
            " with SM3 and SM4 enabled)"
        )


# --- SM3 and HMAC-SM3 -------------------------------------------------------------------------


def sm3_digest(data: bytes) -> bytes:
    """The 32-byte SM3 hash (GB/T 32905) of ``data``."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sm3_hex(data: bytes) -> str:
    """Lower-case hex of :func:`sm3_digest`."""
    return sm3_digest(data).hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) over SM3; any non-empty key length is accepted, as HMAC defines."""
    if not key:
        raise CryptoError("empty_key", "HMAC 密钥不能为空 (HMAC key must not be empty)")
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def hmac_sm3_many(key: bytes, messages: Iterable[bytes]) -> list[bytes]:
    """:func:`hmac_sm3` of every message: the key is set up once (its inner and outer pads
    hashed) and the keyed state copied per message, instead of keyed again each time."""
    if not key:
        raise CryptoError("empty_key", "HMAC 密钥不能为空 (HMAC key must not be empty)")
    keyed = crypto_hmac.HMAC(key, hashes.SM3())
    tags = []
    for message in messages:
        mac = keyed.copy()
        mac.update(message)
        tags.append(mac.finalize())
    return tags


def hmac_sm3_verify(key: bytes, data: bytes, tag: bytes) -> bool:
    """Constant-time comparison of ``tag`` with the HMAC-SM3 of ``data``."""
    return std_hmac.compare_digest(hmac_sm3(key, data), tag)


def _require_key_length(key: bytes, *, exact: int | None = None, minimum: int = 1) -> None:
    if exact is not None and len(key) != exact:
        raise CryptoError(
            "bad_key_length",
            f"密钥长度应为 {exact} 字节，实际 {len(key)} 字节"
            f" (key must be {exact} bytes, got {len(key)})",
        )
    if len(key) < minimum:
        raise CryptoError(
            "bad_key_length",
            f"密钥长度至少 {minimum} 字节，实际 {len(key)} 字节"
            f" (key must be at least {minimum} bytes, got {len(key)})",
        )


# --- SM4-GCM ----------------------------------------------------------------------------------


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, associated_data: bytes | None = None) -> bytes:
    """Encrypt under a fresh random nonce; the result is ``version || nonce || ct || tag``."""
    _require_key_length(key, exact=SM4_KEY_BYTES)
    nonce = secrets.token_bytes(GCM_NONCE_BYTES)
    try:
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    except UnsupportedAlgorithm as exc:
        raise CryptoError("sm4_unavailable", "OpenSSL 不支持 SM4-GCM (no SM4-GCM)") from exc
    if associated_data:
        encryptor.authenticate_additional_data(associated_data)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return bytes([BLOB_VERSION_SM4_GCM]) + nonce + ciphertext + encryptor.tag


def sm4_gcm_encrypt_many(
    key: bytes, plaintexts: Sequence[bytes], associated_data: bytes | None = None
) -> list[bytes]:
    """:func:`sm4_gcm_encrypt` of every plaintext (same blob format, same associated data),
    with the nonces of the whole batch drawn from the OS CSPRNG in one call: each is still
    fresh and random, only the system calls are shared."""
    _require_key_length(key, exact=SM4_KEY_BYTES)
    nonces = secrets.token_bytes(GCM_NONCE_BYTES * len(plaintexts))
    algorithm = algorithms.SM4(key)
    version = bytes([BLOB_VERSION_SM4_GCM])
    blobs = []
    try:
        for index, plaintext in enumerate(plaintexts):
            nonce = nonces[index * GCM_NONCE_BYTES : (index + 1) * GCM_NONCE_BYTES]
            encryptor = Cipher(algorithm, modes.GCM(nonce)).encryptor()
            if associated_data:
                encryptor.authenticate_additional_data(associated_data)
            ciphertext = encryptor.update(plaintext) + encryptor.finalize()
            blobs.append(version + nonce + ciphertext + encryptor.tag)
    except UnsupportedAlgorithm as exc:
        raise CryptoError("sm4_unavailable", "OpenSSL 不支持 SM4-GCM (no SM4-GCM)") from exc
    return blobs


def sm4_gcm_decrypt(key: bytes, blob: bytes, associated_data: bytes | None = None) -> bytes:
    """Inverse of :func:`sm4_gcm_encrypt`; any tampering, wrong key or wrong AD raises."""
    _require_key_length(key, exact=SM4_KEY_BYTES)
    if len(blob) < 1 + GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise CryptoError("truncated_ciphertext", "密文长度不足 (ciphertext is too short)")
    if blob[0] != BLOB_VERSION_SM4_GCM:
        raise CryptoError(
            "unsupported_version",
            f"不支持的密文版本 {blob[0]} (unsupported ciphertext version {blob[0]})",
        )
    nonce = blob[1 : 1 + GCM_NONCE_BYTES]
    body, tag = blob[1 + GCM_NONCE_BYTES : -GCM_TAG_BYTES], blob[-GCM_TAG_BYTES:]
    try:
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        if associated_data:
            decryptor.authenticate_additional_data(associated_data)
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag as exc:
        raise CryptoError(
            "authentication_failed",
            "密文校验失败：密钥错误或密文被篡改"
            " (authentication failed: wrong key or tampered ciphertext)",
        ) from exc
    except UnsupportedAlgorithm as exc:
        raise CryptoError("sm4_unavailable", "OpenSSL 不支持 SM4-GCM (no SM4-GCM)") from exc


# --- SM2 (gmssl) ------------------------------------------------------------------------------
# gmssl quirks handled here: CryptSM2.__init__ strips a "04" prefix with str.lstrip("04"), which
# also eats leading '0'/'4' digits of x, so the public key is assigned after construction; its
# default nonce comes from `random.choice` (not a CSPRNG), so we always pass our own from
# `secrets`; it does not range-check r and s nor check that a public key lies on the curve.


@dataclass(frozen=True, slots=True)
class Sm2KeyPair:
    """An SM2 key pair on the recommended curve: 32-byte private d, 64-byte public x||y."""

    private_key: bytes = field(repr=False)
    public_key: bytes


def _sm2(private_hex: str, public_hex: str) -> gm_sm2.CryptSM2:
    engine = gm_sm2.CryptSM2(private_key=private_hex, public_key="")
    engine.public_key = public_hex  # see the lstrip note above
    return engine


def _check_private_key(private_key: bytes) -> int:
    _require_key_length(private_key, exact=SM2_PRIVATE_KEY_BYTES)
    d = int.from_bytes(private_key, "big")
    if not 1 <= d <= _SM2_N - 2:
        raise CryptoError("bad_sm2_key", "SM2 私钥超出 [1, n-2] (SM2 private key out of range)")
    return d


def _check_public_key(public_key: bytes) -> str:
    if len(public_key) == SM2_PUBLIC_KEY_BYTES + 1 and public_key[0] == 0x04:
        public_key = public_key[1:]
    _require_key_length(public_key, exact=SM2_PUBLIC_KEY_BYTES)
    x = int.from_bytes(public_key[:32], "big")
    y = int.from_bytes(public_key[32:], "big")
    if x >= _SM2_P or y >= _SM2_P or (y * y - (x * x * x + _SM2_A * x + _SM2_B)) % _SM2_P != 0:
        raise CryptoError("bad_sm2_key", "SM2 公钥不在曲线上 (SM2 public key is not on the curve)")
    return public_key.hex()


def sm2_public_key_from_private(private_key: bytes) -> bytes:
    """The public key ``[d]G`` as 64 bytes x||y (gmssl's scalar multiplication)."""
    d = _check_private_key(private_key)
    engine = _sm2(private_key.hex(), "")
    point: str = engine._kg(d, _SM2_TABLE["g"])  # gmssl has no public key-derivation helper
    return bytes.fromhex(point)


def generate_sm2_keypair() -> Sm2KeyPair:
    """A fresh key pair: d uniform in [1, n-2] from ``secrets``, public key ``[d]G``."""
    d = secrets.randbelow(_SM2_N - 2) + 1
    private_key = d.to_bytes(SM2_PRIVATE_KEY_BYTES, "big")
    return Sm2KeyPair(private_key, sm2_public_key_from_private(private_key))


def sm2_sign(private_key: bytes, message: bytes, *, public_key: bytes | None = None) -> bytes:
    """SM2 signature (GB/T 32918.2, SM3 with Z over the default ID) as 64 bytes r||s.

    ``public_key`` goes into Z; it is derived from the private key when not given.
    """
    _check_private_key(private_key)
    public_hex = (
        _check_public_key(public_key)
        if public_key is not None
        else sm2_public_key_from_private(private_key).hex()
    )
    engine = _sm2(private_key.hex(), public_hex)
    for _ in range(16):  # a retry is needed with probability ~2^-255
        k = secrets.randbelow(_SM2_N - 1) + 1
        signature: str | None = engine.sign_with_sm3(message, f"{k:064x}")
        if signature is not None:
            return bytes.fromhex(signature)
    raise CryptoError("sign_failed", "SM2 签名失败 (SM2 signing failed)")


def sm2_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` (64 bytes r||s) is a valid SM2-with-SM3 signature of ``message``.

    A malformed signature gives ``False``; a malformed public key raises :class:`CryptoError`.
    """
    public_hex = _check_public_key(public_key)
    if len(signature) != SM2_SIGNATURE_BYTES:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (1 <= r < _SM2_N and 1 <= s < _SM2_N):
        return False
    engine = _sm2("", public_hex)
    try:
        return bool(engine.verify_with_sm3(signature.hex(), message))
    except (ValueError, TypeError, ZeroDivisionError, IndexError):
        return False


# --- field encryption with blind indexes --------------------------------------------------------


def default_normalise(value: str) -> str:
    """Blind-index normalisation: surrounding blanks removed, letters upper-cased (x → X)."""
    return value.strip().upper()


class FieldCipher:
    """Encrypts one kind of sensitive text field and computes its blind index.

    ``encrypt`` is randomised (same value → different tokens); ``blind_index`` is deterministic
    (equal normalised values → equal indexes) and keyed separately, so the index key cannot
    decrypt and the encryption key cannot be used to guess indexes. ``context`` (e.g. the
    column name) is bound as associated data: a token moved to another column fails to decrypt.
    """

    __slots__ = ("_encryption_key", "_index_key", "_normalise")

    def __init__(
        self,
        *,
        encryption_key: bytes,
        index_key: bytes,
        normalise: Callable[[str], str] = default_normalise,
    ) -> None:
        _require_key_length(encryption_key, exact=SM4_KEY_BYTES)
        _require_key_length(index_key, minimum=MIN_MAC_KEY_BYTES)
        if std_hmac.compare_digest(encryption_key, index_key[: len(encryption_key)]):
            raise CryptoError(
                "key_reuse", "加密密钥与盲索引密钥不得相同 (encryption and index keys must differ)"
            )
        self._encryption_key = encryption_key
        self._index_key = index_key
        self._normalise = normalise

    def encrypt(self, value: str, *, context: str | None = None) -> str:
        """Base64 text of the SM4-GCM blob of the UTF-8 ``value``."""
        blob = sm4_gcm_encrypt(self._encryption_key, value.encode("utf-8"), _ad(context))
        return base64.b64encode(blob).decode("ascii")

    def decrypt(self, token: str, *, context: str | None = None) -> str:
        """The value behind ``token``; raises :class:`CryptoError` on any corruption."""
        try:
            blob = base64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise CryptoError("bad_token", "密文不是合法的 Base64 (token is not base64)") from exc
        plaintext = sm4_gcm_decrypt(self._encryption_key, blob, _ad(context))
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError as exc:  # only reachable with a forged-but-authentic blob
            raise CryptoError("bad_plaintext", "明文不是 UTF-8 (plaintext is not UTF-8)") from exc

    def blind_index(self, value: str) -> str:
        """Hex HMAC-SM3 of the normalised value under the index key (64 hex characters)."""
        return hmac_sm3(self._index_key, self._normalise(value).encode("utf-8")).hex()

    # Batches: the same tokens and indexes as the one-value methods, for a column at a time
    # (bulk ingest). None stays None.

    def encrypt_many(
        self, values: Sequence[str | None], *, context: str | None = None
    ) -> list[str | None]:
        """:meth:`encrypt` of every value (one CSPRNG call for all nonces)."""
        present = [v.encode("utf-8") for v in values if v is not None]
        blobs = iter(sm4_gcm_encrypt_many(self._encryption_key, present, _ad(context)))
        encode = base64.b64encode
        return [None if v is None else encode(next(blobs)).decode("ascii") for v in values]

    def blind_index_many(self, values: Sequence[str | None]) -> list[str | None]:
        """:meth:`blind_index` of every value (the index key set up once)."""
        normalise = self._normalise
        present = [normalise(v).encode("utf-8") for v in values if v is not None]
        tags = iter(hmac_sm3_many(self._index_key, present))
        return [None if v is None else next(tags).hex() for v in values]

    def keyed_hash_many(self, texts: Sequence[str]) -> list[str]:
        """Hex HMAC-SM3 of every text as it is (not normalised) under the index key: the key
        of a row of a resource without a key item, computed from its canonical values."""
        return [tag.hex() for tag in hmac_sm3_many(self._index_key, (t.encode() for t in texts))]


def _ad(context: str | None) -> bytes | None:
    return context.encode("utf-8") if context else None


# --- the provider -----------------------------------------------------------------------------

_BLIND_INDEX_LABEL: Final = b"citybrain/blind-index/v1"


class CryptoProvider:
    """All platform crypto behind one object built from keys given as bytes.

    ``mac_key`` (>= 16 bytes) keys HMAC-SM3; ``sm4_key`` (16 bytes) keys SM4-GCM. The SM2 keys
    are optional: signing needs the private key, verifying the public key (derived when only
    the private key is given; checked to match when both are). The blind-index key of
    :meth:`field_cipher` is derived from ``mac_key`` with a fixed label, so MACs and blind
    indexes never share a key.
    """

    __slots__ = ("_mac_key", "_sm2_private", "_sm2_public", "_sm4_key")

    def __init__(
        self,
        *,
        sm4_key: bytes,
        mac_key: bytes,
        sm2_private_key: bytes | None = None,
        sm2_public_key: bytes | None = None,
    ) -> None:
        _require_key_length(sm4_key, exact=SM4_KEY_BYTES)
        _require_key_length(mac_key, minimum=MIN_MAC_KEY_BYTES)
        self._sm4_key = sm4_key
        self._mac_key = mac_key
        self._sm2_private = sm2_private_key
        if sm2_private_key is not None:
            derived = sm2_public_key_from_private(sm2_private_key)
            if (
                sm2_public_key is not None
                and bytes.fromhex(_check_public_key(sm2_public_key)) != derived
            ):
                raise CryptoError(
                    "sm2_key_mismatch", "SM2 公私钥不匹配 (SM2 public key does not match)"
                )
            sm2_public_key = derived
        elif sm2_public_key is not None:
            sm2_public_key = bytes.fromhex(_check_public_key(sm2_public_key))
        self._sm2_public = sm2_public_key

    @staticmethod
    def hash(data: bytes) -> bytes:
        return sm3_digest(data)

    def mac(self, data: bytes) -> bytes:
        return hmac_sm3(self._mac_key, data)

    def verify_mac(self, data: bytes, tag: bytes) -> bool:
        return hmac_sm3_verify(self._mac_key, data, tag)

    def encrypt(self, plaintext: bytes, associated_data: bytes | None = None) -> bytes:
        return sm4_gcm_encrypt(self._sm4_key, plaintext, associated_data)

    def decrypt(self, blob: bytes, associated_data: bytes | None = None) -> bytes:
        return sm4_gcm_decrypt(self._sm4_key, blob, associated_data)

    def sign(self, message: bytes) -> bytes:
        if self._sm2_private is None:
            raise CryptoError("no_sm2_key", "未配置 SM2 私钥 (no SM2 private key configured)")
        return sm2_sign(self._sm2_private, message, public_key=self._sm2_public)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if self._sm2_public is None:
            raise CryptoError("no_sm2_key", "未配置 SM2 公钥 (no SM2 public key configured)")
        return sm2_verify(self._sm2_public, message, signature)

    def field_cipher(self, normalise: Callable[[str], str] = default_normalise) -> FieldCipher:
        index_key = hmac_sm3(self._mac_key, _BLIND_INDEX_LABEL)
        return FieldCipher(encryption_key=self._sm4_key, index_key=index_key, normalise=normalise)
