"""Pure rules of the message centre: kinds, links, region reach. No session, no I/O."""

from __future__ import annotations

import re
from enum import StrEnum

from citybrain.core.errors import BadInput
from citybrain.regions.scope import ancestors, is_within


class MessageKind(StrEnum):
    """What a message is about; the inbox filters and colours by it."""

    notice = "notice"  # 通知公告
    warning = "warning"  # 预警 (indicators' five-colour warnings)
    event = "event"  # 事件 (dispatch, 督办, time limits)
    task = "task"  # 待办
    system = "system"  # 系统


KIND_TITLES: dict[MessageKind, str] = {
    MessageKind.notice: "通知公告",
    MessageKind.warning: "预警",
    MessageKind.event: "事件",
    MessageKind.task: "待办",
    MessageKind.system: "系统消息",
}

# An in-app path such as /events/12 or /messages/inbox?id=3: one leading slash (never //host),
# no scheme, no backslash, no control or blank characters.
_LINK = re.compile(r"^/(?![/\\])[^\s\\\x00-\x1f\x7f]{0,499}$")


def check_kind(value: str) -> MessageKind:
    try:
        return MessageKind(value)
    except ValueError:
        raise BadInput(
            f"未知的消息类别: {value}",
            code="bad_message_kind",
            detail=[k.value for k in MessageKind],
        ) from None


def check_link(link: str | None) -> str | None:
    """``link`` must be a path inside the web front end: a message cannot send its reader to
    another site (phishing through an official notice). Empty means none."""
    if link is None or not link.strip():
        return None
    value = link.strip()
    if not _LINK.match(value):
        raise BadInput(
            "消息链接只能是本系统内的页面路径 (以 / 开头, 如 /events/12)",
            code="bad_message_link",
            detail=value[:100],
        )
    return value


def absolute_link(link: str | None, base_url: str) -> str | None:
    """The link as an address outside the platform (e-mail, group robot), or None when no base
    address is configured."""
    if not link or not base_url:
        return None
    return base_url.rstrip("/") + link


def related(scope_code: str, region_code: str) -> bool:
    """``region_code`` lies on the caller's line: its own subtree, or one of its ancestors (a
    channel or template set up by the county serves every township below it)."""
    if not scope_code:
        return False
    return is_within(region_code, scope_code) or region_code in ancestors(scope_code)


def related_codes(scope_code: str) -> list[str]:
    """The ancestors of ``scope_code`` (the part of :func:`related` that is not a subtree)."""
    return ancestors(scope_code) if scope_code else []
