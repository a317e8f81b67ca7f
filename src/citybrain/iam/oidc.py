"""Sign-in through the government's identity provider (OpenID Connect, authorization code flow
with PKCE S256, state and nonce).

The provider's metadata comes from ``<issuer>/.well-known/openid-configuration`` (cached), the
ID token is checked against its JWKS (signature, ``iss``, ``aud``, ``exp``, ``nonce``), and the
claims named by the ``oidc_*_claim`` settings become a user: created at the first sign-in,
region and ordinary roles refreshed at each. Administrator roles never come from claims; a
local account of the same name is never taken over.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta
from typing import Any, Final, cast

import requests
from authlib.common.security import is_secure_transport
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.context import set_actor
from citybrain.core.crypto import hmac_sm3
from citybrain.core.errors import BadInput, DomainError, NotFound
from citybrain.iam import passwords, sessions
from citybrain.iam import roles as role_service
from citybrain.iam.auth import LoginOutcome, limits_of
from citybrain.iam.models import OidcHandoff, OidcState, Role, User
from citybrain.iam.rules import normalise_username
from citybrain.iam.service import insert_account
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import normalise_code

log = logging.getLogger(__name__)
STATE_TTL: Final = timedelta(minutes=10)
HANDOFF_TTL: Final = timedelta(seconds=60)
"""How long the one-time code of a finished sign-in may wait for the front end's exchange."""
CACHE_SECONDS: Final = 300
HTTP_TIMEOUT: Final = 10
ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
"""Asymmetric only: ``none`` and HMAC with a public key as secret are never accepted."""

_cache: dict[str, tuple[float, dict[str, Any]]] = {}


class OidcFailure(Exception):
    """Why a callback could not sign anybody in (``reason`` is a stable code)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ProviderUnavailable(DomainError):
    """The identity provider cannot be used right now (unreachable or misconfigured)."""

    status_code = 502
    default_code = "provider_unreachable"


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _fetch_json(url: str, *, fresh: bool = False) -> dict[str, Any]:
    hit = _cache.get(url)
    if hit and not fresh and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    if not is_secure_transport(url):
        raise OidcFailure("insecure_provider", f"身份提供方地址须为 HTTPS: {url}")
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcFailure("provider_unreachable", "无法连接统一身份认证服务") from exc
    if not isinstance(document, dict):
        raise OidcFailure("provider_unreachable", "统一身份认证服务的应答格式不正确")
    _cache[url] = (time.monotonic(), document)
    return document


def metadata(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document; its ``issuer`` must equal the configured one."""
    issuer = settings.oidc_issuer.rstrip("/")
    document = _fetch_json(f"{issuer}/.well-known/openid-configuration")
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise OidcFailure("issuer_mismatch", "身份提供方声明的 issuer 与配置不一致")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(name), str):
            raise OidcFailure("bad_discovery", f"身份提供方缺少 {name}")
    return document


def _client(settings: Settings, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        scope="openid profile",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def begin(session: Session, *, settings: Settings, redirect_uri: str) -> tuple[str, str]:
    """``(authorize URL, state)``: a pending sign-in is stored with its nonce and PKCE
    verifier; stale ones (older than 10 minutes) are purged. ``NotFound`` (``oidc_disabled``)
    when OIDC is not configured."""
    if not enabled(settings):
        raise NotFound("未启用统一身份认证登录", code="oidc_disabled")
    try:
        endpoint = str(metadata(settings)["authorization_endpoint"])
    except OidcFailure as exc:
        raise ProviderUnavailable(exc.message, code=exc.reason) from exc
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    session.execute(delete(OidcState).where(OidcState.created_at < utcnow() - STATE_TTL))
    session.add(
        OidcState(state=state, nonce=nonce, code_verifier=verifier, redirect_uri=redirect_uri)
    )
    session.flush()
    url, _ = _client(settings, redirect_uri).create_authorization_url(
        endpoint, state=state, code_verifier=verifier, nonce=nonce
    )
    return str(url), state


def _jwks(url: str, *, fresh: bool = False) -> KeySetSerialization:
    document = _fetch_json(url, fresh=fresh)
    if not isinstance(document.get("keys"), list):
        raise OidcFailure("bad_jwks", "身份提供方的 JWKS 格式不正确")
    return cast(KeySetSerialization, document)


def _id_token_claims(settings: Settings, id_token: str, nonce: str) -> dict[str, Any]:
    document = metadata(settings)
    jwks_uri = str(document["jwks_uri"])
    allowed = [
        a
        for a in document.get("id_token_signing_alg_values_supported", ["RS256"])
        if a in ALGORITHMS
    ] or ["RS256"]
    try:
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(_jwks(jwks_uri)), allowed)
        except (JoseError, ValueError):  # the provider may have rotated its keys: fetch again
            token = jwt.decode(
                id_token, KeySet.import_key_set(_jwks(jwks_uri, fresh=True)), allowed
            )
        jwt.JWTClaimsRegistry(
            now=lambda: int(utcnow().timestamp()),
            leeway=60,
            iss={"essential": True, "value": str(document["issuer"])},
            aud={"essential": True, "value": settings.oidc_client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise OidcFailure("bad_id_token", f"ID Token 校验失败: {exc}") from exc
    return dict(token.claims)


def _claim_roles(value: object) -> list[str]:
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _ordinary_roles(session: Session, names: list[str]) -> tuple[list[Role], list[str]]:
    """The known, non-administrative roles among ``names`` and the names dropped."""
    kept: list[Role] = []
    for name in dict.fromkeys(names):
        try:
            (role,) = role_service.roles_by_name(session, [name])
        except NotFound:
            continue
        if not role_service.grants_administration([role]):
            kept.append(role)
    return kept, sorted(set(names) - {r.name for r in kept})


def _provision(session: Session, settings: Settings, claims: dict[str, Any]) -> User:
    subject = str(claims["sub"])[:255]
    raw_name = claims.get(settings.oidc_username_claim)
    raw_region = claims.get(settings.oidc_region_claim)
    if not isinstance(raw_name, str) or not isinstance(raw_region, str):
        raise OidcFailure("missing_claims", "身份令牌缺少用户名或区划代码")
    try:
        display, key = normalise_username(raw_name)
        region = normalise_code(raw_region)
    except BadInput as exc:
        raise OidcFailure("bad_claims", exc.message) from exc
    if not region_queries.exists(session, region):
        raise OidcFailure("bad_claims", f"区划不存在: {region}")
    granted, dropped = _ordinary_roles(session, _claim_roles(claims.get(settings.oidc_roles_claim)))
    user = session.execute(select(User).where(User.oidc_subject == subject)).scalar_one_or_none()
    if user is None:
        taken = session.execute(select(User.id).where(User.username_key == key)).first()
        if taken is not None:
            raise OidcFailure("username_taken", f"本地已有同名账号 {display}, 请联系管理员")
        user = insert_account(
            session,
            username=display,
            key=key,
            region_code=region,
            display_name=str(claims.get("name", ""))[:64],
            password_hash=passwords.UNUSABLE_HASH,
            oidc_subject=subject,
        )
        action = "iam.oidc.provision"
    elif not user.is_active:
        raise OidcFailure("disabled", "账号已停用")
    else:
        action = "iam.oidc.refresh"
    admin_roles = [r for r in user.roles if role_service.grants_administration([r])]
    user.roles = admin_roles + granted
    user.region_code = region
    role_service.check_separation(user.roles)
    session.flush()
    audit.record(
        session,
        action=action,
        object_type="iam_user",
        object_id=str(user.id),
        region_code=region,
        detail={
            "username": display,
            "roles": [r.name for r in user.roles],
            "dropped_roles": dropped,
        },
    )
    return user


def _exchange(settings: Settings, pending: OidcState, code: str) -> dict[str, Any]:
    token_endpoint = str(metadata(settings)["token_endpoint"])
    try:
        token = _client(settings, pending.redirect_uri).fetch_token(
            token_endpoint,
            code=code,
            code_verifier=pending.code_verifier,
            grant_type="authorization_code",
            timeout=HTTP_TIMEOUT,
        )
    except Exception as exc:  # authlib raises OAuthError, requests its own: both mean "no"
        log.warning("oidc token exchange failed: %s", exc)
        raise OidcFailure("token_exchange", "统一身份认证换取令牌失败") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcFailure("bad_id_token", "统一身份认证未返回 ID Token")
    return _id_token_claims(settings, id_token, pending.nonce)


def complete(
    session: Session,
    *,
    settings: Settings,
    state: str,
    code: str,
    cookie_state: str | None,
    source_ip: str = "",
) -> LoginOutcome:
    """Finish a sign-in: check the state (single use, bound to the browser's cookie, at most
    10 minutes old), exchange the code, validate the ID token, provision the user, start a
    no session yet: the outcome carries ``handoff_code``, a one-time code the front end trades
    for the session token by POST (:func:`exchange`), so no token ever travels in a URL.
    Failures come back as a 401 outcome (``oidc_failed``) and are audited, like password
    logins; the pending state is consumed either way."""
    pending = session.execute(
        select(OidcState).where(OidcState.state == state)
    ).scalar_one_or_none()
    try:
        if not enabled(settings):
            raise OidcFailure("oidc_disabled", "未启用统一身份认证登录")
        if pending is None or cookie_state != state or not code:
            raise OidcFailure("bad_state", "登录请求已失效, 请重新登录")
        if utcnow() - pending.created_at > STATE_TTL:
            raise OidcFailure("bad_state", "登录请求已超时, 请重新登录")
        # The HTTP round trips happen before this transaction writes anything, so an embedded
        # SQLite database is not write-locked while the provider answers.
        claims = _exchange(settings, pending, code)
        session.delete(pending)
        user = _provision(session, settings, claims)
    except OidcFailure as exc:
        if pending is not None and inspect(pending).persistent:
            session.delete(pending)
        audit.record(
            session,
            action="iam.oidc.login",
            object_type="iam_user",
            outcome="failure",
            actor="anonymous",
            role="",
            detail={"reason": exc.reason},
        )
        return LoginOutcome(401, "oidc_failed", exc.message)
    names = ",".join(sorted(r.name for r in user.roles))
    set_actor(session, actor=user.username, role=names, region_code=user.region_code)
    code_text = _hand_off(session, settings, user)
    audit.record(
        session,
        action="iam.oidc.login",
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
        detail={"handoff": True},
    )
    return LoginOutcome(200, "ok", "登录成功", user=user, handoff_code=code_text)


def _code_hash(settings: Settings, code_text: str) -> str:
    return hmac_sm3(settings.key("session_key"), b"oidc-handoff:" + code_text.encode()).hex()


def _hand_off(session: Session, settings: Settings, user: User) -> str:
    """A one-time code for ``user``'s session (stale codes purged first)."""
    session.execute(delete(OidcHandoff).where(OidcHandoff.created_at < utcnow() - HANDOFF_TTL))
    code_text = secrets.token_urlsafe(32)
    session.add(OidcHandoff(code_hash=_code_hash(settings, code_text), user_id=user.id))
    session.flush()
    return code_text


def exchange(
    session: Session, *, settings: Settings, code: str, source_ip: str = ""
) -> LoginOutcome:
    """Trade the one-time code of a finished OIDC sign-in for a new session token (the token
    never travels in a URL). The code works once, within ``HANDOFF_TTL`` of the callback, and
    only while the account is active; otherwise a 401 outcome ``invalid_handoff`` (answered,
    not raised, so its audit record commits). Audited as ``iam.oidc.exchange``."""
    pending = session.execute(
        select(OidcHandoff).where(OidcHandoff.code_hash == _code_hash(settings, code))
    ).scalar_one_or_none()
    user = session.get(User, pending.user_id) if pending is not None else None
    reason = ""
    if pending is None or user is None:
        reason = "unknown_code"
    elif utcnow() - pending.created_at > HANDOFF_TTL:
        reason = "expired"
    elif not user.is_active:
        reason = "disabled"
    if pending is not None:
        session.delete(pending)  # single use, whatever happens next
        session.flush()
    if reason or user is None:
        audit.record(
            session,
            action="iam.oidc.exchange",
            object_type="iam_user",
            object_id=str(user.id) if user is not None else "",
            outcome="failure",
            actor="anonymous",
            role="",
            detail={"reason": reason},
        )
        return LoginOutcome(401, "invalid_handoff", "登录凭据无效或已过期, 请重新登录")
    row, token_text = sessions.start(session, user_id=user.id, source_ip=source_ip)
    names = ",".join(sorted(r.name for r in user.roles))
    set_actor(session, actor=user.username, role=names, region_code=user.region_code)
    audit.record(
        session,
        action="iam.oidc.exchange",
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
        detail={"session_id": row.id},
    )
    return LoginOutcome(200, "ok", "登录成功", token_text, row.expires_at, user, limits_of(user))
