"""JSON over HTTP from a department API, without becoming a way into our own network (SSRF).

Before each request the host is resolved once and every address it resolves to must be public
(the platform's one rule, :mod:`citybrain.core.outbound`);
the request then goes to that checked address (Host header and TLS SNI keep the name), so a DNS
answer that changes between check and connect (rebinding) cannot redirect it. Redirects are
followed by hand and each target is checked again. Proxies from the environment are ignored, as
a proxy would resolve the name itself.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import httpx

from citybrain.core import outbound
from citybrain.core.outbound import IPAddress, IPNetwork

from ._encoding import detect_encoding, encoding_label, normalise_codec
from .base import BAD_ENCODING, HTTP_ERROR, TOO_LARGE, UNSAFE_URL, ConnectorError, RowErrorPolicy
from .json_source import JsonRecords, iter_json_document, iter_json_lines

MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}


def resolve_checked(url: httpx.URL, allowed_networks: Sequence[IPNetwork] = ()) -> IPAddress:
    """Resolve the URL's host and return the address to connect to, by the platform's one
    outbound rule (:mod:`citybrain.core.outbound`).

    Raises ConnectorError(unsafe_url) for a non-http(s) scheme or if ANY resolved address is not
    public and not inside `allowed_networks`; ConnectorError(http_error) if the name does not
    resolve.
    """
    if url.scheme not in {"http", "https"} or not url.host:
        raise ConnectorError(UNSAFE_URL, f"只允许 http 或 https 地址：{url}")
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        return outbound.resolve_checked(host, port, allowed_networks)
    except outbound.HostUnresolvable as exc:
        raise ConnectorError(HTTP_ERROR, f"无法解析域名 {url.host}") from exc
    except outbound.OutboundRefused as exc:
        raise ConnectorError(UNSAFE_URL, exc.message) from exc


class _Hop(NamedTuple):
    url: httpx.URL
    method: str
    body: object


class HttpJsonConnector(JsonRecords):
    def __init__(
        self,
        url: str,
        *,
        records_path: str | None = None,
        lines: bool = False,
        method: str = "GET",
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: object = None,
        timeout: float = 30.0,
        max_bytes: int = MAX_RESPONSE_BYTES,
        max_redirects: int = 3,
        allowed_networks: Sequence[IPNetwork | str] = (),
        ssl_context: ssl.SSLContext | None = None,
        row_errors: RowErrorPolicy = "raise",
    ) -> None:
        """`timeout` bounds the whole fetch; `allowed_networks` opens private ranges that an
        administrator has approved (an internal 政务外网 segment, or 127.0.0.0/8 in tests);
        `ssl_context` trusts a private CA (default: the system trust store, verified)."""
        super().__init__(row_errors=row_errors)
        self.url = httpx.URL(url, params=params) if params else httpx.URL(url)
        self.records_path = records_path
        self._lines = lines
        self._method = method.upper()
        self._headers = dict(headers or {})
        self._json_body = json_body
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._allowed = outbound.parse_networks(allowed_networks)
        self._ssl = ssl_context
        self._body: tuple[bytes, str | None] | None = None

    def fetch(self) -> tuple[bytes, str | None]:
        """Body and declared charset, fetched once.

        Raises ConnectorError(unsafe_url | http_error | too_large)."""
        if self._body is None:
            self._body = self._fetch()
        return self._body

    def _fetch(self) -> tuple[bytes, str | None]:
        deadline = time.monotonic() + self._timeout
        hop = _Hop(self.url, self._method, self._json_body)
        for _ in range(self._max_redirects + 1):
            outcome = self._request(hop, deadline)
            if not isinstance(outcome, _Hop):
                return outcome
            hop = outcome
        raise ConnectorError(HTTP_ERROR, f"重定向超过 {self._max_redirects} 次：{self.url}")

    def _request(self, hop: _Hop, deadline: float) -> _Hop | tuple[bytes, str | None]:
        """One request: the next hop on a redirect, else (body, declared charset)."""
        url = hop.url
        ip = resolve_checked(url, self._allowed)
        pinned = url.copy_with(host=str(ip))
        headers = {**self._headers, "Host": _host_header(url), "Accept": "application/json"}
        sni = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
        timeout = httpx.Timeout(max(deadline - time.monotonic(), 0.001))
        # A fresh client per hop: a pooled TLS connection made for one name must not serve another.
        verify = self._ssl or _system_ssl_context()
        with httpx.Client(
            trust_env=False, follow_redirects=False, timeout=timeout, verify=verify
        ) as client:
            request = client.build_request(
                hop.method, pinned, headers=headers, json=hop.body, extensions=sni
            )
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise ConnectorError(HTTP_ERROR, f"请求 {url} 失败：{exc!r}") from exc
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    keep = response.status_code in {307, 308}  # others turn into a plain GET
                    return _Hop(
                        url.join(response.headers["location"]),
                        hop.method if keep else "GET",
                        hop.body if keep else None,
                    )
                if response.status_code >= 400:
                    raise ConnectorError(
                        HTTP_ERROR,
                        f"{url} 返回 HTTP {response.status_code} {response.reason_phrase}",
                    )
                return self._read(response, url, deadline), response.charset_encoding
            finally:
                response.close()

    def _read(self, response: httpx.Response, url: httpx.URL, deadline: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(url)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():  # decompressed: a gzip bomb hits the limit too
                size += len(chunk)
                if size > self._max_bytes:
                    raise self._too_large(url)
                if time.monotonic() > deadline:
                    raise ConnectorError(HTTP_ERROR, f"读取 {url} 超时（{self._timeout} 秒）")
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise ConnectorError(HTTP_ERROR, f"读取 {url} 失败：{exc!r}") from exc
        return b"".join(chunks)

    def _too_large(self, url: httpx.URL) -> ConnectorError:
        return ConnectorError(TOO_LARGE, f"{url} 的响应超过上限 {self._max_bytes} 字节")

    def _items(self) -> Iterator[tuple[int, object]]:
        data, charset = self.fetch()
        codec, bom = _declared_codec(charset) or detect_encoding(data, at_eof=True)
        try:
            text = data[bom:].decode(codec)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ConnectorError(
                BAD_ENCODING, f"{self.url} 的响应不是 {encoding_label(codec)} 编码"
            ) from exc
        if self._lines:
            yield from iter_json_lines(iter(text.encode("utf-8").splitlines()), "utf-8")
        else:
            yield from iter_json_document(text.lstrip("\ufeff"), self.records_path)


def _declared_codec(charset: str | None) -> tuple[str, int] | None:
    """The codec the server declared (GBK widened to GB18030), if Python knows it."""
    try:
        return (normalise_codec(charset), 0) if charset else None
    except ConnectorError:
        return None  # an unknown charset: let the bytes speak


@functools.cache
def _system_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _host_header(url: httpx.URL) -> str:
    host = url.raw_host.decode("ascii")
    host = f"[{host}]" if ":" in host else host
    return host if url.port is None else f"{host}:{url.port}"
