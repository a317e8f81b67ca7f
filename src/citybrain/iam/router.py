"""HTTP adapter of iam under ``/api/v1/iam``: sign-in, the own account, and (in
:mod:`citybrain.iam.router_admin`) users, roles and API keys."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from citybrain.core.config import PasswordProfile, Settings, get_settings
from citybrain.core.errors import error_body
from citybrain.core.security import CurrentPrincipal, authenticated
from citybrain.core.web import DbSession
from citybrain.iam import auth, oidc, passwords, permissions, queries, router_admin, service
from citybrain.iam.dependencies import CurrentSessionId, CurrentUser, SelfService
from citybrain.iam.models import User
from citybrain.iam.rules import Limit
from citybrain.iam.schemas import (
    LoginRead,
    LoginRequest,
    MeRead,
    OidcExchange,
    PasswordChange,
    PasswordPolicyRead,
    RoleBrief,
    TotpConfirm,
    TotpEnrolRead,
)

PREFIX: Final = "/api/v1/iam"
PUBLIC_ROUTES: Final = frozenset(
    {
        f"{PREFIX}/login",
        f"{PREFIX}/oidc/login",
        f"{PREFIX}/oidc/callback",
        f"{PREFIX}/oidc/exchange",
    }
)
"""The only iam routes a caller reaches without credentials (the route-walk test reads it)."""

OIDC_STATE_COOKIE: Final = "cb_oidc_state"

router = APIRouter(prefix=PREFIX, tags=["iam"])


def _settings(request: Request) -> Settings:
    value = getattr(request.app.state, "settings", None)
    return value if isinstance(value, Settings) else get_settings()


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _failure(outcome: auth.LoginOutcome) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"}
    if outcome.retry_after is not None:
        headers = {"Retry-After": str(outcome.retry_after)}
    return JSONResponse(
        error_body(outcome.code, outcome.message), status_code=outcome.status, headers=headers
    )


def _login_read(outcome: auth.LoginOutcome) -> LoginRead:
    if outcome.token is None or outcome.expires_at is None:  # pragma: no cover - ok has both
        raise RuntimeError("a successful login outcome carries a token")
    return LoginRead(
        token=outcome.token,
        expires_at=outcome.expires_at,
        idle_minutes=get_settings().session_idle_minutes,
        must_change_password=Limit.password_change in outcome.limits,
        totp_setup_required=Limit.totp_setup in outcome.limits,
    )


@router.post(
    "/login",
    summary="用户名密码登录",
    response_model=LoginRead,
    responses={
        401: {"description": "invalid_credentials / totp_required / invalid_totp"},
        429: {"description": "too_many_attempts (Retry-After: seconds)"},
    },
)
def login(body: LoginRequest, request: Request, session: DbSession) -> LoginRead | JSONResponse:
    """用户名密码登录 (已绑定动态口令时另需 totp); 每次登录都签发新会话令牌."""
    outcome = auth.login(
        session,
        username=body.username,
        password=body.password,
        totp=body.totp,
        source_ip=_client_ip(request),
    )
    # Credential failures are answered, not raised: an exception would roll back the request's
    # transaction and with it the failed-attempt counter, the lock and the audit record.
    if not outcome.ok:
        return _failure(outcome)
    return _login_read(outcome)


@router.post(
    "/logout", summary="注销当前会话", status_code=204, dependencies=[Depends(authenticated)]
)
def logout(session: DbSession, session_id: CurrentSessionId) -> None:
    """注销当前会话; 此后该令牌再使用将得到 401 session_revoked."""
    if session_id is not None:
        auth.logout(session, session_id=session_id)


@router.get("/me", summary="当前登录者", response_model=MeRead)
def me(principal: CurrentPrincipal, session: DbSession) -> MeRead:
    """当前登录者的资料、权限代码, 以及是否须先修改密码或绑定动态口令."""
    if principal.kind != "user":
        return MeRead(
            kind=principal.kind,
            id=principal.id,
            username=principal.name,
            display_name=principal.name,
            region_code=principal.region_code,
            region_name=queries.region_name(session, principal.region_code),
            department_code=None,
            department_name=None,
            roles=[],
            permissions=sorted(principal.permissions),
            permission_titles=permissions.titles_of(principal.permissions),
            must_change_password=False,
            totp_setup_required=False,
            totp_enabled=False,
        )
    user = session.get_one(User, principal.id)
    limits = auth.limits_of(user)
    return MeRead(
        kind="user",
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        region_code=user.region_code,
        region_name=queries.region_name(session, user.region_code),
        department_code=user.department_code,
        department_name=user.department.name if user.department else None,
        roles=[RoleBrief(name=r.name, title_zh=r.title_zh) for r in user.roles],
        permissions=sorted(principal.permissions),
        permission_titles=permissions.titles_of(principal.permissions),
        must_change_password=Limit.password_change in limits,
        totp_setup_required=Limit.totp_setup in limits,
        totp_enabled=user.totp_enabled,
    )


@router.get("/password-policy", summary="密码与登录策略", response_model=PasswordPolicyRead)
def password_policy(_: SelfService) -> PasswordPolicyRead:
    """当前的密码策略与登录策略 (修改密码页面据此提示)."""
    settings = get_settings()
    dengbao = settings.password_profile is PasswordProfile.cn_dengbao
    return PasswordPolicyRead(
        profile=settings.password_profile.value,
        min_length=passwords.min_length(settings.password_profile),
        character_classes=3 if dengbao else 0,
        max_age_days=settings.password_max_age_days if dengbao else None,
        history=settings.password_history if dengbao else 0,
        lockout_threshold=settings.lockout_threshold,
        lockout_minutes=settings.lockout_minutes,
        session_idle_minutes=settings.session_idle_minutes,
        session_max_hours=settings.session_max_hours,
    )


@router.post("/me/password", summary="修改本人密码", status_code=204)
def change_password(
    body: PasswordChange,
    _: SelfService,
    user: CurrentUser,
    session: DbSession,
    session_id: CurrentSessionId,
) -> None:
    """修改本人密码 (解除强制改密); 本人的其他会话随之注销."""
    service.change_password(
        session,
        user=user,
        old_password=body.old_password,
        new_password=body.new_password,
        keep_session_id=session_id,
    )


@router.post("/me/totp", summary="绑定动态口令", response_model=TotpEnrolRead)
def enrol_totp(_: SelfService, user: CurrentUser, session: DbSession) -> TotpEnrolRead:
    """生成动态口令密钥 (返回 otpauth:// 地址供扫码), 确认后生效."""
    enrolment = auth.enrol_totp(session, user=user)
    return TotpEnrolRead(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@router.post("/me/totp/confirm", summary="确认动态口令", status_code=204)
def confirm_totp(body: TotpConfirm, _: SelfService, user: CurrentUser, session: DbSession) -> None:
    """输入一次当前动态口令, 启用二次验证."""
    auth.confirm_totp(session, user=user, code=body.code)


@router.get(
    "/oidc/login", summary="统一身份认证登录", response_class=RedirectResponse, status_code=302
)
def oidc_login(request: Request, session: DbSession) -> RedirectResponse:
    """跳转到统一身份认证 (OIDC) 登录页."""
    redirect_uri = str(request.url_for("oidc_callback"))
    url, state = oidc.begin(session, settings=_settings(request), redirect_uri=redirect_uri)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        OIDC_STATE_COOKIE,
        state,
        max_age=int(oidc.STATE_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=f"{PREFIX}/oidc",
    )
    return response


@router.get("/oidc/callback", summary="统一身份认证回调", name="oidc_callback", response_model=None)
def oidc_callback(
    request: Request,
    session: DbSession,
    state: Annotated[str, Query(max_length=256)] = "",
    code: Annotated[str, Query(max_length=2048)] = "",
) -> RedirectResponse | JSONResponse:
    """统一身份认证回调: 校验后跳转到前端 ``/#/login?oidc_code=...``; 前端用这一次性登录凭据
    (60 秒内有效, 仅可使用一次) 通过 POST ``/oidc/exchange`` 换取会话令牌, 令牌从不出现在 URL 中."""
    outcome = oidc.complete(
        session,
        settings=_settings(request),
        state=state,
        code=code,
        cookie_state=request.cookies.get(OIDC_STATE_COOKIE),
        source_ip=_client_ip(request),
    )
    # As with passwords, a failure is answered (not raised) so that its audit record commits.
    if not outcome.ok:
        return _failure(outcome)
    response = RedirectResponse(f"/#/login?oidc_code={outcome.handoff_code}", status_code=303)
    response.delete_cookie(OIDC_STATE_COOKIE, path=f"{PREFIX}/oidc")
    return response


@router.post(
    "/oidc/exchange",
    summary="换取统一身份认证会话",
    response_model=LoginRead,
    responses={401: {"description": "invalid_handoff"}},
)
def oidc_exchange(
    body: OidcExchange, request: Request, session: DbSession
) -> LoginRead | JSONResponse:
    """用统一身份认证回调给出的一次性登录凭据换取会话令牌 (仅可使用一次)."""
    outcome = oidc.exchange(
        session, settings=_settings(request), code=body.code, source_ip=_client_ip(request)
    )
    if not outcome.ok:
        return _failure(outcome)
    return _login_read(outcome)


router.include_router(router_admin.router)
