"""A bounded, deterministic schemathesis run over the whole OpenAPI, in-process: as an analyst
with a session token no operation may answer 5xx, and as an anonymous caller every guarded
operation answers 401 (never 5xx).

The app is the harness's (``client`` fixture's database connection, rolled back at the end), so
whatever the fuzzer creates disappears with the test. Each operation gets a few positive
(schema-valid) and negative (schema-violating) examples from a fixed seed: the run is the same on
every machine, and a failure names the operation, the status and a curl line to replay it.
"""

from __future__ import annotations

import contextlib
import copy
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from citybrain.core.nul import NUL_CODE

SEED = 20261207
EXAMPLES_PER_MODE = int(os.environ.get("CITYBRAIN_FUZZ_EXAMPLES", "5"))
"""Per operation and generation mode: ~105 operations x 2 modes x 5 stay well inside a minute
on two cores. A deeper local hunt: ``CITYBRAIN_FUZZ_EXAMPLES=50 pytest tests/test_api_fuzz.py``."""

LOGOUT = ("POST", "/api/v1/iam/logout")
"""Ends the analyst's session: fuzzed last, so every other operation runs signed in."""


@dataclass
class Tally:
    operations: int = 0
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def slowest(self, n: int = 5) -> str:
        worst = sorted(self.seconds.items(), key=lambda item: -item[1])[:n]
        return ", ".join(f"{label} {secs:.1f} s" for label, secs in worst)


def _schema(app: FastAPI) -> OpenApiSchema:
    # A copy: schemathesis normalises the document it is given, and FastAPI caches its own.
    schema = schemathesis.openapi.from_dict(copy.deepcopy(app.openapi()))
    schema.app = app  # requests go to the app in-process, as ``from_asgi`` would send them
    return schema


def _operations(schema: OpenApiSchema) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: (op.method.upper(), op.path) == LOGOUT)


def _fuzz(
    schema: OpenApiSchema,
    *,
    headers: dict[str, str],
    check: Callable[[Any, Any], None],
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    examples: int = EXAMPLES_PER_MODE,
) -> Tally:
    tally = Tally()
    for operation in _operations(schema):
        tally.operations += 1
        started = time.monotonic()
        for mode in modes:
            found = _fuzz_one(operation, mode, headers=headers, check=check, examples=examples)
            tally.requests += found.requests
            if mode is GenerationMode.POSITIVE and not found.requests:
                tally.failures.append(f"{operation.label}: no valid request could be generated")
            tally.failures.extend(found.failures[:1])  # one per operation and mode is enough
        tally.seconds[operation.label] = time.monotonic() - started
    return tally


def _fuzz_one(
    operation: Any,
    mode: GenerationMode,
    *,
    headers: dict[str, str],
    check: Callable[[Any, Any], None],
    examples: int,
) -> Tally:
    tally = Tally()

    @seed(SEED)
    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        # no shrinking: the run stays bounded; the first failing case is reported as found
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        tally.requests += 1
        label = f"{operation.label} [{mode.value}]"
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the app raised through the transport: a server error
            tally.failures.append(f"{label}: {exc!r}")
            return
        try:
            check(case, response)
        except (FailureGroup, AssertionError) as exc:
            tally.failures.append(f"{label}: {exc}")

    # e.g. an operation without parameters or body has no schema-violating request to make
    with contextlib.suppress(Unsatisfiable):
        run()
    return tally


def _no_server_error(case: Any, response: Any) -> None:
    case.validate_response(response, checks=[not_a_server_error])


def _conforms(case: Any, response: Any) -> None:
    # Not status_code_conformance: routes document their success and 422 answers only; the
    # domain refusals every service may raise (401, 403, 404, 409, 423, 429 with the ``Error``
    # body) are not listed per route, so each of those would count as a failure here.
    case.validate_response(
        response,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


@pytest.fixture
def app(client: TestClient) -> FastAPI:
    app = client.app
    assert isinstance(app, FastAPI)
    return app


def test_an_analyst_gets_no_server_error_and_answers_as_documented(
    app: FastAPI, login: Callable[..., dict[str, str]]
) -> None:
    headers = login("analyst")
    started = time.monotonic()
    tally = _fuzz(_schema(app), headers=headers, check=_conforms)
    print(
        f"analyst fuzz: {tally.operations} operations, {tally.requests} requests, "
        f"{time.monotonic() - started:.1f} s; slowest: {tally.slowest()}"
    )
    assert tally.operations > 90
    assert not tally.failures, "\n\n".join(tally.failures)


def _guarded(case: Any) -> bool:
    return bool(case.operation.definition.raw.get("security"))  # core.openapi marks guards


def _refused_nul(response: Any) -> bool:
    # A NUL in the path, query or JSON body is refused at the edge, before any guard (core.nul).
    return response.status_code == 422 and response.json().get("code") == NUL_CODE


def _anonymous_refused(case: Any, response: Any) -> None:
    _no_server_error(case, response)
    if _guarded(case) and not _refused_nul(response):
        assert response.status_code == 401, (
            f"answered {response.status_code} to an anonymous caller:\n{case.as_curl_command()}"
        )


def test_every_guarded_operation_refuses_an_anonymous_caller(app: FastAPI) -> None:
    schema = _schema(app)
    guarded = [op for op in _operations(schema) if op.definition.raw.get("security")]
    assert 80 < len(guarded) < len(_operations(schema)), "too few, or all, operations guarded"
    # Schema-valid requests only: a malformed body is refused with 422 before any guard runs
    # (FastAPI reads the body first), which is correct and says nothing about the guard.
    started = time.monotonic()
    tally = _fuzz(
        schema,
        headers={},
        check=_anonymous_refused,
        modes=(GenerationMode.POSITIVE,),
        examples=2,
    )
    print(
        f"anonymous fuzz: {tally.operations} operations, {tally.requests} requests, "
        f"{time.monotonic() - started:.1f} s; slowest: {tally.slowest()}"
    )
    assert tally.operations > 90
    assert not tally.failures, "\n\n".join(tally.failures)
