"""Administration under ``/api/v1/iam``: users (系统管理员), roles and unlocking (安全管理员),
API keys for department systems. Each route declares its permission first, then loads and
scopes its record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from citybrain.core.pagination import PageParams
from citybrain.core.web import DbSession
from citybrain.iam import apikeys, auth, departments, permissions, queries, roles, service
from citybrain.iam.dependencies import (
    ApiKeyManager,
    RoleManager,
    ScopedApiKey,
    ScopedUser,
    Unlocker,
    UserManager,
    UserReader,
)
from citybrain.iam.models import ApiKey, Role, User
from citybrain.iam.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    ApiKeyRead,
    DepartmentBrief,
    PasswordResetRead,
    PermissionRead,
    RoleBrief,
    RoleCreate,
    RolePermissionsUpdate,
    RoleRead,
    UserCreate,
    UserDepartmentUpdate,
    UserFilter,
    UserPage,
    UserRead,
    UserRolesUpdate,
)
from citybrain.regions import queries as region_queries

router = APIRouter()
RoleName = Annotated[str, Path(min_length=2, max_length=32)]


def user_read(user: User, region_name: str = "") -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        region_code=user.region_code,
        region_name=region_name,
        department_code=user.department_code,
        department_name=user.department.name if user.department else None,
        is_active=user.is_active,
        must_change_password=user.must_change_password,
        totp_enabled=user.totp_enabled,
        locked_until=user.locked_until,
        password_changed_at=user.password_changed_at,
        created_at=user.created_at,
        roles=[RoleBrief(name=r.name, title_zh=r.title_zh) for r in user.roles],
        oidc=user.oidc_subject is not None,
    )


def role_read(role: Role) -> RoleRead:
    return RoleRead(
        name=role.name,
        title_zh=role.title_zh,
        builtin=role.builtin,
        permissions=sorted(roles.role_codes(role)),
    )


def api_key_read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        id=key.id,
        name=key.name,
        key_prefix=key.key_prefix,
        region_code=key.region_code,
        scopes=sorted(apikeys.scopes_of(key)),
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        created_at=key.created_at,
        created_by=key.created_by,
        last_used_at=key.last_used_at,
    )


@router.get("/users", summary="检索用户", response_model=UserPage)
def search_users(
    session: DbSession,
    principal: UserReader,
    flt: Annotated[UserFilter, Depends()],
) -> UserPage:
    """本人辖区内的用户 (分页, 可按区划、角色、关键字、状态筛选)."""
    rows, total = queries.search_users(session, scope=principal.region_code, flt=flt)
    names = region_queries.names_of(session, (u.region_code for u in rows))
    items = [user_read(u, names.get(u.region_code, "")) for u in rows]
    return UserPage(items=items, total=total, page=flt.page, size=flt.size)


@router.post("/users", summary="创建用户", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, session: DbSession, principal: UserManager) -> UserRead:
    """创建本地账号 (首次登录须修改密码); 授予管理员角色须安全管理员操作."""
    user = service.create_user(
        session,
        username=body.username,
        password=body.password,
        region_code=body.region_code,
        roles=body.roles,
        display_name=body.display_name,
        department_code=body.department_code,
        actor=principal,
    )
    return user_read(user)


@router.get(
    "/users/{user_id}",
    summary="查看用户",
    description="本人辖区内一个用户的资料、角色、所属部门与状态; 不存在或不在辖区内时 404。",
    response_model=UserRead,
)
def get_user(_: UserReader, user: ScopedUser) -> UserRead:
    return user_read(user)


@router.post("/users/{user_id}/disable", summary="停用用户", response_model=UserRead)
def disable_user(principal: UserManager, user: ScopedUser, session: DbSession) -> UserRead:
    """停用账号并注销其全部会话."""
    return user_read(service.disable_user(session, user=user, actor=principal))


@router.post(
    "/users/{user_id}/enable",
    summary="启用用户",
    description="重新启用已停用的账号 (须重新登录); 返回更新后的用户。",
    response_model=UserRead,
)
def enable_user(principal: UserManager, user: ScopedUser, session: DbSession) -> UserRead:
    return user_read(service.enable_user(session, user=user, actor=principal))


@router.post(
    "/users/{user_id}/password-reset", summary="重置用户密码", response_model=PasswordResetRead
)
def reset_password(
    principal: UserManager, user: ScopedUser, session: DbSession
) -> PasswordResetRead:
    """重置为一次性密码 (只显示这一次); 账号解锁, 会话全部注销."""
    return PasswordResetRead(password=service.reset_password(session, user=user, actor=principal))


@router.post("/users/{user_id}/unlock", summary="解除登录锁定", response_model=UserRead)
def unlock_user(principal: Unlocker, user: ScopedUser, session: DbSession) -> UserRead:
    """解除登录失败锁定."""
    return user_read(service.unlock_user(session, user=user, actor=principal))


@router.post("/users/{user_id}/totp-reset", summary="重置动态口令", response_model=UserRead)
def reset_totp(principal: Unlocker, user: ScopedUser, session: DbSession) -> UserRead:
    """重置动态口令 (手机丢失等), 下次登录重新绑定."""
    return user_read(auth.reset_totp(session, user=user, actor=principal))


@router.put("/users/{user_id}/roles", summary="设置用户角色", response_model=UserRead)
def set_user_roles(
    body: UserRolesUpdate,
    principal: RoleManager,
    user: ScopedUser,
    session: DbSession,
) -> UserRead:
    """设置用户的角色 (三权分立: 三种管理员角色互斥)."""
    return user_read(roles.set_user_roles(session, user=user, roles=body.roles, actor=principal))


@router.put("/users/{user_id}/department", summary="设置用户部门", response_model=UserRead)
def set_user_department(
    body: UserDepartmentUpdate, principal: UserManager, user: ScopedUser, session: DbSession
) -> UserRead:
    """设置用户所属部门 (须在其辖区内; 留空为大数据局人员); 其会话全部注销."""
    updated = service.set_department(
        session, user=user, department_code=body.department_code, actor=principal
    )
    session.refresh(updated, ["department"])
    return user_read(updated)


@router.get("/departments", summary="列出部门", response_model=list[DepartmentBrief])
def list_departments(session: DbSession, principal: UserReader) -> list[DepartmentBrief]:
    """本人辖区内的部门 (供用户管理选择所属部门)."""
    rows = departments.list_departments(session, region_prefix=principal.region_code)
    return [DepartmentBrief(code=d.code, name=d.name, region_code=d.region_code) for d in rows]


@router.get("/roles", summary="列出角色", response_model=list[RoleRead])
def list_roles(session: DbSession, _: UserReader) -> list[RoleRead]:
    """全部角色 (内置与自定义) 及其权限代码."""
    roles.ensure_builtin_roles(session)
    return [role_read(r) for r in queries.list_roles(session)]


@router.post("/roles", summary="新建角色", response_model=RoleRead, status_code=201)
def create_role(body: RoleCreate, session: DbSession, _: RoleManager) -> RoleRead:
    """新建自定义角色 (一个角色不能混合两种管理员职责的权限)."""
    role = roles.create_role(
        session, name=body.name, title_zh=body.title_zh, codes=body.permissions
    )
    return role_read(role)


@router.put("/roles/{name}/permissions", summary="设置角色权限", response_model=RoleRead)
def set_role_permissions(
    name: RoleName, body: RolePermissionsUpdate, session: DbSession, _: RoleManager
) -> RoleRead:
    """设置自定义角色的权限代码 (内置角色不可修改)."""
    return role_read(roles.set_role_permissions(session, name=name, codes=body.permissions))


@router.get("/permissions", summary="权限代码目录", response_model=list[PermissionRead])
def list_permissions(_: UserReader) -> list[PermissionRead]:
    """权限代码目录."""
    return [PermissionRead(code=c, title_zh=t) for c, t in sorted(permissions.CATALOGUE.items())]


@router.get("/apikeys", summary="检索 API 密钥", response_model=ApiKeyPage)
def search_api_keys(
    session: DbSession,
    principal: ApiKeyManager,
    page: Annotated[PageParams, Depends()],
) -> ApiKeyPage:
    """本人辖区内的 API 密钥 (只显示前缀)."""
    rows, total = queries.search_api_keys(session, scope=principal.region_code, page=page)
    return ApiKeyPage(
        items=[api_key_read(k) for k in rows], total=total, page=page.page, size=page.size
    )


@router.post("/apikeys", summary="签发 API 密钥", response_model=ApiKeyCreated, status_code=201)
def create_api_key(
    body: ApiKeyCreate, session: DbSession, principal: ApiKeyManager
) -> ApiKeyCreated:
    """为部门系统签发 API 密钥 (完整密钥只显示这一次)."""
    key, plain = apikeys.create_api_key(
        session,
        name=body.name,
        region_code=body.region_code,
        scopes=body.scopes,
        days=body.days,
        actor=principal,
    )
    return ApiKeyCreated(**api_key_read(key).model_dump(), key=plain)


@router.post("/apikeys/{key_id}/revoke", summary="吊销 API 密钥", response_model=ApiKeyRead)
def revoke_api_key(principal: ApiKeyManager, key: ScopedApiKey, session: DbSession) -> ApiKeyRead:
    """立即吊销 API 密钥."""
    return api_key_read(apikeys.revoke_api_key(session, key=key, actor=principal))
