"""Known-answer and property tests of the crypto provider (SM2, SM3, SM4, HMAC-SM3)."""

from __future__ import annotations

import base64
import secrets

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from citybrain.core import crypto
from citybrain.core.crypto import (
    BLOB_VERSION_SM4_GCM,
    CryptoError,
    CryptoProvider,
    FieldCipher,
    check_sm4_available,
    generate_sm2_keypair,
    hmac_sm3,
    hmac_sm3_verify,
    sm2_public_key_from_private,
    sm2_sign,
    sm2_verify,
    sm3_digest,
    sm3_hex,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)

# --- SM3 (GB/T 32905-2016 examples) ----------------------------------------------------------


def test_sm3_standard_example_abc() -> None:
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_standard_example_512_bit_message() -> None:
    assert sm3_hex(b"abcd" * 16) == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_sm3_digest_is_32_bytes() -> None:
    assert len(sm3_digest(b"")) == 32
    assert sm3_digest(b"abc").hex() == sm3_hex(b"abc")


# --- HMAC-SM3 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "message", "expected"),
    [
        # bcgit/bc-java prov/src/test/java/org/bouncycastle/jce/provider/test/HMacTest.java
        # (RFC 2202 test case 1 shape, key 0x0b x 20).
        (
            b"\x0b" * 20,
            b"Hi There",
            "51b00d1fb49832bfb01c3ce27848e59f871d9ba938dc563b338ca964755cce70",
        ),
        # RFC 2202 test case 2 shape, as published in several SM3 test suites (GmSSL-derived).
        (
            b"Jefe",
            b"what do ya want for nothing?",
            "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882",
        ),
    ],
)
def test_hmac_sm3_known_answers(key: bytes, message: bytes, expected: str) -> None:
    assert hmac_sm3(key, message).hex() == expected


@pytest.mark.parametrize("key_length", [1, 16, 32, 64, 65, 200])
def test_hmac_sm3_matches_rfc2104_definition(key_length: int) -> None:
    key = secrets.token_bytes(key_length)
    message = secrets.token_bytes(100)
    block = 64  # SM3 block size in bytes
    padded = (sm3_digest(key) if len(key) > block else key).ljust(block, b"\x00")
    inner = sm3_digest(bytes(b ^ 0x36 for b in padded) + message)
    expected = sm3_digest(bytes(b ^ 0x5C for b in padded) + inner)
    assert hmac_sm3(key, message) == expected


def test_hmac_sm3_rejects_empty_key() -> None:
    with pytest.raises(CryptoError) as info:
        hmac_sm3(b"", b"data")
    assert info.value.code == "empty_key"


def test_hmac_sm3_verify() -> None:
    key = secrets.token_bytes(32)
    tag = hmac_sm3(key, b"data")
    assert hmac_sm3_verify(key, b"data", tag)
    assert not hmac_sm3_verify(key, b"data!", tag)
    assert not hmac_sm3_verify(secrets.token_bytes(32), b"data", tag)


# --- SM4 -------------------------------------------------------------------------------------


def test_backend_has_sm3_and_sm4() -> None:
    check_sm4_available()


def test_sm4_standard_example_one_block() -> None:
    # GB/T 32907-2016 appendix A example 1: key = plaintext.
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - one-block KAT
    ciphertext = encryptor.update(key) + encryptor.finalize()
    assert ciphertext.hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_decrypts_rfc8998_vector() -> None:
    # RFC 8998 appendix A.1, wrapped in our blob layout (version || nonce || ct || tag).
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    ciphertext = bytes.fromhex(
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    tag = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")
    blob = bytes([BLOB_VERSION_SM4_GCM]) + nonce + ciphertext + tag
    assert sm4_gcm_decrypt(key, blob, aad) == plaintext
    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(key, blob)  # the associated data is part of the tag


@pytest.mark.parametrize("plaintext", [b"", b"x", b"620722199001011234", bytes(range(256)) * 9])
def test_sm4_gcm_round_trip(plaintext: bytes) -> None:
    key = secrets.token_bytes(16)
    blob = sm4_gcm_encrypt(key, plaintext, b"person.id_number")
    assert len(blob) == 1 + 12 + len(plaintext) + 16
    assert blob[0] == BLOB_VERSION_SM4_GCM
    assert sm4_gcm_decrypt(key, blob, b"person.id_number") == plaintext


def test_sm4_gcm_nonce_is_fresh_each_time() -> None:
    key = secrets.token_bytes(16)
    blobs = {sm4_gcm_encrypt(key, b"same") for _ in range(50)}
    assert len(blobs) == 50
    assert len({blob[1:13] for blob in blobs}) == 50


def test_sm4_gcm_detects_every_single_bit_flip() -> None:
    key = secrets.token_bytes(16)
    blob = sm4_gcm_encrypt(key, b"13800138000", b"ad")
    for index in range(1, len(blob)):  # byte 0 is the version, checked separately
        for bit in range(8):
            tampered = bytearray(blob)
            tampered[index] ^= 1 << bit
            with pytest.raises(CryptoError) as info:
                sm4_gcm_decrypt(key, bytes(tampered), b"ad")
            assert info.value.code == "authentication_failed"


def test_sm4_gcm_wrong_key_wrong_ad_truncation_and_version() -> None:
    key = secrets.token_bytes(16)
    blob = sm4_gcm_encrypt(key, b"secret", b"column-a")
    with pytest.raises(CryptoError, match="authentication_failed"):
        sm4_gcm_decrypt(secrets.token_bytes(16), blob, b"column-a")
    with pytest.raises(CryptoError, match="authentication_failed"):
        sm4_gcm_decrypt(key, blob, b"column-b")
    with pytest.raises(CryptoError, match="truncated_ciphertext"):
        sm4_gcm_decrypt(key, blob[:28])
    with pytest.raises(CryptoError, match="authentication_failed"):
        sm4_gcm_decrypt(key, blob[:-1], b"column-a")
    with pytest.raises(CryptoError, match="unsupported_version"):
        sm4_gcm_decrypt(key, b"\x02" + blob[1:], b"column-a")


@pytest.mark.parametrize("length", [0, 8, 15, 17, 24, 32])
def test_sm4_rejects_wrong_key_length(length: int) -> None:
    with pytest.raises(CryptoError) as info:
        sm4_gcm_encrypt(bytes(length), b"x")
    assert info.value.code == "bad_key_length"
    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(bytes(length), bytes(40))


# --- SM2 (GB/T 32918.2-2016 appendix A example on the recommended curve) ---------------------

STD_D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
STD_PUBLIC = bytes.fromhex(
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
STD_SIGNATURE = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)


def test_sm2_public_key_derivation_matches_standard() -> None:
    assert sm2_public_key_from_private(STD_D) == STD_PUBLIC


def test_sm2_verifies_standard_signature() -> None:
    # This public key starts with 0x09, the case gmssl's lstrip("04") would corrupt.
    assert sm2_verify(STD_PUBLIC, b"message digest", STD_SIGNATURE)
    assert sm2_verify(b"\x04" + STD_PUBLIC, b"message digest", STD_SIGNATURE)
    assert not sm2_verify(STD_PUBLIC, b"message digesT", STD_SIGNATURE)


def test_sm2_sign_verify_round_trip_and_rejections() -> None:
    pair = generate_sm2_keypair()
    assert len(pair.private_key) == 32
    assert len(pair.public_key) == 64
    assert pair.private_key.hex() not in repr(pair)
    message = "事件 E-2024-0001 已结案".encode()
    signature = sm2_sign(pair.private_key, message)
    assert len(signature) == 64
    assert sm2_verify(pair.public_key, message, signature)
    assert not sm2_verify(pair.public_key, message + b".", signature)
    other = generate_sm2_keypair()
    assert not sm2_verify(other.public_key, message, signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not sm2_verify(pair.public_key, message, flipped)
    assert not sm2_verify(pair.public_key, message, signature[:63])
    assert not sm2_verify(pair.public_key, message, bytes(64))  # r = s = 0 is out of range


def test_sm2_signatures_are_randomised() -> None:
    signatures = {sm2_sign(STD_D, b"m", public_key=STD_PUBLIC) for _ in range(5)}
    assert len(signatures) == 5
    assert all(sm2_verify(STD_PUBLIC, b"m", s) for s in signatures)


def test_sm2_rejects_bad_keys() -> None:
    with pytest.raises(CryptoError, match="bad_key_length"):
        sm2_sign(bytes(31), b"m")
    with pytest.raises(CryptoError, match="bad_sm2_key"):
        sm2_sign(bytes(32), b"m")  # d = 0
    off_curve = STD_PUBLIC[:-1] + bytes([STD_PUBLIC[-1] ^ 1])
    with pytest.raises(CryptoError, match="bad_sm2_key"):
        sm2_verify(off_curve, b"message digest", STD_SIGNATURE)


# --- FieldCipher and the provider --------------------------------------------------------------


def _field_cipher() -> FieldCipher:
    return FieldCipher(encryption_key=secrets.token_bytes(16), index_key=secrets.token_bytes(32))


def test_field_cipher_round_trip_and_token_is_base64() -> None:
    cipher = _field_cipher()
    token = cipher.encrypt("62072219900101123X")
    assert base64.b64decode(token, validate=True)[0] == BLOB_VERSION_SM4_GCM
    assert cipher.decrypt(token) == "62072219900101123X"
    assert cipher.decrypt(cipher.encrypt("张三 甘肃省")) == "张三 甘肃省"
    assert cipher.encrypt("x") != cipher.encrypt("x")


def test_field_cipher_context_binds_the_column() -> None:
    cipher = _field_cipher()
    token = cipher.encrypt("13800138000", context="person.mobile")
    assert cipher.decrypt(token, context="person.mobile") == "13800138000"
    with pytest.raises(CryptoError):
        cipher.decrypt(token, context="person.id_number")


@pytest.mark.parametrize("token", ["not base64!", "", "AAAA", "全角"])
def test_field_cipher_rejects_garbage_tokens(token: str) -> None:
    with pytest.raises(CryptoError):
        _field_cipher().decrypt(token)


def test_field_cipher_rejects_tampered_token() -> None:
    cipher = _field_cipher()
    blob = bytearray(base64.b64decode(cipher.encrypt("62072219900101123X")))
    blob[20] ^= 0x01
    with pytest.raises(CryptoError, match="authentication_failed"):
        cipher.decrypt(base64.b64encode(bytes(blob)).decode())


def test_blind_index_is_deterministic_and_normalised() -> None:
    cipher = _field_cipher()
    index = cipher.blind_index("62072219900101123X")
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert cipher.blind_index("62072219900101123X") == index
    assert cipher.blind_index(" 62072219900101123x ") == index  # default: strip + upper
    assert cipher.blind_index("620722199001011230") != index


def test_blind_index_key_separation() -> None:
    encryption_key = secrets.token_bytes(16)
    a = FieldCipher(encryption_key=encryption_key, index_key=secrets.token_bytes(32))
    b = FieldCipher(encryption_key=encryption_key, index_key=secrets.token_bytes(32))
    assert a.blind_index("13800138000") != b.blind_index("13800138000")
    # The index is not a plain HMAC under the encryption key.
    assert a.blind_index("13800138000") != hmac_sm3(encryption_key, b"13800138000").hex()


def test_blind_index_custom_normalisation() -> None:
    cipher = FieldCipher(
        encryption_key=secrets.token_bytes(16),
        index_key=secrets.token_bytes(32),
        normalise=lambda v: "".join(ch for ch in v if ch.isdigit())[-11:],
    )
    assert cipher.blind_index("+86 138-0013-8000") == cipher.blind_index("13800138000")


def test_field_cipher_key_checks() -> None:
    with pytest.raises(CryptoError, match="bad_key_length"):
        FieldCipher(encryption_key=bytes(15), index_key=secrets.token_bytes(32))
    with pytest.raises(CryptoError, match="bad_key_length"):
        FieldCipher(encryption_key=secrets.token_bytes(16), index_key=bytes(8))
    key = secrets.token_bytes(16)
    with pytest.raises(CryptoError, match="key_reuse"):
        FieldCipher(encryption_key=key, index_key=key)


def test_provider_bundles_all_operations() -> None:
    pair = generate_sm2_keypair()
    provider = CryptoProvider(
        sm4_key=secrets.token_bytes(16),
        mac_key=secrets.token_bytes(32),
        sm2_private_key=pair.private_key,
    )
    assert provider.hash(b"abc") == sm3_digest(b"abc")
    tag = provider.mac(b"record")
    assert provider.verify_mac(b"record", tag)
    assert not provider.verify_mac(b"record2", tag)
    assert provider.decrypt(provider.encrypt(b"p", b"ad"), b"ad") == b"p"
    signature = provider.sign(b"report")
    assert provider.verify(b"report", signature)
    assert sm2_verify(pair.public_key, b"report", signature)
    fields = provider.field_cipher()
    assert fields.decrypt(fields.encrypt("王五")) == "王五"
    assert fields.blind_index("a") != provider.mac(b"A").hex()  # derived, separate key


def test_provider_key_checks() -> None:
    with pytest.raises(CryptoError, match="bad_key_length"):
        CryptoProvider(sm4_key=bytes(32), mac_key=secrets.token_bytes(32))
    with pytest.raises(CryptoError, match="bad_key_length"):
        CryptoProvider(sm4_key=secrets.token_bytes(16), mac_key=bytes(4))
    with pytest.raises(CryptoError, match="sm2_key_mismatch"):
        CryptoProvider(
            sm4_key=secrets.token_bytes(16),
            mac_key=secrets.token_bytes(32),
            sm2_private_key=STD_D,
            sm2_public_key=generate_sm2_keypair().public_key,
        )
    verifier = CryptoProvider(
        sm4_key=secrets.token_bytes(16), mac_key=secrets.token_bytes(32), sm2_public_key=STD_PUBLIC
    )
    assert verifier.verify(b"message digest", STD_SIGNATURE)
    with pytest.raises(CryptoError, match="no_sm2_key"):
        verifier.sign(b"m")


def test_module_holds_no_key_constants() -> None:
    # Keys are arguments only: no module-level bytes constant of key length.
    constants = [v for v in vars(crypto).values() if isinstance(v, bytes)]
    assert all(len(v) not in (16, 32) for v in constants)
