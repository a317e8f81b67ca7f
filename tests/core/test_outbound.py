"""The one outbound rule: resolve once, refuse non-public answers unless opened, never the
metadata service."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from citybrain.core import outbound
from citybrain.core.config import Settings


def _resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_a_public_answer_is_the_address_to_connect_to(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "8.8.8.8")
    assert outbound.resolve_checked("db.example.com", 5432) == ipaddress.ip_address("8.8.8.8")


def test_one_private_answer_among_public_ones_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "8.8.8.8", "10.0.0.5")
    with pytest.raises(outbound.OutboundRefused) as caught:
        outbound.resolve_checked("rebind.example.com", 5432)
    assert (caught.value.code, caught.value.status_code) == ("outbound_refused", 403)
    assert "10.0.0.5" in caught.value.message


def test_an_opened_range_is_reachable_but_metadata_never() -> None:
    opened = outbound.parse_networks("10.8.0.0/16, 169.254.0.0/16")
    assert outbound.refusal_reason(ipaddress.ip_address("10.8.1.2"), opened) is None
    assert outbound.refusal_reason(ipaddress.ip_address("10.9.1.2"), opened) == "内网地址"
    metadata = ipaddress.ip_address("169.254.169.254")
    assert outbound.refusal_reason(metadata, opened) == outbound.METADATA_REASON


def test_loopback_is_refused_without_resolving_to_anything_else() -> None:
    with pytest.raises(outbound.OutboundRefused):
        outbound.resolve_checked("127.0.0.1", 5432)
    assert outbound.resolve_checked("127.0.0.1", 5432, outbound.parse_networks("127.0.0.1/32"))


def test_an_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(outbound.HostUnresolvable) as caught:
        outbound.resolve_checked("nowhere.invalid", 5432)
    assert caught.value.code == "host_unresolvable"


def test_the_setting_is_checked_at_start_up() -> None:
    assert Settings(outbound_allowed_networks="10.8.0.0/16,127.0.0.1/32")
    with pytest.raises(ValueError, match="CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS"):
        Settings(outbound_allowed_networks="10.8.0.0/16,not-a-network")
