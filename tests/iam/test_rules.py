"""Pure account rules: user names, lockout arithmetic, expiry, session limits, TOTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from citybrain.core.config import PasswordProfile
from citybrain.core.errors import BadInput
from citybrain.iam import rules
from citybrain.iam.rules import Limit, SessionState

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        ("admin", "admin", "admin"),
        ("ＡＤＭＩＮ", "ADMIN", "admin"),
        ("  Wang.Fang ", "Wang.Fang", "wang.fang"),
        ("张三", "张三", "张三"),
        ("li_si-01@mlx", "li_si-01@mlx", "li_si-01@mlx"),
        ("Straße", "Straße", "strasse"),
    ],
)
def test_user_names_normalise(raw, display, key):
    assert rules.normalise_username(raw) == (display, key)
    assert rules.username_key(raw) == key


@pytest.mark.parametrize("raw", ["a", "", "   ", "has space", "semi;colon", "x" * 65, "tab\tname"])
def test_bad_user_names_are_refused(raw):
    with pytest.raises(BadInput) as caught:
        rules.normalise_username(raw)
    assert caught.value.code == "bad_username"


def test_lockout_arithmetic():
    count, until = 0, None
    for expected in range(1, 5):
        count, until = rules.after_failure(count, NOW, threshold=5, minutes=15)
        assert (count, until) == (expected, None)
    count, until = rules.after_failure(count, NOW, threshold=5, minutes=15)
    assert (count, until) == (0, NOW + timedelta(minutes=15))
    assert rules.is_locked(until, NOW + timedelta(minutes=14, seconds=59))
    assert not rules.is_locked(until, NOW + timedelta(minutes=15))
    assert not rules.is_locked(None, NOW)
    assert rules.after_failure(0, NOW, threshold=1, minutes=3) == (0, NOW + timedelta(minutes=3))


def test_password_expiry_only_under_dengbao():
    changed = NOW - timedelta(days=90)
    assert rules.password_expired(PasswordProfile.cn_dengbao, changed, NOW, max_age_days=90)
    assert not rules.password_expired(
        PasswordProfile.cn_dengbao, changed + timedelta(seconds=1), NOW, max_age_days=90
    )
    assert not rules.password_expired(PasswordProfile.asvs, changed, NOW, max_age_days=90)


@pytest.mark.parametrize(
    ("roles", "enabled", "needed"),
    [
        (["sysadmin"], False, True),
        (["secadmin"], False, True),
        (["auditadmin"], False, True),
        (["auditadmin"], True, False),
        (["analyst", "viewer"], False, False),
        ([], False, False),
    ],
)
def test_totp_is_required_for_the_three_administrators(roles, enabled, needed):
    assert rules.needs_totp_setup(roles, enabled) is needed


def test_session_limits():
    assert rules.session_limits(must_change_password=False, totp_setup=False) == frozenset()
    assert rules.session_limits(must_change_password=True, totp_setup=True) == {
        Limit.password_change,
        Limit.totp_setup,
    }


@pytest.mark.parametrize(
    ("last_seen", "expires", "revoked", "state"),
    [
        (NOW - timedelta(minutes=29), NOW + timedelta(hours=1), None, SessionState.valid),
        (NOW - timedelta(minutes=30), NOW + timedelta(hours=1), None, SessionState.idle),
        (NOW, NOW, None, SessionState.expired),
        (NOW, NOW + timedelta(hours=1), NOW, SessionState.revoked),
        (NOW - timedelta(days=1), NOW - timedelta(hours=1), NOW, SessionState.revoked),
    ],
)
def test_session_state(last_seen, expires, revoked, state):
    assert (
        rules.session_state(
            last_seen_at=last_seen, expires_at=expires, revoked_at=revoked, now=NOW, idle_minutes=30
        )
        is state
    )


def test_totp_accepts_one_step_of_drift_and_refuses_replay():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    step = totp.timecode(NOW)
    assert rules.totp_step(secret, totp.at(NOW), NOW, last_step=None) == step
    assert rules.totp_step(secret, totp.at(NOW - timedelta(seconds=30)), NOW, last_step=None) == (
        step - 1
    )
    assert rules.totp_step(secret, totp.at(NOW + timedelta(seconds=30)), NOW, last_step=None) == (
        step + 1
    )
    assert (
        rules.totp_step(secret, totp.at(NOW - timedelta(seconds=90)), NOW, last_step=None) is None
    )
    assert rules.totp_step(secret, totp.at(NOW), NOW, last_step=step) is None
    for bad in ("", "12345", "abcdef", "1234567"):
        assert rules.totp_step(secret, bad, NOW, last_step=None) is None
