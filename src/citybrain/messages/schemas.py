"""Pydantic shapes of the message centre. Channel secrets go in and never come out: a read says
only whether one is set."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from citybrain.core.pagination import MAX_ID, Page
from citybrain.messages.audience import MAX_SELECTORS, Audience
from citybrain.messages.channels.base import ChannelKind, MessageFormat, SmtpSecurity
from citybrain.messages.rules import MessageKind

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(max_length=20_000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
RegionCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=15)]
Secret = Annotated[SecretStr, Field(json_schema_extra={"writeOnly": True})]
TemplateText = Annotated[str, StringConstraints(max_length=20_000)]


class AudienceSpec(BaseModel):
    """接收范围: 指定用户 ∪ (区划/网格/标签 ∩ 角色), 均限于发送人辖区内的在用账号。"""

    model_config = ConfigDict(extra="forbid")

    users: list[Id] = Field(default_factory=list, max_length=MAX_SELECTORS, description="用户编号")
    roles: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=MAX_SELECTORS, description="角色代码, 如 gridworker"
    )
    regions: list[RegionCode] = Field(
        default_factory=list, max_length=MAX_SELECTORS, description="区划代码 (含其下级)"
    )
    grids: list[RegionCode] = Field(
        default_factory=list, max_length=MAX_SELECTORS, description="网格代码"
    )
    tags: list[Id] = Field(default_factory=list, max_length=MAX_SELECTORS, description="标签编号")

    def to_audience(self) -> Audience:
        return Audience(
            users=tuple(self.users),
            roles=tuple(self.roles),
            regions=tuple(self.regions),
            grids=tuple(self.grids),
            tags=tuple(self.tags),
        )


class MessageSend(BaseModel):
    """Either ``title`` and ``body``, or ``template_id`` with ``variables``."""

    model_config = ConfigDict(extra="forbid")

    audience: AudienceSpec
    kind: MessageKind | None = Field(None, description="消息类别; 默认为模板的类别或 notice")
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    body: Body = ""
    link: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="本系统内的页面路径, 如 /events/12"
    )
    template_id: Id | None = None
    variables: dict[str, Any] = Field(default_factory=dict, description="模板变量")
    channel_ids: list[Id] = Field(
        default_factory=list, max_length=20, description="站内信之外的渠道 (邮件、群机器人)"
    )


class MessageSent(BaseModel):
    id: int
    recipient_count: int = Field(description="站内信接收人数")
    outbox_count: int = Field(description="排队投递到邮件、群机器人的条数")


class AudiencePreview(BaseModel):
    count: int
    sample: list[str] = Field(description="前 20 位接收人的姓名")


class InboxItem(BaseModel):
    message_id: int
    kind: str
    kind_title: str
    title: str
    sender_name: str
    created_at: datetime
    read_at: datetime | None
    link: str | None


class InboxPage(Page[InboxItem]):
    unread: int = Field(description="未读总数")


class InboxFilter(BaseModel):
    unread: bool | None = Field(None, description="只看未读 (true) 或已读 (false)")
    kind: MessageKind | None = None
    q: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, description="标题包含"
    )


class InboxDetail(InboxItem):
    body: str


class UnreadCount(BaseModel):
    unread: int


class ReadResult(BaseModel):
    changed: int = Field(description="本次标记为已读的条数")
    unread: int


class SentItem(BaseModel):
    id: int
    kind: str
    kind_title: str
    title: str
    created_at: datetime
    recipient_count: int
    read_count: int
    channel_names: list[str]


class SentPage(Page[SentItem]):
    pass


class MessageDeliveryCount(BaseModel):
    state: str
    count: int


class SentDetail(SentItem):
    body: str
    link: str | None
    audience: dict[str, Any]
    deliveries: list[MessageDeliveryCount]


class ReceiptRead(BaseModel):
    user_id: int
    username: str
    display_name: str
    region_code: str
    delivered_at: datetime
    read_at: datetime | None


class ReceiptPage(Page[ReceiptRead]):
    pass


class ReceiptFilter(BaseModel):
    read: bool | None = Field(None, description="只看已读 (true) 或未读 (false)")


class ContactRead(BaseModel):
    email: str | None = Field(description="本人接收通知的邮箱 (未设置为空)")


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = Field(
        None, description="邮箱; 空值清除"
    )


# -- channels ----------------------------------------------------------------------------------


class ChannelCreate(BaseModel):
    """E-mail: ``smtp_host``, ``smtp_port``, ``smtp_security``, ``smtp_username``,
    ``from_address`` and the password in ``secret``. Robots and webhooks: ``url`` (it holds the
    access token, so it is stored encrypted), the signing secret in ``secret`` (钉钉 加签,
    飞书 签名校验, webhook HMAC) and ``format``."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Name
    kind: ChannelKind
    region_code: RegionCode | None = Field(None, description="所属区划, 默认本人所在区划")
    enabled: bool = True
    url: Annotated[SecretStr, Field(json_schema_extra={"writeOnly": True})] | None = Field(
        None, description="机器人或 Webhook 地址 (只写不读)"
    )
    secret: Secret | None = Field(None, description="签名密钥或 SMTP 密码 (只写不读)")
    format: MessageFormat = MessageFormat.markdown
    smtp_host: Annotated[str, StringConstraints(max_length=253)] = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.ssl
    smtp_username: Annotated[str, StringConstraints(max_length=254)] = ""
    from_address: Annotated[str, StringConstraints(max_length=254)] = ""
    from_name: Annotated[str, StringConstraints(max_length=64)] = "城市大脑消息中心"


class ChannelUpdate(BaseModel):
    """Only the fields given change; ``url`` / ``secret``: a new value replaces the stored one,
    an empty ``secret`` clears it, leaving them out keeps them."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Name | None = None
    enabled: bool | None = None
    url: Annotated[SecretStr, Field(json_schema_extra={"writeOnly": True})] | None = None
    secret: Secret | None = None
    format: MessageFormat | None = None
    smtp_host: Annotated[str, StringConstraints(max_length=253)] | None = None
    smtp_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    smtp_security: SmtpSecurity | None = None
    smtp_username: Annotated[str, StringConstraints(max_length=254)] | None = None
    from_address: Annotated[str, StringConstraints(max_length=254)] | None = None
    from_name: Annotated[str, StringConstraints(max_length=64)] | None = None


class ChannelRead(BaseModel):
    id: int
    name: str
    kind: str
    kind_title: str
    region_code: str
    enabled: bool
    target: str = Field(description="目标主机 (地址中的令牌从不返回)")
    url_set: bool
    secret_set: bool
    format: str
    smtp_port: int | None = None
    smtp_security: str | None = None
    smtp_username: str = ""
    from_address: str = ""
    from_name: str = ""
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class ChannelPage(Page[ChannelRead]):
    pass


class ChannelOption(BaseModel):
    id: int
    name: str
    kind: str
    kind_title: str


class ChannelTestResult(BaseModel):
    ok: bool
    code: str = ""
    message: str = ""


class ChannelTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = Field(
        None, description="邮件渠道: 测试邮件的收件地址"
    )


# -- templates ---------------------------------------------------------------------------------


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Name
    kind: MessageKind = MessageKind.notice
    region_code: RegionCode | None = None
    title_template: TemplateText
    body_template: TemplateText


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: MessageKind | None = None
    title_template: TemplateText | None = None
    body_template: TemplateText | None = None


class TemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    region_code: str
    title_template: str
    body_template: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class TemplatePreview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_template: TemplateText
    body_template: TemplateText
    variables: dict[str, Any] = Field(default_factory=dict)


class RenderedRead(BaseModel):
    title: str
    body: str


# -- tags --------------------------------------------------------------------------------------


class TagCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    region_code: RegionCode | None = None
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    user_ids: list[Id] = Field(default_factory=list, max_length=5000)


class TagMembers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_ids: list[Id] = Field(max_length=5000)


class TagRead(BaseModel):
    id: int
    name: str
    region_code: str
    description: str
    member_count: int


class AudienceUser(BaseModel):
    id: int
    username: str
    display_name: str
    region_code: str


class AudienceRole(BaseModel):
    name: str
    title: str


# -- deliveries --------------------------------------------------------------------------------


class MessageDeliveryRead(BaseModel):
    id: int
    message_id: int
    message_title: str
    channel_id: int
    channel_name: str
    user_id: int | None
    state: str
    attempts: int
    last_error: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class MessageDeliveryPage(Page[MessageDeliveryRead]):
    pass


class MessageDeliveryFilter(BaseModel):
    state: Literal["queued", "sending", "sent", "failed"] | None = None
    channel_id: Id | None = None
