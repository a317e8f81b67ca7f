"""Which addresses the platform may open connections to (HTTP sources, database sources).

A connection that a user can point somewhere is a way into our own network (SSRF): the cloud
metadata service hands out the host's credentials, loopback reaches our own database and Redis,
and the error of a refused connect tells an open port from a closed one. So every outbound
connection resolves its host once, refuses if ANY address is not public, and then connects to
the checked address (never to the name again, which a second DNS answer could change).

An administrator opens named private ranges (an internal 政务外网 segment) with
``CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS``, comma-separated CIDRs such as ``10.8.0.0/16``; the tests
open ``127.0.0.1/32`` that way. Metadata addresses stay refused even inside an opened range.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence

from citybrain.core.errors import BadInput, PermissionDenied

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud instance metadata (AWS, Alibaba Cloud, Tencent Cloud, Huawei Cloud, ...): never allowed,
# not even through the allowed networks, since it hands out the host's credentials.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254")
)
METADATA_REASON = "云服务器元数据地址"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(PermissionDenied):
    """The host resolves to an address outside what the platform may reach. A 403, so the
    refusal is recorded by :mod:`citybrain.core.audit.denials` like any other."""

    def __init__(self, message: str, *, detail: object = None) -> None:
        super().__init__(message, code="outbound_refused", detail=detail)


class HostUnresolvable(BadInput):
    def __init__(self, message: str, *, detail: object = None) -> None:
        super().__init__(message, code="host_unresolvable", detail=detail)


def unsafe_address_reason(address: str | IPAddress) -> str | None:
    """Why an outbound connection to `address` is refused (in Chinese), or None if it is public.

    IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, NAT64, 6to4) are judged by that address.
    """
    ip = ipaddress.ip_address(address.split("%")[0] if isinstance(address, str) else address)
    if ip in METADATA_ADDRESSES:
        return METADATA_REASON
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:a.b.c.d and NAT64 reach exactly the IPv4 host: judge that host alone.
        translated = ip.ipv4_mapped or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        )
        if translated is not None:
            return unsafe_address_reason(translated)
        # 6to4 goes through the embedded IPv4 gateway: both must be public.
        if ip.sixtofour is not None and (reason := unsafe_address_reason(ip.sixtofour)):
            return reason
    checks = (
        (ip.is_unspecified, "未指定地址"),
        (ip.is_loopback, "本机回环地址"),
        (ip.is_link_local, "链路本地地址"),
        (ip.is_multicast, "组播地址"),
        (ip.is_private, "内网地址"),
        (ip.is_reserved, "保留地址"),
        (not ip.is_global, "非公网地址"),  # e.g. 100.64.0.0/10, carrier-grade NAT
    )
    return next((reason for failed, reason in checks if failed), None)


def parse_networks(values: str | Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    """CIDRs from a comma-separated text or a sequence. Raises ValueError on a malformed one."""
    items = values.split(",") if isinstance(values, str) else values
    networks: list[IPNetwork] = []
    for item in items:
        if isinstance(item, str):
            if not item.strip():
                continue
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        else:
            networks.append(item)
    return tuple(networks)


def refusal_reason(ip: IPAddress, allowed_networks: Sequence[IPNetwork] = ()) -> str | None:
    """Why ``ip`` may not be reached under ``allowed_networks``, or None when it may."""
    reason = unsafe_address_reason(ip)
    if reason is None:
        return None
    if reason != METADATA_REASON and any(ip in net for net in allowed_networks):
        return None
    return reason


def resolve_checked(host: str, port: int, allowed_networks: Sequence[IPNetwork] = ()) -> IPAddress:
    """Resolve ``host`` and return the one address to connect to.

    Nothing is sent to ``host``: the answer is the same whether its port is open or closed.
    Raises OutboundRefused if ANY resolved address is refused (a name that resolves to a public
    and a private address could be answered either way at connect time), HostUnresolvable if
    the name does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise HostUnresolvable(f"无法解析主机名 {host}", detail=host) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise HostUnresolvable(f"主机名 {host} 没有地址", detail=host)
    for ip in addresses:
        reason = refusal_reason(ip, allowed_networks)
        if reason is not None:
            raise OutboundRefused(
                f"拒绝连接 {host}：它解析到 {ip}（{reason}），"
                "只能连接公网地址或管理员放行的网段（CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS）",
                detail=host,
            )
    return addresses[0]
