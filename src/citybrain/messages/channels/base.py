"""What every channel shares: its kind, the settings each kind takes, the text it sends and the
error it raises."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChannelKind(StrEnum):
    email = "email"
    wecom = "wecom"  # 企业微信群机器人
    dingtalk = "dingtalk"  # 钉钉自定义机器人
    feishu = "feishu"  # 飞书自定义机器人
    webhook = "webhook"  # generic JSON POST


KIND_TITLES: dict[ChannelKind, str] = {
    ChannelKind.email: "电子邮件",
    ChannelKind.wecom: "企业微信群机器人",
    ChannelKind.dingtalk: "钉钉群机器人",
    ChannelKind.feishu: "飞书群机器人",
    ChannelKind.webhook: "通用 Webhook (JSON)",
}

ROBOT_KINDS = frozenset({ChannelKind.wecom, ChannelKind.dingtalk, ChannelKind.feishu})
WEBHOOK_KINDS = ROBOT_KINDS | {ChannelKind.webhook}


class MessageFormat(StrEnum):
    text = "text"
    markdown = "markdown"  # 企业微信 / 钉钉 markdown, 飞书 post (rich text)


class SmtpSecurity(StrEnum):
    ssl = "ssl"  # implicit TLS, usually port 465
    starttls = "starttls"  # usually port 587
    none = "none"  # plain: only inside an administrator-opened network


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as a channel sends it: plain text, with an absolute link when the
    installation knows its public address."""

    message_id: int
    kind: str
    kind_title: str
    title: str
    body: str
    link: str | None
    sender: str
    sent_at: str  # ISO 8601


class DeliveryError(Exception):
    """A delivery attempt failed. ``permanent``: retrying cannot help (a refused address, a
    robot that rejects the secret); otherwise the attempt is retried with back-off."""

    def __init__(self, message: str, *, code: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.permanent = permanent
