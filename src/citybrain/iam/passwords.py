"""Password hashing (argon2id) and the two password policy profiles. Pure: no session.

``cn-dengbao`` follows 等保 2.0 (GB/T 22239) practice: at least 8 characters from 3 of the 4
character classes, not the user name, changed every 90 days, not one of the last 5.
``asvs`` follows OWASP ASVS v4 §2.1: at least 12 characters, no composition rules, no periodic
change, refused when the password is on a list of breached passwords.
"""

from __future__ import annotations

import secrets
import string
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Final

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from citybrain.core.config import Environment, PasswordProfile, get_settings

MAX_LENGTH: Final = 128
"""An upper bound so that a megabyte "password" cannot tie up the hasher."""

MESSAGES: Final[Mapping[str, str]] = {
    "too_short": "密码长度不足: 至少 {min_length} 个字符",
    "too_long": "密码过长: 最多 128 个字符",
    "too_few_classes": "密码须包含大写字母、小写字母、数字、特殊字符中的至少三类",
    "contains_username": "密码不得包含用户名 (含倒序)",
    "breached": "该密码出现在已泄露密码清单中, 请换一个",
    "reused": "不得使用最近 {history} 次用过的密码",
}

_MIN_LENGTH = {PasswordProfile.cn_dengbao: 8, PasswordProfile.asvs: 12}

# argon2-cffi's defaults are RFC 9106's second recommended option (argon2id, t=3, m=64 MiB,
# p=4). Under CITYBRAIN_ENVIRONMENT=testing only, the same argon2id runs with t=1 and 1 MiB so
# that hundreds of test logins do not take minutes; the code path is identical and
# verification always reads the parameters stored in each hash.
_TEST_PARAMETERS: Final = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=1,
    memory_cost=1024,
    parallelism=1,
)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    if get_settings().environment is Environment.testing:
        return PasswordHasher.from_parameters(_TEST_PARAMETERS)
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` in PHC string form."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False for a mismatch or an unusable hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so both paths cost the same."""
    return hash_password(secrets.token_urlsafe(16))


UNUSABLE_HASH: Final = "!"
"""The password hash of an account that cannot sign in with a password (OIDC only)."""


def min_length(profile: PasswordProfile) -> int:
    return _MIN_LENGTH[profile]


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digit and other characters ``password`` uses."""
    lower = any(c.islower() for c in password)
    upper = any(c.isupper() for c in password)
    digit = any(c in string.digits for c in password)
    other = any(not (c.islower() or c.isupper() or c in string.digits) for c in password)
    return sum((lower, upper, digit, other))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def contains_username(password: str, username: str) -> bool:
    """Case- and width-insensitive: the password is, or contains, the user name or its reverse.
    Names of one or two characters only count when the password equals them."""
    pw, name = _fold(password), _fold(username).strip()
    if not name:
        return False
    if len(name) < 3:
        return pw in (name, name[::-1])
    return name in pw or name[::-1] in pw


def check_policy(
    profile: PasswordProfile,
    password: str,
    username: str,
    history_hashes: Iterable[str] = (),
    *,
    history: int = 5,
    breached: frozenset[str] | None = None,
) -> list[str]:
    """The policy violations of ``password`` as stable codes (empty when it is acceptable).

    ``history_hashes`` are the newest stored hashes to refuse re-use of (cn-dengbao; the caller
    passes the last ``history`` of them). ``breached`` overrides the breached-password list
    (asvs); by default the built-in list is used.
    """
    violations: list[str] = []
    if len(password) < min_length(profile):
        violations.append("too_short")
    if len(password) > MAX_LENGTH:
        violations.append("too_long")
    if profile is PasswordProfile.cn_dengbao and character_classes(password) < 3:
        violations.append("too_few_classes")
    if contains_username(password, username):
        violations.append("contains_username")
    if profile is PasswordProfile.asvs:
        listed = builtin_breached() if breached is None else breached
        if _fold(password) in listed:
            violations.append("breached")
    if profile is PasswordProfile.cn_dengbao and len(password) <= MAX_LENGTH:
        recent = list(history_hashes)[:history]
        if any(verify_password(h, password) for h in recent):
            violations.append("reused")
    return violations


def describe(
    violations: Iterable[str], *, profile: PasswordProfile, history: int = 5
) -> list[dict[str, str]]:
    """``[{"code", "message"}]`` in Chinese for an error answer."""
    values = {"min_length": str(min_length(profile)), "history": str(history)}
    return [{"code": v, "message": MESSAGES[v].format(**values)} for v in violations]


@lru_cache(maxsize=1)
def builtin_breached() -> frozenset[str]:
    """The shipped list of the most common breached passwords, folded (NFKC + casefold)."""
    text = resources.files("citybrain.iam").joinpath("data/breached_passwords.txt").read_text()
    return _parse_list(text)


@lru_cache(maxsize=4)
def _file_breached(path: Path, mtime_ns: int) -> frozenset[str]:
    return _parse_list(path.read_text("utf-8", errors="replace"))


def breached_list(extra_file: Path | None) -> frozenset[str]:
    """The built-in list plus the optional ``breached_passwords_file`` (re-read when changed)."""
    if extra_file is None:
        return builtin_breached()
    return builtin_breached() | _file_breached(extra_file, extra_file.stat().st_mtime_ns)


def _parse_list(text: str) -> frozenset[str]:
    return frozenset(
        _fold(line.strip()) for line in text.splitlines() if line.strip() and line[0] != "#"
    )


_ALPHABETS = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%+-=@^_~")


def generate_password(length: int = 20) -> str:
    """A random password that satisfies both profiles: every character class, ≥ 12 chars."""
    length = max(length, 16)
    chars = [secrets.choice(alphabet) for alphabet in _ALPHABETS]
    pool = "".join(_ALPHABETS)
    chars += [secrets.choice(pool) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
