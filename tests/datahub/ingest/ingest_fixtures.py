"""Builders shared by the connector tests: synthetic people (Faker zh_CN, seeded, never real
persons) and a real HTTP server on 127.0.0.1 in a thread."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faker import Faker

HEADER = ["姓名", "公民身份号码", "性别", "出生日期", "户籍地址"]


def fake_people(count: int, seed: int = 620722) -> list[dict[str, str | None]]:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    people: list[dict[str, str | None]] = []
    for _ in range(count):
        ssn = fake.ssn()
        born = dt.date(int(ssn[6:10]), int(ssn[10:12]), int(ssn[12:14]))
        people.append(
            {
                "姓名": fake.name(),
                "公民身份号码": ssn,
                "性别": "男" if int(ssn[16]) % 2 else "女",
                "出生日期": born.isoformat(),
                "户籍地址": fake.address().split(" ")[0],
            }
        )
    return people


def people_csv(people: list[dict[str, str | None]], delimiter: str = ",") -> str:
    lines = [delimiter.join(HEADER)]
    lines += [delimiter.join(person[name] or "" for name in HEADER) for person in people]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0


@dataclass
class Served:
    base_url: str
    port: int
    requests: list[tuple[str, str | None]]  # (path, Host header)


def self_signed(directory: Path, hostname: str) -> Path:
    """A PEM file holding a self-signed certificate for `hostname` and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = directory / f"{hostname}.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pem


@contextmanager
def serve(
    routes: Mapping[str, Reply | Callable[[], Reply]],
    tls_pem: Path | None = None,
    sni_seen: list[str | None] | None = None,
) -> Iterator[Served]:
    """A real HTTP(S) server on 127.0.0.1 answering `routes` by path; records each request
    (and, with TLS, the SNI name each client sent into `sni_seen`)."""
    requests: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append((self.path, self.headers.get("Host")))
            route = routes.get(self.path, Reply(404, b'{"error":"not found"}'))
            reply = route() if callable(route) else route
            if reply.delay:
                threading.Event().wait(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def do_POST(self) -> None:
            self.do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls_pem is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_pem)
        if sni_seen is not None:
            context.sni_callback = lambda _sock, name, _ctx: sni_seen.append(name)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        scheme = "https" if tls_pem is not None else "http"
        yield Served(f"{scheme}://127.0.0.1:{port}", port, requests)
    finally:
        server.shutdown()
        server.server_close()
