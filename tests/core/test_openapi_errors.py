"""The document describes the refusals the app really sends: every 422 is the ``Error`` body of
``core.errors`` (code, Chinese message, detail), not FastAPI's own validation shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from citybrain.core.openapi import ERROR_SCHEMA


def test_every_422_is_documented_as_the_error_body(client: TestClient) -> None:
    document = client.app.openapi()  # type: ignore[attr-defined]
    schemas = document["components"]["schemas"]
    assert schemas["Error"] == ERROR_SCHEMA
    assert "HTTPValidationError" not in schemas
    answers = [
        operation["responses"]["422"]
        for item in document["paths"].values()
        for operation in item.values()
        if "422" in operation.get("responses", {})
    ]
    assert len(answers) > 50
    refs = {a["content"]["application/json"]["schema"]["$ref"] for a in answers}
    assert refs == {"#/components/schemas/Error"}


def test_a_real_422_has_the_documented_keys(client: TestClient) -> None:
    response = client.post("/api/v1/iam/login", json={"username": 1})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == set(ERROR_SCHEMA["properties"]) == set(ERROR_SCHEMA["required"])
    assert body["code"] == "invalid_input"
    assert isinstance(body["message"], str)
