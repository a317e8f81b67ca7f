from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
from ingest_fixtures import Reply, fake_people, self_signed, serve

from citybrain.datahub.ingest.connectors import (
    ConnectorError,
    HttpJsonConnector,
    unsafe_address_reason,
)

LOCAL = ["127.0.0.0/8"]


def body(document: object, encoding: str = "utf-8") -> bytes:
    return json.dumps(document, ensure_ascii=False).encode(encoding)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "内网地址"),
        ("172.16.0.1", "内网地址"),
        ("172.31.255.254", "内网地址"),
        ("192.168.1.1", "内网地址"),
        ("127.0.0.1", "本机回环地址"),
        ("127.255.255.254", "本机回环地址"),
        ("::1", "本机回环地址"),
        ("fe80::1", "链路本地地址"),
        ("fe80::1%eth0", "链路本地地址"),
        ("169.254.1.1", "链路本地地址"),
        ("169.254.169.254", "云服务器元数据地址"),
        ("fd00:ec2::254", "云服务器元数据地址"),
        ("100.100.100.200", "云服务器元数据地址"),
        ("100.64.0.1", "非公网地址"),
        ("100.127.255.254", "非公网地址"),
        ("0.0.0.0", "未指定地址"),  # noqa: S104 - an address to classify, not to bind
        ("::", "未指定地址"),
        ("224.0.0.1", "组播地址"),
        ("ff02::1", "组播地址"),
        ("255.255.255.255", "内网地址"),
        ("240.0.0.1", "内网地址"),
        ("192.0.2.10", "内网地址"),
        ("fc00::1", "内网地址"),
        ("::ffff:127.0.0.1", "本机回环地址"),
        ("::ffff:10.0.0.1", "内网地址"),
        ("::ffff:169.254.169.254", "云服务器元数据地址"),
        ("2002:c0a8:0101::1", "内网地址"),  # 6to4 wrapping 192.168.1.1
        ("64:ff9b::a00:1", "内网地址"),  # NAT64 wrapping 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "云服务器元数据地址"),  # NAT64 wrapping 169.254.169.254
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    assert unsafe_address_reason(address) == reason


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "114.114.114.114",
        "223.5.5.5",
        "2400:3200::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert unsafe_address_reason(address) is None


def test_local_server_is_refused_by_default_and_never_contacted() -> None:
    with serve({"/a.json": Reply(body=b"[]")}) as server:
        with pytest.raises(ConnectorError) as caught:
            HttpJsonConnector(f"{server.base_url}/a.json").columns()
        assert caught.value.code == "unsafe_url"
        assert "127.0.0.1" in caught.value.message_zh
        assert server.requests == []


def test_allowed_network_reads_real_json_from_a_real_server() -> None:
    people = fake_people(2, seed=5)
    document = {"code": 0, "data": {"items": people}}
    with serve({"/api/people?page=1": Reply(body=body(document))}) as server:
        connector = HttpJsonConnector(
            f"{server.base_url}/api/people",
            params={"page": "1"},
            records_path="data.items",
            allowed_networks=LOCAL,
        )
        assert [r.values for r in connector.iter_records()] == people
        assert server.requests == [("/api/people?page=1", f"127.0.0.1:{server.port}")]


def test_connection_is_pinned_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    lookups: list[str] = []

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with serve({"/a.json": Reply(body=b'[{"a": 1}]')}) as server:
        url = f"http://data.minle.example:{server.port}/a.json"
        connector = HttpJsonConnector(url, allowed_networks=LOCAL)
        assert [r.values for r in connector.iter_records()] == [{"a": "1"}]
        # The name is looked up once; the connection then asks only for the checked IP literal,
        # and the server still sees the original name in the Host header.
        assert lookups == ["data.minle.example", "127.0.0.1"]
        assert server.requests == [("/a.json", f"data.minle.example:{server.port}")]


def test_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ConnectorError) as caught:
        HttpJsonConnector("https://rebind.example/data.json").columns()
    assert caught.value.code == "unsafe_url"
    assert "10.0.0.5" in caught.value.message_zh


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.json", "gopher://example.com/"]
)
def test_only_http_schemes(url: str) -> None:
    with pytest.raises(ConnectorError) as caught:
        HttpJsonConnector(url).columns()
    assert caught.value.code == "unsafe_url"


def test_redirect_target_is_checked_again() -> None:
    metadata = Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with serve({"/a.json": metadata}) as server:
        allowed = [*LOCAL, "169.254.0.0/16"]  # even an allow-list cannot open the metadata address
        with pytest.raises(ConnectorError) as caught:
            HttpJsonConnector(f"{server.base_url}/a.json", allowed_networks=allowed).columns()
        assert caught.value.code == "unsafe_url"
        assert "169.254.169.254" in caught.value.message_zh


def test_relative_redirect_is_followed() -> None:
    routes = {
        "/old.json": Reply(301, headers={"Location": "/new.json"}),
        "/new.json": Reply(body=b'[{"v": "ok"}]'),
    }
    with serve(routes) as server:
        connector = HttpJsonConnector(f"{server.base_url}/old.json", allowed_networks=LOCAL)
        assert [r.values for r in connector.iter_records()] == [{"v": "ok"}]
        assert [path for path, _ in server.requests] == ["/old.json", "/new.json"]


def test_redirect_loop_stops() -> None:
    with serve({"/loop": Reply(302, headers={"Location": "/loop"})}) as server:
        with pytest.raises(ConnectorError) as caught:
            HttpJsonConnector(
                f"{server.base_url}/loop", allowed_networks=LOCAL, max_redirects=2
            ).columns()
        assert caught.value.code == "http_error"
        assert len(server.requests) == 3


def test_http_error_status() -> None:
    with serve({"/a.json": Reply(503, b"{}")}) as server:
        with pytest.raises(ConnectorError) as caught:
            HttpJsonConnector(f"{server.base_url}/a.json", allowed_networks=LOCAL).columns()
        assert caught.value.code == "http_error"
        assert "HTTP 503" in caught.value.message_zh


def test_response_over_the_size_limit() -> None:
    with serve({"/big.json": Reply(body=body([{"a": "x" * 1000}] * 20))}) as server:
        with pytest.raises(ConnectorError) as caught:
            HttpJsonConnector(
                f"{server.base_url}/big.json", allowed_networks=LOCAL, max_bytes=5000
            ).columns()
        assert caught.value.code == "too_large"


def test_slow_server_times_out() -> None:
    with serve({"/slow.json": Reply(body=b"[]", delay=2.0)}) as server:
        with pytest.raises(ConnectorError) as caught:
            HttpJsonConnector(
                f"{server.base_url}/slow.json", allowed_networks=LOCAL, timeout=0.3
            ).columns()
        assert caught.value.code == "http_error"


def test_declared_gbk_charset_and_json_lines() -> None:
    text = '{"乡镇": "洪水镇"}\n{"乡镇": "南丰乡"}\n'.encode("gbk")
    reply = Reply(body=text, headers={"Content-Type": "application/x-ndjson; charset=GBK"})
    with serve({"/t.jsonl": reply}) as server:
        connector = HttpJsonConnector(
            f"{server.base_url}/t.jsonl", lines=True, allowed_networks=LOCAL
        )
        assert [(r.row, r.values["乡镇"]) for r in connector.iter_records()] == [
            (1, "洪水镇"),
            (2, "南丰乡"),
        ]


def test_invalid_json_body() -> None:
    with serve({"/a.json": Reply(body=b"<html>error</html>")}) as server:
        with pytest.raises(ConnectorError) as caught:
            HttpJsonConnector(f"{server.base_url}/a.json", allowed_networks=LOCAL).columns()
        assert (caught.value.code, caught.value.row) == ("bad_json", 1)


def test_https_to_a_pinned_address_verifies_the_certificate_for_the_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    pem = self_signed(tmp_path, "data.minle.example")
    trust = ssl.create_default_context(cafile=str(pem))
    sni: list[str | None] = []
    with serve({"/a.json": Reply(body=b'[{"a": "tls"}]')}, tls_pem=pem, sni_seen=sni) as server:
        url = f"https://data.minle.example:{server.port}/a.json"
        connector = HttpJsonConnector(url, allowed_networks=LOCAL, ssl_context=trust)
        assert [r.values for r in connector.iter_records()] == [{"a": "tls"}]
        assert sni == ["data.minle.example"]
        assert server.requests == [("/a.json", f"data.minle.example:{server.port}")]
        # Same address, another name: the certificate does not cover it, so TLS refuses.
        other = HttpJsonConnector(
            f"https://other.minle.example:{server.port}/a.json",
            allowed_networks=LOCAL,
            ssl_context=trust,
        )
        with pytest.raises(ConnectorError) as caught:
            other.columns()
        assert caught.value.code == "http_error"
        assert "CERTIFICATE_VERIFY_FAILED" in caught.value.message_zh
