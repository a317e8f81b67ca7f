"""The request each group robot and the generic webhook expect, with their signatures. Pure.

- 企业微信群机器人: ``{"msgtype": "text"|"markdown", ...}`` to the robot address (its ``key``
  is in the address; no signature). Text is limited to 2048 bytes, markdown to 4096.
- 钉钉自定义机器人 ("加签"): ``timestamp`` in milliseconds and ``sign`` = Base64 of
  HMAC-SHA256 keyed by the secret over ``timestamp + "\\n" + secret``, both added to the address's
  query (URL-encoded).
- 飞书自定义机器人 (签名校验): ``timestamp`` in seconds and ``sign`` = Base64 of HMAC-SHA256
  keyed by ``timestamp + "\\n" + secret`` over an empty message, both in the JSON body.
- generic webhook: the message as JSON; with a secret, ``X-Citybrain-Timestamp`` (seconds) and
  ``X-Citybrain-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``.

Every robot answers 200 with an error code in its body; :func:`robot_error` reads it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from citybrain.messages.channels.base import ChannelKind, MessageFormat, Outgoing

WECOM_TEXT_BYTES = 2048
WECOM_MARKDOWN_BYTES = 4096
DINGTALK_TEXT_CHARS = 5000
LINK_LABEL = "查看详情"


@dataclass(frozen=True, slots=True)
class RobotRequest:
    """What to POST: query parameters to add to the address, headers and the JSON body."""

    body: dict[str, Any]
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` parameter of a 钉钉 robot (Base64, before URL encoding)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """The ``sign`` field of a 飞书 robot: the key is ``timestamp + "\\n" + secret``, the
    message empty."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def webhook_signature(secret: str, timestamp_s: int, content: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp_s}.".encode() + content, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def _plain(item: Outgoing) -> str:
    lines = [f"【{item.kind_title}】{item.title}", item.body]
    if item.link:
        lines.append(f"{LINK_LABEL}: {item.link}")
    return "\n".join(line for line in lines if line)


def _markdown(item: Outgoing) -> str:
    lines = [f"### {item.title}", f"> {item.kind_title} · {item.sender}", "", item.body]
    if item.link:
        lines += ["", f"[{LINK_LABEL}]({item.link})"]
    return "\n".join(lines)


def wecom(item: Outgoing, fmt: MessageFormat) -> RobotRequest:
    if fmt is MessageFormat.markdown:
        content = _cut_bytes(_markdown(item), WECOM_MARKDOWN_BYTES)
        return RobotRequest({"msgtype": "markdown", "markdown": {"content": content}})
    content = _cut_bytes(_plain(item), WECOM_TEXT_BYTES)
    return RobotRequest({"msgtype": "text", "text": {"content": content}})


def dingtalk(item: Outgoing, fmt: MessageFormat, *, secret: str, now_ms: int) -> RobotRequest:
    if fmt is MessageFormat.markdown:
        body: dict[str, Any] = {
            "msgtype": "markdown",
            "markdown": {"title": item.title, "text": _markdown(item)[:DINGTALK_TEXT_CHARS]},
        }
    else:
        body = {"msgtype": "text", "text": {"content": _plain(item)[:DINGTALK_TEXT_CHARS]}}
    params = {"timestamp": str(now_ms), "sign": dingtalk_sign(secret, now_ms)} if secret else {}
    return RobotRequest(body, params=params)


def feishu(item: Outgoing, fmt: MessageFormat, *, secret: str, now_s: int) -> RobotRequest:
    if fmt is MessageFormat.markdown:
        rows: list[list[dict[str, str]]] = [
            [{"tag": "text", "text": line}] for line in item.body.splitlines() or [""]
        ]
        if item.link:
            rows.append([{"tag": "a", "text": LINK_LABEL, "href": item.link}])
        body: dict[str, Any] = {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": item.title, "content": rows}}},
        }
    else:
        body = {"msg_type": "text", "content": {"text": _plain(item)}}
    if secret:
        body = {"timestamp": str(now_s), "sign": feishu_sign(secret, now_s), **body}
    return RobotRequest(body)


def generic(item: Outgoing, *, secret: str, now_s: int, delivery_id: int) -> RobotRequest:
    body = {
        "id": item.message_id,
        "kind": item.kind,
        "kind_title": item.kind_title,
        "title": item.title,
        "body": item.body,
        "link": item.link,
        "sender": item.sender,
        "sent_at": item.sent_at,
    }
    request = RobotRequest(body, headers={"X-Citybrain-Delivery": str(delivery_id)})
    if secret:
        request.headers["X-Citybrain-Timestamp"] = str(now_s)
        request.headers["X-Citybrain-Signature"] = webhook_signature(
            secret, now_s, request.content()
        )
    return request


# Error codes a robot answers when it is only busy: the attempt is retried with back-off.
# Every other non-zero code (a wrong secret, a removed robot, a missing keyword) is final.
TRANSIENT_CODES: dict[ChannelKind, frozenset[int]] = {
    ChannelKind.wecom: frozenset({-1, 45009}),
    ChannelKind.dingtalk: frozenset({-1, 130101}),
    ChannelKind.feishu: frozenset({9499, 11232, 11233}),
}


def robot_error(kind: ChannelKind, answer: bytes) -> tuple[int, str] | None:
    """The robot's (code, message) when its answer reports an error, else None. A robot's
    answer that is not JSON is taken as an error (code -1)."""
    try:
        data = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return -1, answer[:200].decode("utf-8", errors="replace")
    if not isinstance(data, dict):
        return -1, str(data)[:200]
    code: Any
    if kind is ChannelKind.feishu:
        code = data.get("code", data.get("StatusCode", 0))
        message = data.get("msg", data.get("StatusMessage", ""))
    else:
        code, message = data.get("errcode", 0), data.get("errmsg", "")
    try:
        number = int(str(code))
    except (TypeError, ValueError):
        return -1, str(code)[:200]
    return None if number == 0 else (number, str(message)[:200])
