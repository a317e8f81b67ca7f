"""HTTP adapters of the system administrator's side of the message centre (``messages:admin``):
channels with their encrypted secrets, templates checked in the sandbox, push tags, and the
delivery list with retry. Included under ``/api/v1/messages`` by ``router``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.web import AppSettings
from citybrain.messages import admin, admin_templates, queries_admin, templates
from citybrain.messages.dependencies import Administrator, Config, MessagesSession
from citybrain.messages.schemas import (
    AudienceUser,
    ChannelCreate,
    ChannelPage,
    ChannelRead,
    ChannelTest,
    ChannelTestResult,
    ChannelUpdate,
    MessageDeliveryFilter,
    MessageDeliveryPage,
    MessageDeliveryRead,
    RenderedRead,
    TagCreate,
    TagMembers,
    TagRead,
    TemplateCreate,
    TemplatePreview,
    TemplateRead,
    TemplateUpdate,
)

router = APIRouter()


# -- channels ----------------------------------------------------------------------------------


@router.get(
    "/channels",
    summary="消息渠道列表",
    description="本辖区及上级设立的邮件、群机器人与 Webhook 渠道; 地址中的令牌与密钥从不返回。",
    response_model=ChannelPage,
)
def list_channels(
    session: MessagesSession, admin_: Administrator, page: Annotated[PageParams, Query()]
) -> ChannelPage:
    return queries_admin.channels(session, scope=Scope.of(admin_), page=page)


@router.post(
    "/channels",
    summary="新建消息渠道",
    description=(
        "新建邮件 (SMTP)、企业微信/钉钉/飞书群机器人或通用 Webhook 渠道; 地址与密钥加密保存。"
        "地址解析到内网或本机时 403 outbound_refused (管理员放行的网段除外); 公网地址须 https "
        "(422 bad_webhook_url); 名称重复 409 channel_name_taken。"
    ),
    response_model=ChannelRead,
    status_code=status.HTTP_201_CREATED,
)
def create_channel(
    body: ChannelCreate, session: MessagesSession, admin_: Administrator, settings: AppSettings
) -> ChannelRead:
    channel = admin.create_channel(session, spec=body, scope=Scope.of(admin_), settings=settings)
    return queries_admin.channel_read(channel)


@router.get(
    "/channels/{channel_id}",
    summary="消息渠道详情",
    description="一个渠道的配置 (不含地址令牌与密钥); 不存在或不在本辖区 404 channel_not_found。",
    response_model=ChannelRead,
)
def get_channel(channel_id: RowId, session: MessagesSession, admin_: Administrator) -> ChannelRead:
    channel = admin.get_channel(session, channel_id=channel_id, scope=Scope.of(admin_))
    return queries_admin.channel_read(channel)


@router.patch(
    "/channels/{channel_id}",
    summary="修改消息渠道",
    description="修改或停用渠道; 新地址与密钥覆盖旧值, 空密钥清除, 不传不变。上级设立的 403。",
    response_model=ChannelRead,
)
def update_channel(
    channel_id: RowId,
    body: ChannelUpdate,
    session: MessagesSession,
    admin_: Administrator,
    settings: AppSettings,
) -> ChannelRead:
    channel = admin.update_channel(
        session, channel_id=channel_id, changes=body, scope=Scope.of(admin_), settings=settings
    )
    return queries_admin.channel_read(channel)


@router.delete(
    "/channels/{channel_id}",
    summary="删除消息渠道",
    description="删除从未投递过的渠道; 已有投递记录时 409 channel_in_use (请停用)。",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_channel(channel_id: RowId, session: MessagesSession, admin_: Administrator) -> None:
    admin.delete_channel(session, channel_id=channel_id, scope=Scope.of(admin_))


@router.post(
    "/channels/{channel_id}/test",
    summary="测试消息渠道",
    description="立即经该渠道发送一条测试消息 (邮件渠道需填收件地址), 返回是否成功与原因。",
    response_model=ChannelTestResult,
)
def test_channel(
    channel_id: RowId,
    body: ChannelTest,
    session: MessagesSession,
    admin_: Administrator,
    settings: AppSettings,
    config: Config,
) -> ChannelTestResult:
    ok, code, message = admin.test_channel(
        session,
        channel_id=channel_id,
        scope=Scope.of(admin_),
        settings=settings,
        config=config,
        email=body.email,
    )
    return ChannelTestResult(ok=ok, code=code, message=message)


# -- templates ---------------------------------------------------------------------------------


@router.post(
    "/templates",
    summary="新建消息模板",
    description=(
        "新建 Jinja2 沙箱模板; 访问对象属性或内部成员 ({{ ''.__class__ }})、调用函数、使用不允许的"
        "过滤器时 422 template_unsafe, 语法错误 422 template_syntax, 代码重复 409。"
    ),
    response_model=TemplateRead,
    status_code=status.HTTP_201_CREATED,
)
def create_template(
    body: TemplateCreate, session: MessagesSession, admin_: Administrator
) -> TemplateRead:
    row = admin_templates.create_template(session, spec=body, scope=Scope.of(admin_))
    return TemplateRead.model_validate(row)


@router.post(
    "/templates/preview",
    summary="预览消息模板",
    description=(
        "按给定变量渲染模板 (不保存), 校验规则同保存; 缺少变量 422 template_variable_missing。"
    ),
    response_model=RenderedRead,
)
def preview_template(body: TemplatePreview, admin_: Administrator) -> RenderedRead:
    templates.check(body.title_template, body.body_template)
    rendered = templates.render(body.title_template, body.body_template, body.variables)
    return RenderedRead(title=rendered.title, body=rendered.body)


@router.patch(
    "/templates/{template_id}",
    summary="修改消息模板",
    description="修改模板 (保存前同样经沙箱检查); 上级设立的 403, 不存在 404 template_not_found。",
    response_model=TemplateRead,
)
def update_template(
    template_id: RowId, body: TemplateUpdate, session: MessagesSession, admin_: Administrator
) -> TemplateRead:
    row = admin_templates.update_template(
        session, template_id=template_id, changes=body, scope=Scope.of(admin_)
    )
    return TemplateRead.model_validate(row)


@router.delete(
    "/templates/{template_id}",
    summary="删除消息模板",
    description="删除模板; 已用它发出的消息不受影响。",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_template(template_id: RowId, session: MessagesSession, admin_: Administrator) -> None:
    admin_templates.delete_template(session, template_id=template_id, scope=Scope.of(admin_))


# -- tags --------------------------------------------------------------------------------------


@router.post(
    "/tags",
    summary="新建推送标签",
    description="新建推送标签及其成员 (本辖区在用账号), 供按标签精准推送。",
    response_model=TagRead,
    status_code=status.HTTP_201_CREATED,
)
def create_tag(body: TagCreate, session: MessagesSession, admin_: Administrator) -> TagRead:
    tag = admin_templates.create_tag(session, spec=body, scope=Scope.of(admin_))
    return _tag_read(session, tag.id, admin_)


@router.get(
    "/tags/{tag_id}/members",
    summary="推送标签成员",
    description="一个推送标签的成员 (本辖区内); 不存在或不在本辖区 404 tag_not_found。",
    response_model=list[AudienceUser],
)
def tag_members(
    tag_id: RowId, session: MessagesSession, admin_: Administrator
) -> list[AudienceUser]:
    return queries_admin.tag_members(session, tag_id=tag_id, scope=Scope.of(admin_))


@router.put(
    "/tags/{tag_id}/members",
    summary="设置推送标签成员",
    description="以给定账号替换标签成员; 账号须在本辖区内且在用, 否则 403 audience_out_of_scope。",
    response_model=TagRead,
)
def set_tag_members(
    tag_id: RowId, body: TagMembers, session: MessagesSession, admin_: Administrator
) -> TagRead:
    admin_templates.set_tag_members(
        session, tag_id=tag_id, user_ids=body.user_ids, scope=Scope.of(admin_)
    )
    return _tag_read(session, tag_id, admin_)


@router.delete(
    "/tags/{tag_id}",
    summary="删除推送标签",
    description="删除推送标签 (已发消息不受影响); 上级设立的 403。",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_tag(tag_id: RowId, session: MessagesSession, admin_: Administrator) -> None:
    admin_templates.delete_tag(session, tag_id=tag_id, scope=Scope.of(admin_))


def _tag_read(session: MessagesSession, tag_id: int, principal: Administrator) -> TagRead:
    return next(t for t in queries_admin.tags(session, scope=Scope.of(principal)) if t.id == tag_id)


# -- deliveries --------------------------------------------------------------------------------


@router.get(
    "/deliveries",
    summary="投递记录",
    description="本辖区渠道的邮件、群机器人投递记录 (排队、发送中、已发送、失败) 与错误原因。",
    response_model=MessageDeliveryPage,
)
def list_deliveries(
    session: MessagesSession,
    admin_: Administrator,
    filters: Annotated[MessageDeliveryFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> MessageDeliveryPage:
    return queries_admin.deliveries(session, scope=Scope.of(admin_), filters=filters, page=page)


@router.post(
    "/deliveries/{delivery_id}/retry",
    summary="重试投递",
    description="把失败的投递重新排队 (新一轮尝试); 非失败状态 409 delivery_not_failed。",
    response_model=MessageDeliveryRead,
)
def retry_delivery(
    delivery_id: RowId, session: MessagesSession, admin_: Administrator
) -> MessageDeliveryRead:
    row = admin.retry_delivery(session, outbox_id=delivery_id, scope=Scope.of(admin_))
    return queries_admin.delivery_read(session, row.id)
