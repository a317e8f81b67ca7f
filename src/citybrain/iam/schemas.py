"""Request and answer shapes of the iam API (Pydantic only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from citybrain.core.pagination import MAX_PAGE, Page


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(None, max_length=16, description="六位动态口令; 已绑定时必填")


class OidcExchange(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="回调给出的一次性登录凭据")


class LoginRead(BaseModel):
    token: str = Field(description="以 Authorization: Bearer <token> 使用")
    expires_at: datetime = Field(description="会话最长有效期截止时间 (另有空闲超时)")
    idle_minutes: int
    must_change_password: bool = Field(description="须先修改密码, 其余功能暂不可用")
    totp_setup_required: bool = Field(description="管理员须先绑定动态口令, 其余功能暂不可用")


class RoleBrief(BaseModel):
    name: str
    title_zh: str


class MeRead(BaseModel):
    kind: str
    id: int
    username: str
    display_name: str
    region_code: str
    region_name: str
    department_code: str | None = Field(description="所属部门编码; 大数据局人员和管理员为空")
    department_name: str | None = Field(description="所属部门名称")
    roles: list[RoleBrief]
    permissions: list[str]
    permission_titles: dict[str, str] = Field(
        default_factory=dict, description="权限代码 → 中文名称 (页面显示名称, 代码附后)"
    )
    must_change_password: bool
    totp_setup_required: bool
    totp_enabled: bool


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PasswordPolicyRead(BaseModel):
    profile: str
    min_length: int
    character_classes: int
    max_age_days: int | None
    history: int
    lockout_threshold: int
    lockout_minutes: int
    session_idle_minutes: int
    session_max_hours: int


class TotpEnrolRead(BaseModel):
    secret: str = Field(description="Base32 密钥 (只显示这一次)")
    otpauth_uri: str = Field(description="供身份验证器 App 扫码的 otpauth:// 地址")


class TotpConfirm(BaseModel):
    code: str = Field(min_length=6, max_length=8)


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    region_code: str = Field(min_length=2, max_length=15)
    roles: list[str] = Field(default_factory=list, max_length=16)
    display_name: str = Field("", max_length=64)
    department_code: str | None = Field(
        None, max_length=32, description="所属部门 (须在该用户辖区内); 大数据局人员留空"
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    region_code: str
    region_name: str = Field("", description="所属区划名称 (未载入区划时为空)")
    department_code: str | None
    department_name: str | None
    is_active: bool
    must_change_password: bool
    totp_enabled: bool
    locked_until: datetime | None
    password_changed_at: datetime
    created_at: datetime
    roles: list[RoleBrief]
    oidc: bool = Field(description="由统一身份认证 (OIDC) 创建的账号")


class UserFilter(BaseModel):
    q: str | None = Field(None, max_length=64, description="用户名或姓名包含")
    region_code: str | None = Field(None, description="只看该区划 (须在本人辖区内) 下的用户")
    role: str | None = None
    is_active: bool | None = None
    page: int = Field(1, ge=1, le=MAX_PAGE)
    size: int = Field(20, ge=1, le=200)


UserPage = Page[UserRead]


class DepartmentBrief(BaseModel):
    code: str
    name: str
    region_code: str


class UserDepartmentUpdate(BaseModel):
    department_code: str | None = Field(None, max_length=32, description="留空表示不属于任何部门")


class UserRolesUpdate(BaseModel):
    roles: list[str] = Field(max_length=16)


class PasswordResetRead(BaseModel):
    password: str = Field(description="一次性密码 (只显示这一次, 登录后须修改)")


class PermissionRead(BaseModel):
    code: str
    title_zh: str


class RoleRead(BaseModel):
    name: str
    title_zh: str
    builtin: bool
    permissions: list[str]


class RoleCreate(BaseModel):
    name: str = Field(min_length=2, max_length=32)
    title_zh: str = Field(min_length=1, max_length=64)
    permissions: list[str] = Field(default_factory=list, max_length=64)


class RolePermissionsUpdate(BaseModel):
    permissions: list[str] = Field(max_length=64)


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    region_code: str = Field(min_length=2, max_length=15)
    scopes: list[str] = Field(min_length=1, max_length=64)
    days: int = Field(180, ge=1, le=730)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    key_prefix: str
    region_code: str
    scopes: list[str]
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    created_by: str
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="完整密钥 (只显示这一次), 以 X-API-Key 请求头发送")


ApiKeyPage = Page[ApiKeyRead]
