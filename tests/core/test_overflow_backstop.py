"""A number too large for a 64-bit column that reaches the database driver is the caller's
mistake: 422 ``number_out_of_range``, not a 500 (the fuzz run found ``page=2**64`` on
``/api/v1/masterdata/persons`` overflowing SQLite's driver)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from citybrain.core.errors import install_error_handlers


def _app(engine: Engine) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/offset/{n}")
    def offset(n: int) -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT 1 LIMIT 1 OFFSET :n"), {"n": n}).scalar() or 0)

    return app


def test_an_overflowing_number_answers_422(engine: Engine) -> None:
    client = TestClient(_app(engine), raise_server_exceptions=False)
    assert client.get("/offset/0").json() == 1
    response = client.get(f"/offset/{2**64}")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "number_out_of_range"
    assert response.json()["message"] == "数值超出允许范围"
