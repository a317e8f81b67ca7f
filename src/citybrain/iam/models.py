"""Accounts, roles, sessions and API keys (SQLAlchemy only)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybrain.core.clock import utcnow
from citybrain.core.db import Base

if TYPE_CHECKING:
    from citybrain.iam.departments import Department


class User(Base):
    """A person who signs in. ``username_key`` (NFKC + casefold) is what makes names unique, so
    ``ＡＤＭＩＮ`` and ``admin`` are the same account; ``username`` is the form shown."""

    __tablename__ = "iam_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    # The 职能部门 the user works for, inside ``region_code``'s subtree; None for the big-data
    # bureau's own staff and the administrators (see docs/iam.md, "Departments").
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("iam_department.code"), index=True, default=None
    )
    display_name: Mapped[str] = mapped_column(String(64), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    # Encrypted with the SM4 field cipher; never stored or logged in the clear.
    totp_secret: Mapped[str | None] = mapped_column(Text, default=None)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last accepted TOTP time step: a code is good for one login only (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[Role]] = relationship(secondary="iam_user_role", lazy="selectin")
    department: Mapped[Department | None] = relationship(lazy="selectin", viewonly=True)


class Role(Base):
    __tablename__ = "iam_role"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title_zh: Mapped[str] = mapped_column(String(64))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)

    stored_permissions: Mapped[list[RolePermission]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )


class RolePermission(Base):
    """A custom role's permission code (built-in roles take theirs from ``permissions.py``)."""

    __tablename__ = "iam_role_permission"
    __table_args__ = (UniqueConstraint("role_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("iam_role.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))


class UserRole(Base):
    __tablename__ = "iam_user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("iam_user.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(
        ForeignKey("iam_role.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PasswordHistory(Base):
    """Every password a user has had, newest kept; the current one is the newest row."""

    __tablename__ = "iam_password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("iam_user.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginSession(Base):
    """A server-side session. Only an HMAC-SM3 of the token is stored, never the token."""

    __tablename__ = "iam_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("iam_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    source_ip: Mapped[str] = mapped_column(String(64), default="")


class LoginThrottle(Base):
    """Failed sign-ins counted per source address (``ip:<address>``) or per attempted user
    name (``user:<SM3 of its key>``, whether the account exists or not) in a fixed window;
    kept in the database so that every web process sees the same counts (``iam.throttle``)."""

    __tablename__ = "iam_login_throttle"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(96), unique=True)
    window_started_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)


class ApiKey(Base):
    """A department system's key ``cbk_<prefix>_<secret>``: looked up by prefix, checked by MAC."""

    __tablename__ = "iam_api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    scopes: Mapped[str] = mapped_column(Text)  # JSON list of permission codes
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class OidcState(Base):
    """One pending OIDC sign-in between the redirect and the callback (state, nonce, PKCE)."""

    __tablename__ = "iam_oidc_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(128), unique=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OidcHandoff(Base):
    """A finished OIDC sign-in waiting for the front end to collect its session. The browser
    carries a one-time code (in the URL fragment of the callback's redirect) that the front end
    exchanges by POST; only its HMAC-SM3 is stored, the session is started at the exchange,
    and the row is deleted then (single use) or once stale."""

    __tablename__ = "iam_oidc_handoff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("iam_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
