"""E-mail over SMTP (stdlib ``smtplib``) to the checked address of the configured server.

The server's name is resolved by the platform's outbound rule and the connection made to that
address, while TLS (implicit or STARTTLS) still verifies the certificate against the name. A
server without TLS is accepted only inside a range the administrator opened.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from citybrain.core import outbound
from citybrain.core.errors import BadInput
from citybrain.messages.channels.base import DeliveryError, Outgoing, SmtpSecurity

FOOTER = "—— 本邮件由城市大脑消息中心发送, 请勿直接回复。"


class _Pinned(smtplib.SMTP):
    """SMTP that connects to ``address`` whatever name it is given; the name stays the TLS
    server name (``_host``)."""

    def __init__(self, address: str, **options: Any) -> None:
        self._address = address
        super().__init__(**options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._address, port), timeout, self.source_address)


class _PinnedSSL(smtplib.SMTP_SSL, _Pinned):
    """Implicit TLS over the pinned connection (``SMTP_SSL`` wraps what ``_Pinned`` opens)."""

    def __init__(self, address: str, **options: Any) -> None:
        self._address = address
        smtplib.SMTP_SSL.__init__(self, **options)


def check_server(
    host: str, port: int, security: SmtpSecurity, allowed: Sequence[outbound.IPNetwork]
) -> outbound.IPAddress:
    """The one address of the SMTP server. Raises OutboundRefused, HostUnresolvable, or
    BadInput ``smtp_tls_required`` for a plain server on a public address."""
    ip = outbound.resolve_checked(host, port, allowed)
    if security is SmtpSecurity.none and outbound.unsafe_address_reason(ip) is None:
        raise BadInput(
            "公网邮件服务器必须使用 SSL 或 STARTTLS", code="smtp_tls_required", detail=host
        )
    return ip


def compose(
    item: Outgoing, *, sender: str, sender_name: str, to: str, delivery_id: int
) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = f"【{item.kind_title}】{item.title}"
    mail["From"] = formataddr((sender_name, sender)) if sender_name else sender
    mail["To"] = to
    mail["Message-ID"] = make_msgid(idstring=f"cb{item.message_id}-{delivery_id}")
    mail["X-Citybrain-Delivery"] = str(delivery_id)
    lines = [item.body, ""]
    if item.link:
        lines.append(f"查看详情: {item.link}")
    lines += [f"发送人: {item.sender}    时间: {item.sent_at}", "", FOOTER]
    mail.set_content("\n".join(lines))
    return mail


def send(
    mail: EmailMessage,
    *,
    host: str,
    port: int,
    security: SmtpSecurity,
    username: str,
    password: str,
    allowed: Sequence[outbound.IPNetwork],
    timeout: float,
) -> None:
    """Send ``mail``. Raises DeliveryError: permanent when the server refuses the login, the
    sender or the recipient (5xx), the certificate fails or the address is refused; transient
    for network failures and 4xx answers."""
    try:
        ip = str(check_server(host, port, security, allowed))
    except outbound.OutboundRefused as exc:
        raise DeliveryError(exc.message, code="outbound_refused", permanent=True) from None
    except outbound.HostUnresolvable as exc:
        raise DeliveryError(exc.message, code="host_unresolvable") from None
    except BadInput as exc:
        raise DeliveryError(exc.message, code=exc.code, permanent=True) from None
    context = ssl.create_default_context()
    client: smtplib.SMTP
    try:
        if security is SmtpSecurity.ssl:
            client = _PinnedSSL(ip, timeout=timeout, context=context)
        else:
            client = _Pinned(ip, timeout=timeout)
        with client:
            client.connect(host, port)
            client.ehlo()
            if security is SmtpSecurity.starttls:
                client.starttls(context=context)
                client.ehlo()
            if username:
                client.login(username, password)
            client.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            _said("邮件服务器拒绝登录", exc), code="smtp_auth", permanent=True
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError("邮件服务器拒绝收件人", code="smtp_recipient", permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        permanent = exc.smtp_code >= 500
        raise DeliveryError(
            _said("邮件服务器拒绝", exc), code="smtp_refused", permanent=permanent
        ) from None
    except ssl.SSLCertVerificationError:
        raise DeliveryError(
            f"邮件服务器 {host} 的证书校验失败", code="smtp_certificate", permanent=True
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"连接邮件服务器 {host} 失败: {exc.__class__.__name__}", code="network"
        ) from None


def _said(prefix: str, exc: smtplib.SMTPResponseException) -> str:
    reply = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{prefix}: {exc.smtp_code} {reply[:200]}"
