"""HTTP adapters of the message centre under ``/api/v1/messages``: one's own inbox and its live
stream (signed in only), sending and read receipts (``messages:send``); the administrator's
routes are in ``router_admin``. Each handler parses, authorises, makes one call, answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.sse import EventSourceResponse, ServerSentEvent

from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require_any
from citybrain.core.web import AppSettings, DbSession, exempt_from_admission
from citybrain.iam.resolver import SESSION_ID_STATE
from citybrain.messages import live, queries, queries_admin, service
from citybrain.messages.dependencies import (
    Config,
    InboxOwner,
    MessagesSession,
    RequestDone,
    Sender,
)
from citybrain.messages.permissions import ADMIN, SEND
from citybrain.messages.router_admin import router as admin_router
from citybrain.messages.rules import MessageKind
from citybrain.messages.schemas import (
    AudiencePreview,
    AudienceRole,
    AudienceSpec,
    AudienceUser,
    ChannelOption,
    ContactRead,
    ContactUpdate,
    InboxDetail,
    InboxFilter,
    InboxPage,
    MessageSend,
    MessageSent,
    ReadResult,
    ReceiptFilter,
    ReceiptPage,
    SentDetail,
    SentPage,
    TagRead,
    TemplateRead,
    UnreadCount,
)

PREFIX = "/api/v1/messages"
STREAM_PATH = PREFIX + "/stream"
router = APIRouter(prefix=PREFIX, tags=["messages"])
SenderOrAdmin = Annotated[Principal, Depends(require_any(SEND, ADMIN))]

# The stream stays open for as long as the page does: it must not hold one of the request slots
# that ration the database (core.web); its own reads are one small poll per process.
exempt_from_admission(STREAM_PATH)


# -- the inbox ---------------------------------------------------------------------------------


@router.get(
    "/inbox",
    summary="我的消息",
    description="本人收件箱, 新消息在前, 可按未读、类别、标题筛选; 同时返回未读总数。只需登录。",
    response_model=InboxPage,
)
def inbox(
    session: DbSession,
    owner: InboxOwner,
    filters: Annotated[InboxFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> InboxPage:
    return queries.inbox(session, user_id=owner.id, filters=filters, page=page)


@router.get(
    "/inbox/unread-count",
    summary="未读消息数",
    description="本人未读消息条数 (页头角标); 实时更新请用消息流 /stream。只需登录。",
    response_model=UnreadCount,
)
def unread(session: DbSession, owner: InboxOwner) -> UnreadCount:
    return UnreadCount(unread=service.unread_count(session, user_id=owner.id))


@router.post(
    "/inbox/read-all",
    summary="全部标为已读",
    description="把本人全部未读消息标为已读, 返回标记条数与剩余未读数。只需登录。",
    response_model=ReadResult,
)
def read_all(session: DbSession, owner: InboxOwner) -> ReadResult:
    changed, left = service.mark_read(session, user_id=owner.id, message_ids=None)
    return ReadResult(changed=changed, unread=left)


@router.get(
    "/inbox/{message_id}",
    summary="消息详情",
    description=(
        "本人收件箱中的一条消息 (含正文); 不在本人收件箱时 404 message_not_found。只需登录。"
    ),
    response_model=InboxDetail,
)
def inbox_detail(message_id: RowId, session: DbSession, owner: InboxOwner) -> InboxDetail:
    return queries.inbox_detail(session, user_id=owner.id, message_id=message_id)


@router.post(
    "/inbox/{message_id}/read",
    summary="标为已读",
    description="把本人的一条消息标为已读 (已读回执, 只记第一次阅读时间); 不在本人收件箱时 404。",
    response_model=ReadResult,
)
def read_one(message_id: RowId, session: DbSession, owner: InboxOwner) -> ReadResult:
    changed, left = service.mark_read(session, user_id=owner.id, message_ids=[message_id])
    return ReadResult(changed=changed, unread=left)


@router.get(
    "/stream",
    summary="消息实时推送 (SSE)",
    description=(
        "服务器推送事件流 (text/event-stream): 先推送一次未读数, 之后未读数变化时推送 unread "
        "事件 (新消息到达时带最新一条); 会话注销、过期或账号停用时推送 end 事件并结束。"
        "浏览器用 fetch 携带 Authorization 头读取。只需登录。"
    ),
    response_class=EventSourceResponse,
)
async def stream(
    request: Request, owner: InboxOwner, config: Config, done: RequestDone
) -> AsyncIterator[ServerSentEvent]:
    factory = request.app.state.session_factory
    broker = live.broker_for(request.app.state, factory, config)
    session_id = getattr(request.state, SESSION_ID_STATE, None)
    deadline = asyncio.get_running_loop().time() + config.stream_max_seconds
    await anyio.to_thread.run_sync(done.wait, 30)
    async with broker.subscribe(owner.id, session_id) as subscription:
        first = await broker.snapshot(owner.id)
        subscription.unread = first.unread
        yield _event(first, retry=5000)
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                update = await asyncio.wait_for(subscription.queue.get(), timeout=max(left, 0))
            except TimeoutError:
                yield ServerSentEvent(
                    event="end", data={"code": "stream_timeout", "reconnect": True}
                )
                return
            yield _event(update)
            if update.event == "end":
                return


def _event(update: live.Update, *, retry: int | None = None) -> ServerSentEvent:
    if update.event == "end":
        data: dict[str, object] = {
            "code": update.code,
            "message": update.message,
            "reconnect": False,
        }
    else:
        newest = update.newest.model_dump(mode="json") if update.newest is not None else None
        data = {"unread": update.unread, "newest": newest}
    return ServerSentEvent(event=update.event, data=data, retry=retry)


@router.get(
    "/me/contact",
    summary="我的通知邮箱",
    description="本人接收邮件通知的邮箱 (加密保存)。只需登录。",
    response_model=ContactRead,
)
def get_contact(session: DbSession, owner: InboxOwner, settings: AppSettings) -> ContactRead:
    return ContactRead(email=service.get_contact(session, user_id=owner.id, settings=settings))


@router.put(
    "/me/contact",
    summary="设置我的通知邮箱",
    description="设置或清除 (空值) 本人接收邮件通知的邮箱; 格式不正确 422 bad_email。只需登录。",
    response_model=ContactRead,
)
def set_contact(
    body: ContactUpdate, session: DbSession, owner: InboxOwner, settings: AppSettings
) -> ContactRead:
    email = service.set_contact(session, user_id=owner.id, email=body.email, settings=settings)
    return ContactRead(email=email)


# -- sending -----------------------------------------------------------------------------------


@router.post(
    "",
    summary="发送消息 (精准推送)",
    description=(
        "按用户、角色、区划 (含下级)、网格、标签推送站内信, 并可经邮件、企业微信/钉钉/飞书"
        "群机器人、"
        "Webhook 投递 (提交后排队发送, 失败按退避重试)。接收范围须在本辖区内, 否则 403 "
        "audience_out_of_scope; 范围内无人 422 audience_no_recipients; 渠道不存在 404 "
        "channel_not_found。"
    ),
    response_model=MessageSent,
    status_code=status.HTTP_201_CREATED,
)
def send(body: MessageSend, session: MessagesSession, sender: Sender) -> MessageSent:
    scope, audience = Scope.of(sender), body.audience.to_audience()
    if body.template_id is not None:
        sent = service.send_templated(
            session,
            scope=scope,
            sender=sender,
            audience=audience,
            template=body.template_id,
            variables=body.variables,
            kind=body.kind,
            link=body.link,
            channels=body.channel_ids,
        )
    else:
        sent = service.send(
            session,
            scope=scope,
            sender=sender,
            audience=audience,
            title=body.title,
            body=body.body,
            kind=body.kind or MessageKind.notice,
            link=body.link,
            channels=body.channel_ids,
        )
    return MessageSent(
        id=sent.message.id, recipient_count=sent.recipient_count, outbox_count=sent.outbox_count
    )


@router.post(
    "/audience/preview",
    summary="预览接收人数",
    description="按接收范围计算接收人数与前 20 位姓名, 不发送; 校验规则同发送。",
    response_model=AudiencePreview,
)
def preview(body: AudienceSpec, session: DbSession, sender: Sender) -> AudiencePreview:
    return queries_admin.preview(session, audience=body.to_audience(), scope=Scope.of(sender))


@router.get(
    "/audience/users",
    summary="可选接收人",
    description="本辖区内在用账号, 按用户名或姓名查找 (最多 50 个), 供选择接收人与标签成员。",
    response_model=list[AudienceUser],
)
def audience_users(
    session: DbSession,
    sender: SenderOrAdmin,
    q: Annotated[str | None, Query(max_length=64, description="用户名或姓名包含")] = None,
) -> list[AudienceUser]:
    return queries_admin.audience_users(session, scope=Scope.of(sender), q=q)


@router.get(
    "/audience/roles",
    summary="可选角色",
    description="全部角色的代码与中文名称, 供发送页按角色推送。",
    response_model=list[AudienceRole],
)
def audience_roles(session: DbSession, sender: SenderOrAdmin) -> list[AudienceRole]:
    return queries_admin.audience_roles(session)


@router.get(
    "/tags",
    summary="推送标签",
    description="本辖区及上级设立的推送标签与成员数。",
    response_model=list[TagRead],
)
def list_tags(session: DbSession, principal: SenderOrAdmin) -> list[TagRead]:
    return queries_admin.tags(session, scope=Scope.of(principal))


@router.get(
    "/channels/options",
    summary="可选投递渠道",
    description="本辖区及上级设立的在用渠道 (编号、名称、类别), 供发送页选择; 不含地址与密钥。",
    response_model=list[ChannelOption],
)
def channel_options(session: DbSession, sender: Sender) -> list[ChannelOption]:
    return queries_admin.channel_options(session, scope=Scope.of(sender))


@router.get(
    "/templates",
    summary="消息模板",
    description="本辖区及上级设立的消息模板 (Jinja2 沙箱模板)。",
    response_model=list[TemplateRead],
)
def list_templates(session: DbSession, principal: SenderOrAdmin) -> list[TemplateRead]:
    return queries_admin.templates(session, scope=Scope.of(principal))


@router.get(
    "/sent",
    summary="我发送的消息",
    description="本人发送的消息, 新的在前, 含接收人数与已读人数。",
    response_model=SentPage,
)
def sent(session: DbSession, sender: Sender, page: Annotated[PageParams, Query()]) -> SentPage:
    return queries.sent(session, sender_id=sender.id if sender.kind == "user" else 0, page=page)


@router.get(
    "/sent/{message_id}",
    summary="已发消息详情",
    description=(
        "本人发送的一条消息: 接收范围、已读人数与各渠道投递状态; 他人发送的 404 message_not_found。"
    ),
    response_model=SentDetail,
)
def sent_detail(message_id: RowId, session: DbSession, sender: Sender) -> SentDetail:
    own = sender.id if sender.kind == "user" else 0
    return queries.sent_detail(session, sender_id=own, message_id=message_id)


@router.get(
    "/sent/{message_id}/receipts",
    summary="已读回执",
    description="本人发送的一条消息的接收人及各自阅读时间, 可只看已读或未读; 他人发送的 404。",
    response_model=ReceiptPage,
)
def receipts(
    message_id: RowId,
    session: DbSession,
    sender: Sender,
    filters: Annotated[ReceiptFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> ReceiptPage:
    own = sender.id if sender.kind == "user" else 0
    return queries.receipts(
        session, sender_id=own, message_id=message_id, filters=filters, page=page
    )


router.include_router(admin_router)
