from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from citybrain.core.errors import Conflict, NotFound, install_error_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/missing")
    def missing() -> None:
        raise NotFound("区划不存在", code="region_not_found", detail="999999")

    @app.get("/dup")
    def dup() -> None:
        raise Conflict("用户名已存在", code="duplicate_username")

    @app.get("/typed/{n}")
    def typed(n: int) -> int:
        return n

    return app


def test_domain_errors_have_code_chinese_message_and_detail() -> None:
    client = TestClient(_app())
    r = client.get("/missing")
    assert r.status_code == 404
    assert r.json() == {"code": "region_not_found", "message": "区划不存在", "detail": "999999"}
    assert client.get("/dup").json()["code"] == "duplicate_username"
    assert client.get("/dup").status_code == 409


def test_validation_and_unknown_routes_use_the_same_shape() -> None:
    client = TestClient(_app())
    bad = client.get("/typed/abc")
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_input"
    assert bad.json()["message"] == "请求参数不合法"
    assert bad.json()["detail"][0]["msg_zh"] == "应为整数"
    assert bad.json()["detail"][0]["loc"] == ["path", "n"]
    nowhere = client.get("/nowhere")
    assert nowhere.status_code == 404
    assert nowhere.json()["code"] == "not_found"
