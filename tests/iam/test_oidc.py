"""OIDC sign-in against a real identity provider written here: a small Starlette app on
127.0.0.1 (discovery, JWKS from an RSA key made with ``cryptography``, an authorize endpoint
that approves at once, a token endpoint that checks PKCE and signs an ID token)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import frozen
from citybrain.core.db import make_session_factory
from citybrain.iam import service
from citybrain.iam.models import OidcHandoff
from citybrain.regions import queries as region_queries

CLIENT_ID, CLIENT_SECRET = "citybrain-test", "idp-client-secret"


def _rsa_key(kid: str) -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return RSAKey.import_key(private, {"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class IdentityProvider:
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: _rsa_key("idp-1"))
    rogue_key: RSAKey = field(default_factory=lambda: _rsa_key("idp-1"))
    claims: dict[str, Any] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)  # claims forced into the ID token
    sign_with_rogue_key: bool = False
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    subject: str = ""
    username: str = ""

    def reset(self) -> None:
        """Fresh knobs and a fresh person for each test."""
        self.claims, self.tamper, self.sign_with_rogue_key = {}, {}, False
        serial = secrets.token_hex(3)
        self.subject, self.username = f"idp-user-{serial}", f"zhang.wei{serial}"

    def app(self) -> Starlette:
        async def discovery(_: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        async def jwks(_: Request) -> JSONResponse:
            return JSONResponse(KeySet([self.key]).as_dict(private=False))

        async def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            assert q["client_id"] == CLIENT_ID
            assert q["response_type"] == "code"
            assert q["code_challenge_method"] == "S256"
            assert "openid" in q["scope"].split()
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": q["nonce"],
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
            }
            return RedirectResponse(f"{q['redirect_uri']}?code={code}&state={q['state']}", 302)

        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {basic}":
                return JSONResponse({"error": "invalid_client"}, 401)
            grant = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant is None or challenge != grant["challenge"]:
                return JSONResponse({"error": "invalid_grant"}, 400)
            if form.get("redirect_uri") != grant["redirect_uri"]:
                return JSONResponse({"error": "invalid_grant"}, 400)
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
                **self.claims,
                **self.tamper,
            }
            key = self.rogue_key if self.sign_with_rogue_key else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, claims, key)
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": id_token,
                }
            )

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
            ]
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    port = _free_port()
    provider.issuer = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(provider.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the test identity provider did not start"
    yield provider
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def oidc_client(idp, connection, settings) -> Iterator[TestClient]:
    from citybrain.app import create_app

    idp.reset()
    configured = settings.model_copy(
        update={
            "oidc_issuer": idp.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
        }
    )
    app = create_app(configured, session_factory=make_session_factory(connection))
    with TestClient(app) as client:
        yield client


def _start(client: TestClient) -> str:
    """Begin at citybrain, let the provider approve; the callback URL it sends us back to."""
    begin = client.get("/api/v1/iam/oidc/login", follow_redirects=False)
    assert begin.status_code == 302, begin.text
    authorize = begin.headers["location"]
    params = parse_qs(urlsplit(authorize).query)
    assert params["code_challenge_method"] == ["S256"]
    assert params["state"]
    assert params["nonce"]
    assert params["code_challenge"]
    approved = httpx.get(authorize, follow_redirects=False)
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["location"])
    return f"{callback.path}?{callback.query}"


def _sign_in(client: TestClient, idp: IdentityProvider, **claims: Any) -> httpx.Response:
    idp.claims = {
        "sub": idp.subject,
        "preferred_username": idp.username,
        "name": "张伟",
        "region_code": "620722",
        "roles": ["analyst"],
        **claims,
    }
    return client.get(_start(client), follow_redirects=False)


def _code(response: httpx.Response) -> str:
    """The one-time code the callback hands the browser (never the session token)."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/#/login?oidc_code=")
    assert "token" not in location
    return location.split("oidc_code=", 1)[1]


EXCHANGE = "/api/v1/iam/oidc/exchange"


def _token(client: TestClient, response: httpx.Response) -> str:
    """What the front end does next: trade the code for the session token by POST."""
    exchanged = client.post(EXCHANGE, json={"code": _code(response)})
    assert exchanged.status_code == 200, exchanged.text
    return str(exchanged.json()["token"])


def test_first_sign_in_creates_the_user_from_claims(oidc_client, idp):
    token = _token(oidc_client, _sign_in(oidc_client, idp, region_code="620722000000"))
    me = oidc_client.get("/api/v1/iam/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == idp.username
    assert me["display_name"] == "张伟"
    assert me["region_code"] == "620722"
    assert [r["name"] for r in me["roles"]] == ["analyst"]
    assert "catalog:manage" in me["permissions"]
    assert me["must_change_password"] is False


def test_administrator_roles_never_come_from_claims(oidc_client, idp):
    token = _token(oidc_client, _sign_in(oidc_client, idp, roles="analyst sysadmin auditadmin"))
    me = oidc_client.get("/api/v1/iam/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert [r["name"] for r in me["roles"]] == ["analyst"]
    assert "audit:read" not in me["permissions"]


def test_later_sign_ins_refresh_region_and_roles(oidc_client, idp, session):
    _token(oidc_client, _sign_in(oidc_client, idp))
    town = region_queries.children(session, "620722")[0].code
    token = _token(
        oidc_client, _sign_in(oidc_client, idp, region_code=town, roles=["viewer", "nonexistent"])
    )
    me = oidc_client.get("/api/v1/iam/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["region_code"] == town
    assert [r["name"] for r in me["roles"]] == ["viewer"]


def test_an_oidc_user_cannot_sign_in_with_a_password(oidc_client, idp):
    _token(oidc_client, _sign_in(oidc_client, idp))
    response = oidc_client.post(
        "/api/v1/iam/login", json={"username": idp.username, "password": "anything-at-all"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_a_local_account_of_the_same_name_is_not_taken_over(oidc_client, idp, session):
    service.create_user(
        session, username=idp.username.upper(), password="Local-pass-2024!", region_code="620722"
    )
    session.flush()
    response = _sign_in(oidc_client, idp)
    assert response.status_code == 401
    assert response.json()["code"] == "oidc_failed"


@pytest.mark.parametrize(
    "tamper",
    [
        {"nonce": "not-the-nonce"},
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600},
    ],
    ids=["nonce", "audience", "issuer", "expired"],
)
def test_a_bad_id_token_is_refused(oidc_client, idp, tamper):
    idp.tamper = tamper
    response = _sign_in(oidc_client, idp)
    assert response.status_code == 401
    assert response.json()["code"] == "oidc_failed"


def test_a_token_signed_by_another_key_is_refused(oidc_client, idp):
    idp.sign_with_rogue_key = True
    assert _sign_in(oidc_client, idp).status_code == 401


def test_missing_claims_are_refused(oidc_client, idp):
    response = _sign_in(oidc_client, idp, region_code=None)
    assert response.status_code == 401


def test_a_callback_cannot_be_replayed(oidc_client, idp):
    callback = _start(oidc_client)
    idp.claims = {"sub": idp.subject, "preferred_username": idp.username, "region_code": "620722"}
    assert oidc_client.get(callback, follow_redirects=False).status_code == 303
    replay = oidc_client.get(callback, follow_redirects=False)
    assert replay.status_code == 401
    assert replay.json()["code"] == "oidc_failed"


def test_the_state_must_come_from_this_browser(oidc_client, idp):
    callback = _start(oidc_client)
    oidc_client.cookies.clear()
    assert oidc_client.get(callback, follow_redirects=False).status_code == 401


def test_oidc_is_off_without_configuration(client):
    response = client.get("/api/v1/iam/oidc/login", follow_redirects=False)
    assert response.status_code == 404
    assert response.json()["code"] == "oidc_disabled"


def test_the_callback_hands_over_a_one_time_code_not_the_token(oidc_client, idp, session):
    response = _sign_in(oidc_client, idp)
    code = _code(response)
    stored = session.execute(select(OidcHandoff.code_hash)).scalars().all()
    assert len(stored) == 1
    assert code not in stored[0]  # only its HMAC is kept
    first = oidc_client.post(EXCHANGE, json={"code": code})
    assert first.status_code == 200, first.text
    me = oidc_client.get(
        "/api/v1/iam/me", headers={"Authorization": f"Bearer {first.json()['token']}"}
    )
    assert me.json()["username"] == idp.username
    again = oidc_client.post(EXCHANGE, json={"code": code})
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_handoff"
    reasons = [
        json.loads(r.detail)["reason"]
        for r in session.scalars(
            select(AuditRecord).where(
                AuditRecord.action == "iam.oidc.exchange", AuditRecord.outcome == "failure"
            )
        )
    ]
    assert reasons == ["unknown_code"]


def test_the_code_expires_after_a_minute(oidc_client, idp):
    with frozen() as clock:
        code = _code(_sign_in(oidc_client, idp))
        clock.advance(seconds=61)
        late = oidc_client.post(EXCHANGE, json={"code": code})
    assert late.status_code == 401
    assert late.json()["code"] == "invalid_handoff"


def test_a_made_up_code_is_refused(oidc_client):
    answer = oidc_client.post(EXCHANGE, json={"code": "not-a-code"})
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_handoff"
