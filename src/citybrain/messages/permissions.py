"""Permission codes of the message centre. Reading one's own inbox needs only a sign-in; sending
(精准推送) is for the bureau, the command centre and leaders; channels (e-mail servers, group
robots with their secrets), templates and tags are system administration."""

from __future__ import annotations

from citybrain.core.audit.titles import (
    register_actions,
    register_detail_labels,
    register_object_types,
)
from citybrain.core.permissions import declare

SEND = "messages:send"
ADMIN = "messages:admin"

declare(
    "messages",
    {SEND: "发送消息 (精准推送)", ADMIN: "管理消息渠道、模板与标签"},
    granted_to={SEND: {"analyst", "commander", "leader"}, ADMIN: {"sysadmin"}},
)

register_actions(
    {
        "messages.send": "发送消息",
        "messages.channel.create": "新建消息渠道",
        "messages.channel.update": "修改消息渠道",
        "messages.channel.delete": "删除消息渠道",
        "messages.channel.test": "测试消息渠道",
        "messages.template.create": "新建消息模板",
        "messages.template.update": "修改消息模板",
        "messages.template.delete": "删除消息模板",
        "messages.tag.create": "新建推送标签",
        "messages.tag.members": "设置推送标签成员",
        "messages.tag.delete": "删除推送标签",
        "messages.delivery.retry": "重试消息投递",
        "messages.contact.update": "设置本人通知邮箱",
    }
)
register_object_types(
    {
        "message": "消息",
        "message_channel": "消息渠道",
        "message_template": "消息模板",
        "message_tag": "推送标签",
        "message_outbox": "消息投递",
        "message_contact": "通知邮箱",
    }
)
register_detail_labels(
    {
        "recipient_count": "接收人数",
        "audience": "接收范围",
        "channels": "渠道",
        "template": "模板",
        "secret_changed": "密钥已更换",
        "url_changed": "地址已更换",
    }
)
