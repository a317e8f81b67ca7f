"""Security headers (security review: no CSP, X-Frame-Options or nosniff) on API answers, on
errors and on the front end's index, HSTS only over TLS, framing opened per setting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from citybrain.app import create_app
from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.core.headers import content_security_policy

DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


@pytest.fixture
def spa_settings(settings: Settings, tmp_path: Path) -> Settings:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/app.js"></script>'
        '</head><body><div id="app"></div></body></html>',
        "utf-8",
    )
    return settings.model_copy(update={"web_dist": dist})


def _client(settings: Settings, connection: Connection, base_url: str) -> Iterator[TestClient]:
    app = create_app(settings, session_factory=make_session_factory(connection))
    with TestClient(app, base_url=base_url) as client:
        yield client


@pytest.fixture
def http(spa_settings: Settings, connection: Connection) -> Iterator[TestClient]:
    yield from _client(spa_settings, connection, "http://testserver")


@pytest.fixture
def https(spa_settings: Settings, connection: Connection) -> Iterator[TestClient]:
    yield from _client(spa_settings, connection, "https://testserver")


def _assert_hardened(headers: object) -> None:
    h = dict(headers)  # type: ignore[call-overload]
    csp = h["content-security-policy"]
    assert "default-src 'self'" in csp
    assert re.search(r"script-src 'self'(;|$)", csp)  # no inline script, no eval
    assert "frame-ancestors 'none'" in csp
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/health", 200), ("/", 200), ("/catalog/resources", 200), ("/api/v1/nothing", 404)],
)
def test_every_answer_carries_the_headers(http: TestClient, path: str, status: int) -> None:
    answer = http.get(path)
    assert answer.status_code == status
    _assert_hardened(answer.headers)
    assert "strict-transport-security" not in answer.headers


def test_a_refused_api_call_carries_them_too(http: TestClient) -> None:
    answer = http.get("/api/v1/iam/me")
    assert answer.status_code == 401
    _assert_hardened(answer.headers)


def test_hsts_only_over_tls(https: TestClient, http: TestClient) -> None:
    assert "max-age=" in https.get("/api/health").headers["strict-transport-security"]
    assert "max-age=" in https.get("/").headers["strict-transport-security"]
    # A client cannot switch it on by claiming TLS: only a trusted proxy sets the scheme
    # (uvicorn --forwarded-allow-ips), and the test client is none.
    spoofed = http.get("/api/health", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in spoofed.headers


def test_named_origins_may_frame_the_boards(spa_settings: Settings, connection: Connection) -> None:
    wall = "https://wall.minle.gov.cn"
    settings = spa_settings.model_copy(update={"frame_ancestors": [wall]})
    for client in _client(settings, connection, "http://testserver"):
        headers = client.get("/").headers
        assert f"frame-ancestors {wall}" in headers["content-security-policy"]
        assert "x-frame-options" not in headers


def test_the_policy_admits_only_what_the_built_front_end_uses() -> None:
    """The built index loads its scripts by URL from our origin; an inline script (which the
    policy would block) or a script from elsewhere fails here."""
    index = DIST / "index.html"
    if not index.exists():
        pytest.skip("no web/dist (cd web && npm ci && npm run build)")
    html = index.read_text("utf-8")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the built index has no script at all"
    for attributes, body in scripts:
        assert body.strip() == "", "inline script in web/dist/index.html"
        src = re.search(r'src="([^"]+)"', attributes)
        assert src is not None
        assert src.group(1).startswith("/assets/")
    assert not re.search(r"\son[a-z]+=", html), "inline event handler in web/dist/index.html"
    assert "script-src 'self';" in content_security_policy()
