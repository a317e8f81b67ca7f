"""API keys for department systems, sent as the ``X-API-Key`` header.

A key reads ``cbk_<prefix>_<secret>``: the 8-hex-digit prefix finds the row (and is what lists
show), the database keeps only HMAC-SM3(session_key, key), so the key is shown exactly once.
Each key has a region, a set of permission codes (its scopes) and an expiry date.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.db import short_write
from citybrain.core.errors import BadInput, Unauthenticated
from citybrain.core.security import Principal
from citybrain.iam import permissions, sessions
from citybrain.iam.models import ApiKey
from citybrain.iam.principal_cache import TOUCH_SESSION
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import ensure_within, normalise_code

KEY_PREFIX: Final = "cbk"
MAX_DAYS: Final = 730
DEFAULT_DAYS: Final = 180
TOUCH_EVERY: Final = timedelta(seconds=60)
"""``last_used_at`` is written at most once a minute, after the request (see :func:`touch`)."""

log = logging.getLogger(__name__)


def scopes_of(key: ApiKey) -> frozenset[str]:
    return frozenset(str(code) for code in json.loads(key.scopes))


def create_api_key(
    session: Session,
    *,
    name: str,
    region_code: str,
    scopes: list[str],
    days: int = DEFAULT_DAYS,
    actor: Principal | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plain text (returned only here).

    Refused with ``bad_api_key`` (422: empty name, no scopes, days outside 1–730),
    ``unknown_permission`` (422), ``scope_not_allowed`` (422: ``iam:*``, ``audit:*`` and
    ``pii:*`` are never given to a system), ``bad_region_code`` (422), ``region_not_found``
    (404), ``out_of_scope`` (403). Audit ``iam.apikey.create`` (never the key).
    """
    name = name.strip()
    wanted = sorted(set(scopes))
    if not name or len(name) > 128 or not wanted or not 1 <= days <= MAX_DAYS:
        raise BadInput(
            f"API 密钥须有名称 (≤128 字)、至少一个权限范围, 有效期 1–{MAX_DAYS} 天",
            code="bad_api_key",
        )
    unknown = permissions.unknown_codes(wanted)
    if unknown:
        raise BadInput(
            f"未知的权限代码: {', '.join(unknown)}", code="unknown_permission", detail=unknown
        )
    refused = permissions.apikey_scope_refused(wanted)
    if refused:
        raise BadInput(
            f"API 密钥不能授予这些权限: {', '.join(refused)}",
            code="scope_not_allowed",
            detail=refused,
        )
    region = normalise_code(region_code)
    if actor is not None:
        ensure_within(region, actor.region_code)
    region_queries.get(session, region)
    prefix = secrets.token_hex(4)
    plain = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    key = ApiKey(
        name=name,
        key_prefix=prefix,
        key_hash=sessions.digest(plain),
        region_code=region,
        scopes=json.dumps(wanted),
        expires_at=now + timedelta(days=days),
        created_at=now,
        created_by=actor.name if actor else "cli",
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        action="iam.apikey.create",
        object_type="iam_api_key",
        object_id=str(key.id),
        region_code=region,
        detail={"name": name, "prefix": prefix, "scopes": wanted, "days": days},
    )
    return key, plain


def authenticate(session: Session, plain: str) -> ApiKey:
    """The live key behind ``plain``. Reads only: ``last_used_at`` is :func:`touch`'s
    business, after the request's transaction, so a GET stays a reader.

    Raises ``Unauthenticated`` with ``invalid_api_key`` (malformed, unknown or forged),
    ``api_key_revoked`` or ``api_key_expired``.
    """
    parts = plain.strip().split("_", 2)
    invalid = Unauthenticated("API 密钥无效", code="invalid_api_key")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        raise invalid
    key = session.execute(select(ApiKey).where(ApiKey.key_prefix == parts[1])).scalar_one_or_none()
    if key is None or not hmac.compare_digest(key.key_hash, sessions.digest(plain.strip())):
        raise invalid
    if key.revoked_at is not None:
        raise Unauthenticated("API 密钥已吊销", code="api_key_revoked")
    check_unexpired(key.expires_at)
    return key


def check_unexpired(expires_at: datetime) -> None:
    """``api_key_expired`` once ``expires_at`` has passed (checked on every request, also for
    a key the principal cache remembers)."""
    if utcnow() >= expires_at:
        raise Unauthenticated(
            "API 密钥已过期",
            code="api_key_expired",
            detail={"expired_at": expires_at.isoformat()},
        )


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY


def touch(factory: sessionmaker[Session], *, key_id: int, now: datetime) -> bool | None:
    """Move ``last_used_at`` to ``now`` in a short transaction of its own, at most once a
    minute (as :func:`citybrain.iam.sessions.touch`): True when written, False when there was
    nothing to write, None when skipped because the database was busy."""
    due = (
        select(ApiKey.id)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - TOUCH_EVERY),
        )
        .with_for_update(skip_locked=True)
    )
    try:
        with short_write(factory) as session:
            session.info[TOUCH_SESSION] = True  # book-keeping: rights unchanged
            result = session.execute(
                update(ApiKey)
                .where(ApiKey.id.in_(due.scalar_subquery()))
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))
    except (OperationalError, PoolTimeout) as exc:
        log.info("API key touch skipped (database busy): %s", exc.__class__.__name__)
        return None


def revoke_api_key(session: Session, *, key: ApiKey, actor: Principal | None = None) -> ApiKey:
    """Revoke a key at once (idempotent). Refused with ``out_of_scope`` (403). Audit
    ``iam.apikey.revoke``."""
    if actor is not None:
        ensure_within(key.region_code, actor.region_code)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        audit.record(
            session,
            action="iam.apikey.revoke",
            object_type="iam_api_key",
            object_id=str(key.id),
            region_code=key.region_code,
            detail={"name": key.name, "prefix": key.key_prefix},
        )
    return key
