"""POST to a webhook without becoming a way into our own network (the platform's outbound rule,
:mod:`citybrain.core.outbound`, as the HTTP ingest connector applies it).

The host is resolved once, every address must be public or inside a range the administrator
opened (``CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS``), and the request goes to that checked address
(Host header and TLS SNI keep the name). Redirects are not followed, proxies from the
environment are ignored, and plain ``http`` is accepted only for an opened private range (a
robot address carries its access token: it never crosses the internet in clear).
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from citybrain.core import outbound
from citybrain.core.errors import BadInput
from citybrain.messages.channels.base import DeliveryError

MAX_ANSWER_BYTES = 64 * 1024


def check_url(
    url: str, allowed: Sequence[outbound.IPNetwork]
) -> tuple[httpx.URL, outbound.IPAddress]:
    """The parsed address and the one IP to connect to. Raises BadInput ``bad_webhook_url``
    (not http(s), no host, credentials in it, plain http to a public address),
    ``OutboundRefused`` (403) or ``HostUnresolvable`` (422)."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise BadInput("Webhook 地址格式不正确", code="bad_webhook_url") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise BadInput("Webhook 地址只能是 http 或 https 地址", code="bad_webhook_url")
    if parsed.userinfo:
        raise BadInput("Webhook 地址中不得含用户名或密码", code="bad_webhook_url")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    ip = outbound.resolve_checked(host, port, allowed)
    if parsed.scheme == "http" and outbound.unsafe_address_reason(ip) is None:
        raise BadInput(
            "公网 Webhook 地址必须使用 https (地址中含访问令牌, 不得明文传输)",
            code="bad_webhook_url",
        )
    return parsed, ip


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content: bytes


@functools.cache
def _system_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def post(
    url: str,
    *,
    content: bytes,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    allowed: Sequence[outbound.IPNetwork],
    timeout: float,
) -> Answer:
    """POST ``content`` (JSON) to ``url`` with ``params`` added to its query. Raises
    DeliveryError: permanent for a refused address, a 4xx answer (but 408 and 429) or a
    redirect; transient for a name that does not resolve, a network failure, 5xx."""
    try:
        parsed, ip = check_url(url, allowed)
    except outbound.OutboundRefused as exc:
        raise DeliveryError(exc.message, code="outbound_refused", permanent=True) from None
    except outbound.HostUnresolvable as exc:
        raise DeliveryError(exc.message, code="host_unresolvable") from None
    except BadInput as exc:
        raise DeliveryError(exc.message, code=exc.code, permanent=True) from None
    if params:
        parsed = parsed.copy_merge_params(dict(params))
    pinned = parsed.copy_with(host=str(ip))
    host = parsed.raw_host.decode("ascii")
    host_header = f"[{host}]" if ":" in host else host
    if parsed.port is not None:
        host_header = f"{host_header}:{parsed.port}"
    sni = {"sni_hostname": host} if parsed.scheme == "https" else {}
    send_headers = {
        **headers,
        "Host": host_header,
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "citybrain-messages",
    }
    with httpx.Client(
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout),
        verify=_system_ssl_context(),
    ) as client:
        request = client.build_request(
            "POST", pinned, headers=send_headers, content=content, extensions=sni
        )
        try:
            response = client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"连接 {host} 失败: {exc.__class__.__name__}", code="network"
            ) from None
        try:
            body = _read(response)
        finally:
            response.close()
    status = response.status_code
    if 300 <= status < 400:
        raise DeliveryError(
            f"{host} 返回重定向 HTTP {status}, 不跟随", code="webhook_redirect", permanent=True
        )
    if status >= 400:
        permanent = status < 500 and status not in (408, 429)
        raise DeliveryError(
            f"{host} 返回 HTTP {status}", code="webhook_http_error", permanent=permanent
        )
    return Answer(status, body)


def _read(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                break  # the answer is only read for the robot's error code
            chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"读取应答失败: {exc.__class__.__name__}", code="network") from None
    return b"".join(chunks)
