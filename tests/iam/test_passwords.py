"""The two password profiles and the argon2id hasher (pure, no database)."""

from __future__ import annotations

import pytest

from citybrain.core.config import PasswordProfile
from citybrain.iam import passwords
from citybrain.iam.passwords import check_policy, contains_username

DENGBAO = PasswordProfile.cn_dengbao
ASVS = PasswordProfile.asvs


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Abcdef1!", []),  # 8 characters, four classes
        ("abcdef12", ["too_few_classes"]),  # two classes
        ("abcdEF12", []),  # three classes suffice
        ("abcdef1!", []),  # lower, digit, symbol
        ("ABCDEF1!", []),  # upper, digit, symbol
        ("Abcde1!", ["too_short"]),  # 7 characters
        ("Ab1!", ["too_short"]),
        ("", ["too_short", "too_few_classes"]),
        ("aaaaaaaaaaaa", ["too_few_classes"]),
        ("密码Abcdef12", []),  # Chinese characters count as "other"
        ("ａｂｃｄｅｆ12", ["too_few_classes"]),  # full-width letters are still lower case
        ("A" * 100 + "a1!", []),
        ("Aa1!" * 33, ["too_long"]),  # 132 characters
    ],
)
def test_dengbao_length_and_composition(password, expected):
    assert check_policy(DENGBAO, password, "zhangsan") == expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("correct horse battery staple", []),  # no composition rules, spaces allowed
        ("aaaaaaaaaaaa", []),  # 12 characters of one class is fine under ASVS
        ("Abcdefg1!23", ["too_short"]),  # 11
        ("一二三四五六七八九十百千", []),  # 12 Chinese characters
        ("password1234", ["breached"]),
        ("PASSWORD1234", ["breached"]),  # compared case-insensitively
        ("1q2w3e4r5t6y", ["breached"]),
        ("Password@123", ["breached"]),
        ("qwerty", ["too_short", "breached"]),
    ],
)
def test_asvs_length_and_breached_list(password, expected):
    assert check_policy(ASVS, password, "zhangsan") == expected


def test_asvs_extra_breached_list_replaces_the_default():
    extra = frozenset({"tiananmen-square-1989"})
    assert check_policy(ASVS, "tiananmen-square-1989", "u1", breached=extra) == ["breached"]


def test_breached_file_is_added_to_the_builtin_list(tmp_path):
    path = tmp_path / "breached.txt"
    path.write_text("# comment\nMy-Very-Own-Leaked-1\n\n", "utf-8")
    listed = passwords.breached_list(path)
    assert "my-very-own-leaked-1" in listed
    assert "123456" in listed
    assert passwords.breached_list(None) == passwords.builtin_breached()


def test_builtin_breached_list_has_a_few_hundred_entries():
    listed = passwords.builtin_breached()
    assert len(listed) >= 200
    assert {"123456", "password", "qwerty", "admin123", "aa123456", "1q2w3e4r"} <= listed
    assert all(not entry.startswith("#") for entry in listed)


@pytest.mark.parametrize("profile", [DENGBAO, ASVS])
@pytest.mark.parametrize(
    "password",
    [
        "Zhangsan2024!",
        "zhangsan-rocks-hard",
        "ZHANGSAN#1234x",
        "nasgnahz-2024!X",
        "ｚｈａｎｇｓａｎ!A1xxxx",
    ],
)
def test_the_user_name_is_refused_in_any_case_width_or_reversed(profile, password):
    assert "contains_username" in check_policy(profile, password, "ZhangSan")


def test_short_user_names_only_count_when_they_are_the_whole_password():
    assert contains_username("li", "li")
    assert contains_username("il", "li")
    assert not contains_username("Climbing-2024!", "li")
    assert not contains_username("anything", "")


def test_history_refuses_recent_passwords_under_dengbao_only():
    hashes = [passwords.hash_password(p) for p in ("Old-pass-1", "Old-pass-2")]
    assert check_policy(DENGBAO, "Old-pass-2", "u1", hashes) == ["reused"]
    assert check_policy(DENGBAO, "New-pass-3", "u1", hashes) == []
    # only the newest ``history`` entries count
    assert check_policy(DENGBAO, "Old-pass-2", "u1", hashes, history=1) == []
    assert check_policy(ASVS, "Old-pass-2-long-enough", "u1", hashes) == []


def test_messages_are_chinese_with_the_limits_filled_in():
    items = passwords.describe(["too_short", "reused"], profile=ASVS, history=5)
    assert items[0] == {"code": "too_short", "message": "密码长度不足: 至少 12 个字符"}
    assert "5" in items[1]["message"]


def test_argon2id_hash_and_verify():
    hashed = passwords.hash_password("Correct-horse-1")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "Correct-horse-1")
    assert not passwords.verify_password(hashed, "correct-horse-1")
    assert not passwords.verify_password(passwords.UNUSABLE_HASH, "anything")
    assert not passwords.needs_rehash(hashed)


def test_generated_passwords_satisfy_both_profiles():
    for _ in range(50):
        password = passwords.generate_password()
        assert len(password) == 20
        assert check_policy(DENGBAO, password, "sysadmin") == []
        assert check_policy(ASVS, password, "sysadmin") == []
    assert len({passwords.generate_password() for _ in range(20)}) == 20
